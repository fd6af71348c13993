"""A small Python API for notebooks: a study's rows with the settings that produced them.

    >>> from xstilts.api import load_rows, language_table
    >>> rows = load_rows("runs/xlmr-large")            # one row per score, as a DataFrame
    >>> rows.groupby(["config_id", "target_task", "intermediate_task"]).value.mean()
    >>> language_table(rows, "xnli")                     # the table `xstilts results` prints

Why the grouping: a store may hold runs of several studies or of one study re-run with other
settings (a learning rate changed, another encoder). Scores of different configurations must
never be averaged together. Every row carries ``config_id`` (filled from ``config_json`` for rows
stored before it existed), the same key ``xstilts results`` splits its tables by
(:func:`xstilts.analysis.tables.config_groups`), and the effective settings of its run as
columns (``target.learning_rate``, ``encoder.name``, ...: the values the run used after the task
recipe, the study and per-task overrides). :func:`language_table` refuses rows of more than one
configuration.
"""

from __future__ import annotations

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
    with one column per effective setting and ``config_id``; optionally one study only."""
    path = Path(store)
    path = path / STORE_NAME if path.is_dir() else path
    with ResultStore(path, read_only=True) as results:
        rows = results.frame()
    if study is not None:
        rows = rows[rows["study"] == study]
    if rows.empty:
        raise XstiltsError(f"{path}: no results" + (f" for study {study!r}" if study else ""))
    rows = tables.with_config_id(rows)
    frame = pd.DataFrame([settings_of(text) for text in rows["config_json"]], index=rows.index)
    return pd.concat([rows, frame], axis=1).reset_index(drop=True)


def settings_of(config_json: str) -> dict[str, Any]:
    """``{"target.learning_rate": 3e-05, ...}`` from a row's ``config_json`` (flattened): the
    run's effective values where the row records them, else the study's sections."""
    config = json.loads(config_json)
    study = config.get("study", config)
    effective = config.get("effective") or {}
    flat: dict[str, Any] = {}
    for section in SETTING_SECTIONS:
        values = (effective.get(section) or {}).get("values") or study.get(section) or {}
        for key, value in sorted(values.items()):
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
    groups = tables.with_config_id(rows.loc[rows["target_task"] == target_task])
    ids = list(dict.fromkeys(groups["config_id"]))
    if len(ids) > 1:
        raise XstiltsError(
            f"{target_task}: rows of {len(ids)} configurations ({', '.join(map(str, ids))}); "
            "select one: rows[rows.config_id == ...]"
        )
    return tables.language_table(rows, target_task, split, metric, selection)


def _scalar(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, (list, dict)) else value
