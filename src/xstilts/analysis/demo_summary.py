"""What ``xstilts demo`` prints after its runs, and what the README's demo section shows.

Three parts, all computed from what the runs stored, never typed in:

1. per phase, the English dev score model selection kept, the chance level and the dev curve,
   and for a classification target the share of each label it predicts on the English test set
   (``experiments/phases.py``: an intermediate stuck at chance or a near-constant baseline makes
   every gain below meaningless, so this comes first);
2. the per-language tables (``analysis/tables.py``, as ``xstilts results`` prints them);
3. the findings: each intermediate task's gain over ``none`` in the zero-shot languages, with its
   paired bootstrap CI and n, "not supported" where the CI includes 0 (``analysis/claims.py``).

The text is a pure function of a :func:`collect` record (a small JSON-able extract of the store
and run folders), so the README block can be regenerated and tested from a stored record
(``xstilts.analysis.demo_readme``) and is, by construction, what the demo printed.
"""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd

from xstilts.analysis.claims import claims_text
from xstilts.analysis.robustness import select_rows
from xstilts.analysis.tables import tables_text
from xstilts.config import StudyConfig
from xstilts.experiments.phases import (
    PhaseResult,
    format_phases,
    latest_runs,
    prediction_items,
    study_phases,
)
from xstilts.experiments.schema import RESULT_COLUMNS
from xstilts.experiments.store import ResultStore

ROW_FIELDS = [
    "run_id", "encoder", "intermediate_task", "target_task", "language", "seed", "split",
    "selection", "metric", "value", "config_id", "layer",
]  # fmt: skip
ITEM_GROUP = ["run_id", "target_task", "split", "language", "selection", "metric"]
ITEM_COLUMNS = [*ITEM_GROUP, "item_id", "score"]
WIDTH = 100


def collect(study: StudyConfig, store_path: Path) -> dict[str, Any]:
    """The study's phases, test rows and headline-selected test item scores, JSON-able.

    Item scores come from the store's ``items`` table where it has one, else from the runs'
    prediction files. They are grouped per scored set (``item_ids`` and ``scores`` lists) to
    keep the record small enough to commit next to the README it generates.
    """
    with ResultStore(store_path, read_only=True) as store:
        rows = store.frame("study = ?", [study.name])
        items = store.items("split = 'test'")
    runs = set(latest_runs(rows)["run_id"])
    rows = rows[rows["run_id"].isin(runs) & (rows["split"] == "test")]
    # The items of the selection the analysis reads per task (English-dev, or the no-choice
    # selection of a task without one, e.g. retrieval): robustness.select_rows decides.
    headline = select_rows(rows)[["run_id", "selection"]].drop_duplicates()
    items = items.merge(headline, on=["run_id", "selection"]).reindex(columns=ITEM_COLUMNS)
    if items.empty:  # a store written before item scores were stored
        items = pd.DataFrame(prediction_items(study, rows), columns=ITEM_COLUMNS)
    groups = []
    for key, group in items.groupby(ITEM_GROUP, sort=True):
        ordered = group.sort_values("item_id")
        groups.append({
            **dict(zip(ITEM_GROUP, key, strict=True)),
            "item_ids": ordered["item_id"].tolist(),
            "scores": [float(v) for v in ordered["score"]],
        })  # fmt: skip
    frame = rows.reindex(columns=ROW_FIELDS).sort_values(ROW_FIELDS[:9])
    return {
        "targets": list(study.target_tasks),
        "skip": list(study.skip),  # grid cells the study does not run (absent from the tables)
        "phases": [dataclasses.asdict(phase) for phase in study_phases(study, rows)],
        "rows": [{k: _plain(k, v) for k, v in row.items()} for row in frame.to_dict("records")],
        "items": groups,
    }


def _plain(key: str, value: Any) -> Any:
    """A JSON value for one row field (no NaN, integers as int)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return int(value) if key in ("seed", "layer") else value


def _frames(record: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = pd.DataFrame(record["rows"], columns=ROW_FIELDS)
    for column in RESULT_COLUMNS:
        if column not in rows:
            rows[column] = None
    flat = [
        {**{k: group[k] for k in ITEM_GROUP}, "item_id": item_id, "score": score}
        for group in record["items"]
        for item_id, score in zip(group["item_ids"], group["scores"], strict=True)
    ]
    return rows, pd.DataFrame(flat, columns=ITEM_COLUMNS)


def _phase(stored: dict[str, Any]) -> PhaseResult:
    history = [(int(step), float(score)) for step, score in stored["dev_history"]]
    return PhaseResult(**{**stored, "dev_history": history})


def summary_text(record: dict[str, Any]) -> str:
    """Phases, tables and findings of one :func:`collect` record, as the demo prints them."""
    rows, items = _frames(record)
    findings = [
        "findings (analysis/claims.py: zero-shot languages only, English excluded; 95% CIs "
        "from the item x seed bootstrap, paired by item; multiplicity-adjusted p)"
    ]
    for sentence in claims_text(rows, items, record["targets"]):
        findings.append(textwrap.fill(sentence, WIDTH, initial_indent="- ",
                                      subsequent_indent="  "))  # fmt: skip
    tables = tables_text(rows, record["targets"], "test")
    if record.get("skip"):
        tables += f"\nnot run (the study's skip): {', '.join(record['skip'])}"
    return "\n\n".join([
        format_phases([_phase(p) for p in record["phases"]]), tables, "\n".join(findings)
    ])  # fmt: skip


def demo_summary(study: StudyConfig, store_path: Path) -> str:
    """What ``xstilts demo`` prints after its runs (see the module docstring)."""
    return summary_text(collect(study, store_path))
