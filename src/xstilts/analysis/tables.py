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
from dataclasses import dataclass

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


@dataclass(frozen=True)
class ResultTable:
    """One table ``xstilts results`` prints: a target's per-language means for one metric and
    one configuration."""

    config_id: str
    target_task: str
    split: str
    metric: str
    label: str  # how the checkpoints were chosen (:func:`selection_label`)
    seeds: int  # seeds behind each mean (the fewest over cells)
    table: pd.DataFrame  # :func:`language_table`


def result_tables(
    rows: pd.DataFrame, targets: Sequence[str], split: str = "test", selection: str = "en_dev"
) -> list[ResultTable]:
    """Every target's language tables, one per metric and configuration (rows of different
    configurations are never averaged into one table), in configuration then target order."""
    found = []
    for config, group in config_groups(rows):
        for target in targets:
            for metric in sorted(group.loc[group["target_task"] == target, "metric"].unique()):
                table = language_table(group, target, split, metric, selection)
                if not table.empty:
                    seeds = seeds_per_cell(group, target, split)
                    label = selection_label(group, target, selection)
                    found.append(ResultTable(config, target, split, metric, label, seeds, table))
    return found


def tables_text(
    rows: pd.DataFrame, targets: Sequence[str], split: str = "test", selection: str = "en_dev"
) -> str:
    """:func:`result_tables` as ``xstilts results`` and ``xstilts demo`` print them, with a
    warning when the rows come from several configurations or a mean from fewer than 3 seeds."""
    tables = result_tables(rows, targets, split, selection)
    configs = list(dict.fromkeys(config for config, _ in config_groups(rows)))
    printed: list[str] = []
    if len(configs) > 1:
        printed.append(
            f"xstilts: these rows come from {len(configs)} configurations (settings, encoder "
            "weights, world size or versions differ); each gets its own tables, never one mean"
        )
    with pd.option_context("display.width", 160, "display.max_columns", 30):
        for number, config in enumerate(configs, 1):
            if len(configs) > 1:
                printed.append(f"\n== configuration {number} of {len(configs)}: {config} ==")
            printed.extend(_table_text(t) for t in tables if t.config_id == config)
    return "\n".join(printed)


def _table_text(result: ResultTable) -> str:
    """One table after a blank line: title, the rounded means, a warning below 3 seeds."""
    plural = "seed" if result.seeds == 1 else "seeds"
    lines = [
        f"\n{result.target_task} ({result.split}, {result.metric}{result.label}, "
        f"mean of {result.seeds} {plural}; Δ = gain over none)",
        result.table.round(1).to_string(na_rep="-"),
    ]
    if result.seeds < 3:
        lines.append(
            f"WARNING: {result.seeds} {plural} — fewer than 3; differences between "
            "intermediate tasks cannot be told from seed noise (use >= 5 seeds)"
        )
    return "\n".join(lines)


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
