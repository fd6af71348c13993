"""Per-language result tables from the store: languages as rows, intermediate tasks as columns.

The table a researcher reads first: for each target task, the mean score over seeds per language
and intermediate task, followed by the gain of each intermediate task over the no-intermediate
baseline measured in the same study.
"""

from __future__ import annotations

import pandas as pd

from xstilts.experiments.schema import BASELINE


def language_table(
    rows: pd.DataFrame,
    target_task: str,
    split: str = "test",
    metric: str | None = None,
    selection: str = "en_dev",
) -> pd.DataFrame:
    """Mean over seeds; columns: one per intermediate task, then ``Δ task`` gains over ``none``.

    ``selection`` picks English-dev (true zero-shot, default) or ``oracle`` rows.
    Languages follow the task's official order with English first; an ``avg`` row closes the
    table (unweighted mean over languages, as the XTREME score averages languages).
    """
    selected = rows[(rows["target_task"] == target_task) & (rows["split"] == split)]
    # retrieval rows have no model selection ("none"): they belong to every selection's table
    selected = selected[selected["selection"].isin([selection, "none"])]
    if metric is not None:
        selected = selected[selected["metric"] == metric]
    if selected.empty:
        return pd.DataFrame()
    table = selected.pivot_table(
        index="language", columns="intermediate_task", values="value", aggfunc="mean"
    )
    table = table.reindex(_language_order(target_task, set(selected["language"])))
    intermediates = [c for c in table.columns if c != BASELINE]
    ordered = ([BASELINE] if BASELINE in table.columns else []) + sorted(intermediates)
    table = table[ordered]
    if BASELINE in table.columns:
        for name in sorted(intermediates):
            table[f"Δ {name}"] = table[name] - table[BASELINE]
    table.loc["avg"] = table.mean(axis=0)
    table.columns.name = None
    table.index.name = None
    return table


def _language_order(target_task: str, languages: set[str]) -> list[str]:
    """English first, then the task's official order (XTREME lists), then any others."""
    from xstilts.tasks.registry import TASKS

    official = list(TASKS[target_task].languages) if target_task in TASKS else []
    rank = {lang: i for i, lang in enumerate(official)}
    return sorted(languages, key=lambda lang: (lang != "en", rank.get(lang, len(rank)), lang))


def seeds_per_cell(rows: pd.DataFrame, target_task: str, split: str = "test") -> int:
    """How many seeds stand behind each mean (the smallest count over cells)."""
    selected = rows[(rows["target_task"] == target_task) & (rows["split"] == split)]
    if selected.empty:
        return 0
    return int(
        selected.groupby(["intermediate_task", "language", "metric"])["seed"].nunique().min()
    )
