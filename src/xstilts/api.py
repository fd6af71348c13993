"""A small Python API for notebooks: a study's rows with the settings that produced them.

    >>> from xstilts.api import load_rows, language_table
    >>> rows = load_rows("runs/xlmr-large")            # one row per score, as a DataFrame
    >>> rows.groupby(["config_group", "target_task", "intermediate_task"]).value.mean()
    >>> language_table(rows, "xnli")                     # the table `xstilts results` prints

Why a ``config_group`` column: a store may hold runs of several studies or of one study re-run
with other settings (a learning rate changed, another encoder). Scores of different effective
settings must never be averaged together, so every row carries the settings that determine it
(``encoder.*``, ``intermediate.*``, ``target.*``, ``retrieval.*`` columns read from its
``config_json``) and ``config_group``, a short hash of them; the seed, the grid axes (tasks,
languages) and where files live are not part of it. :func:`language_table` refuses rows of more
than one group, as ``xstilts results`` keeps them apart.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd

from xstilts.analysis import tables
from xstilts.errors import XstiltsError
from xstilts.experiments.plan import STORE_NAME
from xstilts.experiments.store import ResultStore

#: The parts of a run's study config that are settings (the rest are grid axes and paths).
SETTING_SECTIONS = ("encoder", "intermediate", "target", "retrieval")
#: Settings that change how fast or how often, never what is computed.
_NOT_RESULT_RELEVANT = ("checkpoint_every_steps", "eval_batch_size")


def load_rows(store: str | Path, study: str | None = None) -> pd.DataFrame:
    """Every row of a results store (or of the study output folder holding ``results.duckdb``),
    with one column per effective setting and ``config_group``; optionally one study only."""
    path = Path(store)
    path = path / STORE_NAME if path.is_dir() else path
    with ResultStore(path, read_only=True) as results:
        rows = results.frame()
    if study is not None:
        rows = rows[rows["study"] == study]
    if rows.empty:
        raise XstiltsError(f"{path}: no results" + (f" for study {study!r}" if study else ""))
    settings = [settings_of(text) for text in rows["config_json"]]
    frame = pd.DataFrame(settings, index=rows.index)
    rows = pd.concat([rows, frame], axis=1)
    rows["config_group"] = [_group_key(values) for values in settings]
    return rows.reset_index(drop=True)


def settings_of(config_json: str) -> dict[str, Any]:
    """``{"target.learning_rate": 3e-05, ...}`` from a row's ``config_json`` (flattened)."""
    config = json.loads(config_json)
    study = config.get("study", config)
    flat: dict[str, Any] = {}
    for section in SETTING_SECTIONS:
        for key, value in sorted((study.get(section) or {}).items()):
            if key not in _NOT_RESULT_RELEVANT:
                flat[f"{section}.{key}"] = _scalar(value)
    return flat


def language_table(
    rows: pd.DataFrame,
    target_task: str,
    split: str = "test",
    metric: str | None = None,
    selection: str = "en_dev",
) -> pd.DataFrame:
    """The per-language table of ``xstilts results`` for one config group of ``rows``."""
    groups = rows.loc[rows["target_task"] == target_task, "config_group"].unique()
    if len(groups) > 1:
        raise XstiltsError(
            f"{target_task}: rows of {len(groups)} different settings ({', '.join(groups)}); "
            "select one: rows[rows.config_group == ...]"
        )
    return tables.language_table(rows, target_task, split, metric, selection)


def _scalar(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, (list, dict)) else value


def _group_key(settings: dict[str, Any]) -> str:
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
