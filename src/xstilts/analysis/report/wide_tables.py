"""Tidy statistics tables turned wide: one row per model or configuration, one column per
predictor — the layout of a paper's regression table.

The tidy frames stay available in :class:`~xstilts.analysis.statistics.Analysis` for anyone who
wants them long; the report only ever shows them wide, through :func:`pivot`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from xstilts.analysis import statistics
from xstilts.analysis.report.formatting import fmt, fmt_estimate

PREDICTOR_LABELS: dict[str, str] = {
    statistics.VOLUME: "log volume",
    "syntax_distance": "syntax dist.",
    "phonology_distance": "phonology dist.",
    "inventory_distance": "inventory dist.",
    "family_distance": "family dist.",
    "geography_distance": "geography dist.",
}
"""Column headers of the predictors, in the order the wide tables show them."""

CELL_INDEX = {"encoder": "encoder", "intermediate_task": "intermediate", "target_task": "target"}
"""Row labels of one configuration: tidy column -> header."""

Summary = Callable[[pd.DataFrame], str]
"""A summary column of a wide table: one string from all tidy rows of a wide row."""


def label(predictor: str) -> str:
    return PREDICTOR_LABELS.get(predictor, predictor)


def target_label(target: str) -> str:
    """Pooled models have no single target task: say what they pool instead."""
    return "all targets (task FE)" if target == statistics.POOLED else target


def pivot(
    records: pd.DataFrame,
    index: Mapping[str, str],
    column: str,
    cell: Callable[[pd.Series], str],
    extra: Mapping[str, Summary] | None = None,
) -> pd.DataFrame:
    """One row per ``index`` combination, one column per value of ``column`` (predictors in
    :data:`PREDICTOR_LABELS` order), cells formatted by ``cell``; ``extra`` adds summary columns.

    Rows are sorted by ``index`` with pooled models last, after the per-task ones they summarise.
    """
    order = [p for p in PREDICTOR_LABELS if p in set(records[column])]
    order += sorted(set(records[column]) - set(order))
    ordered = records.sort_values(
        list(index),
        key=lambda column: column.astype(str).replace(statistics.POOLED, "\uffff"),  # last
        kind="stable",
    )
    rows = []
    for key, group in ordered.groupby(list(index), sort=False):
        values = key if isinstance(key, tuple) else (key,)
        row = {
            header: target_label(str(v)) if name == "target_task" else str(v)
            for (name, header), v in zip(index.items(), values, strict=True)
        }
        by_column = group.set_index(column)
        for name in order:
            row[label(name)] = cell(by_column.loc[name]) if name in by_column.index else ""
        for header, function in (extra or {}).items():
            row[header] = function(group)
        rows.append(row)
    return pd.DataFrame(rows)


def reasons(group: pd.DataFrame, column: str = "reason") -> str:
    """Every distinct non-empty reason of a wide row, once: why some of its cells are empty."""
    return "; ".join(sorted({str(r) for r in group[column] if str(r)}))


def first_count(column: str) -> Summary:
    """The count in ``column`` (equal over the rows of one model), as a cell."""
    return lambda group: str(int(group[column].iloc[0]))


def estimate_cell(value: str, low: str, high: str, digits: int = 1) -> Callable[[pd.Series], str]:
    """'estimate [low, high]' from three columns of a tidy row."""
    return lambda row: fmt_estimate(row[value], row[low], row[high], digits)


def coefficient_table(
    coefficients: pd.DataFrame, models: pd.DataFrame, with_r2: bool
) -> pd.DataFrame:
    """Wide coefficient table: one row per model, one column per predictor (coef [CI]).

    The intercept and the task fixed effects are nuisance terms and are left out.
    """
    shown = coefficients[
        ~coefficients["term"].str.startswith("task[") & (coefficients["term"] != "const")
    ]
    ids = statistics.ID_COLUMNS
    # scope is implied by the target column ("all targets (task FE)" = pooled)
    index = {"measure": "measure", **CELL_INDEX, "model": "model"}
    lookup = models.set_index(ids) if not models.empty else models

    def r2(group: pd.DataFrame) -> str:
        key = tuple(group.iloc[0][ids])
        return fmt(lookup.loc[key, "r2"], 2) if key in lookup.index else "–"

    extra: dict[str, Summary] = {
        "n (languages)": lambda g: f"{int(g['n'].iloc[0])} ({int(g['n_languages'].iloc[0])})"
    }
    if with_r2:
        extra["R²"] = r2
    return pivot(shown, index, "term", estimate_cell("coef", "ci_low", "ci_high", 2), extra)
