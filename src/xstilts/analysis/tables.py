"""Per-language result tables from the store: languages as rows, intermediate tasks as columns.

The table a researcher reads first: for each target task, the mean score over seeds per language
and intermediate task, followed by the gain of each intermediate task over the no-intermediate
baseline measured in the same study.

Rows of different configurations (``config_id``: settings, encoder weights, world size, versions)
are never averaged: callers split the rows with :func:`config_groups` and print one set of tables
per configuration.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from xstilts.experiments.provenance import config_id_of_row
from xstilts.experiments.schema import BASELINE
from xstilts.tasks.recipe import NO_CHOICE

# Selections where nothing was chosen ("none": retrieval rows of stores written before the closed
# set). They stand in a table of any selection when the task has no rows of the asked one.
NO_CHOICE_SELECTIONS: tuple[str, ...] = (*(s.value for s in NO_CHOICE), "none")


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
    selected = _one_selection(selected, selection)
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


def _one_selection(rows: pd.DataFrame, selection: str) -> pd.DataFrame:
    """The rows of ``selection``, or, where the task has none, of one no-choice selection
    (retrieval scored at its layer, a last checkpoint): never two selections in one cell."""
    if (rows["selection"] == selection).any():
        return rows[rows["selection"] == selection]
    for fallback in NO_CHOICE_SELECTIONS:
        if (rows["selection"] == fallback).any():
            return rows[rows["selection"] == fallback]
    return rows.iloc[0:0]


def with_config_id(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with a filled ``config_id`` (derived from ``config_json`` where it is missing)."""
    rows = rows.copy()
    if "config_id" not in rows.columns:
        rows["config_id"] = None
    missing = rows["config_id"].isna()
    if missing.any():
        rows.loc[missing, "config_id"] = rows.loc[missing, "config_json"].map(config_id_of_row)
    return rows


def config_groups(rows: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """``(config_id, rows)`` per study configuration, in order of first appearance in time."""
    rows = with_config_id(rows)
    order = rows.sort_values("started_at") if "started_at" in rows.columns else rows
    ids = list(dict.fromkeys(order["config_id"]))
    return [(config, rows[rows["config_id"] == config]) for config in ids]


def seeds_per_cell(rows: pd.DataFrame, target_task: str, split: str = "test") -> int:
    """How many seeds stand behind each mean (the smallest count over cells)."""
    selected = rows[(rows["target_task"] == target_task) & (rows["split"] == split)]
    if selected.empty:
        return 0
    return int(
        selected.groupby(["intermediate_task", "language", "metric"])["seed"].nunique().min()
    )


def tables_text(
    rows: pd.DataFrame, targets: Sequence[str], split: str = "test", selection: str = "en_dev"
) -> str:
    """Every target's language tables (one per metric and configuration), as ``xstilts results``
    and ``xstilts demo`` print them; rows of different configurations get separate tables."""
    groups = config_groups(rows)
    printed: list[str] = []
    if len(groups) > 1:
        printed.append(
            f"xstilts: these rows come from {len(groups)} configurations (settings, encoder "
            "weights, world size or versions differ); each gets its own tables, never one mean"
        )
    with pd.option_context("display.width", 160, "display.max_columns", 30):
        for number, (config, group) in enumerate(groups, 1):
            if len(groups) > 1:
                printed.append(f"\n== configuration {number} of {len(groups)}: {config} ==")
            printed.extend(_group_tables(group, targets, split, selection))
    return "\n".join(printed)


def _group_tables(
    rows: pd.DataFrame, targets: Sequence[str], split: str, selection: str
) -> list[str]:
    """The per-language tables of one configuration's rows, each after a blank line."""
    printed = []
    for target in targets:
        for metric in sorted(rows.loc[rows["target_task"] == target, "metric"].unique()):
            table = language_table(rows, target, split, metric, selection)
            if table.empty:
                continue
            seeds = seeds_per_cell(rows, target, split)
            plural = "seed" if seeds == 1 else "seeds"
            printed.append(
                f"\n{target} ({split}, {metric}{selection_label(rows, target, selection)}, "
                f"mean of {seeds} {plural}; Δ = gain over none)"
            )
            printed.append(table.round(1).to_string(na_rep="-"))
            if seeds < 3:
                printed.append(
                    f"WARNING: {seeds} {plural} — fewer than 3; differences between "
                    "intermediate tasks cannot be told from seed noise (use >= 5 seeds)"
                )
    return printed


def selection_label(rows: pd.DataFrame, target: str, selection: str) -> str:
    """How the table's checkpoints were chosen. A task without rows of ``selection`` is shown
    as stored: retrieval scored straight from the encoder (no model selection) or the last
    checkpoint (XTREME's QA rule); oracle figures are labelled."""
    selections = set(rows.loc[rows["target_task"] == target, "selection"])
    if selection not in selections:
        if selections & {"none", "no_selection"}:
            return ", no model selection"
        if "last" in selections:
            return ", last checkpoint"
    if selection == "oracle":
        return ", oracle selection (an upper bound, not zero-shot)"
    return "" if selection == "en_dev" else f", {selection} selection"
