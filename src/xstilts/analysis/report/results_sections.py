"""Sections on the results themselves: where they come from, the paper-style gain table, the
per-language tables, robustness across languages and seeds, and what cannot be estimated.

Captions are written from the numbers: they state how many languages and seeds stand behind a
value, so small data (one seed, a handful of languages) reads as such, never as a crash.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from xstilts.analysis import robustness, statistics
from xstilts.analysis.report.blocks import Block, Bullets, Heading, Paragraph, Table, section
from xstilts.analysis.report.formatting import fmt, fmt_estimate, range_text
from xstilts.experiments.schema import BASELINE

# --------------------------------------------------------------------------------------------
# Provenance and limits


def provenance_section(
    store_path: Path, rows: pd.DataFrame, analysis: statistics.Analysis
) -> list[Block]:
    """What the numbers below were computed from, so that a reader can reproduce them."""
    chosen = robustness.select_rows(rows, split=analysis.split, selection=analysis.selection)
    table = analysis.robustness
    seeds = table["n_seeds"] if not table.empty else pd.Series(dtype=int)
    unit = analysis.covariates.attrs.get("volume_unit", "")
    metrics = chosen[["target_task", "metric"]].drop_duplicates().itertuples(index=False)
    items = [
        f"Store: `{store_path.name}` — {len(rows)} rows, studies: {_names(rows['study'])}.",
        _selection_item(chosen, analysis),
        f"Encoders: {_names(table['encoder'])}; target tasks: {_names(table['target_task'])}; "
        f"intermediate tasks: {_names(table['intermediate_task'])}.",
        f"Languages: {table['language'].nunique() if not table.empty else 0}; seeds per "
        f"language: {range_text(seeds)}.",
        f"Pretraining volume: `{analysis.pretraining}` ({unit}), used as log(volume) with an "
        "indicator for languages unseen in pretraining.",
        "Headline metric per task: " + ", ".join(f"{t}: {m}" for t, m in sorted(metrics)) + ".",
    ]
    if missing := missing_cells(table):
        items.append(
            f"Grid cells without rows (intermediate → target): {', '.join(missing)} — not run "
            "(a study's `skip`) or not finished; means over target tasks leave them out."
        )
    return [Heading("Data", 2), Bullets(items)]


def missing_cells(table: pd.DataFrame) -> list[str]:
    """The (intermediate, target) pairs of each encoder's grid that have no rows, so that a
    blank in a table reads as "not run", not as a value lost (e.g. a study's ``skip``)."""
    if table.empty:
        return []
    several = table["encoder"].nunique() > 1
    missing = []
    for encoder, rows in table.groupby("encoder", sort=True):
        present = set(rows[["intermediate_task", "target_task"]].itertuples(index=False))
        missing += [
            f"{encoder}: {intermediate} → {target}" if several else f"{intermediate} → {target}"
            for intermediate in sorted(rows["intermediate_task"].unique())
            for target in sorted(rows["target_task"].unique())
            if (intermediate, target) not in present
        ]
    return missing


def _names(values: pd.Series) -> str:
    return ", ".join(sorted(map(str, values.unique()))) or "–"


def _selection_item(chosen: pd.DataFrame, analysis: statistics.Analysis) -> str:
    """Split and selection, naming the tasks used as stored because they have no choice."""
    fallback = sorted(
        f"{t} ({s})"
        for t, s in chosen[["target_task", "selection"]].drop_duplicates().itertuples(index=False)
        if s != analysis.selection
    )
    return (
        f"Split: `{analysis.split}`; checkpoint selection: `{analysis.selection}`"
        + (f"; tasks without a checkpoint choice: {', '.join(fallback)}" if fallback else "")
        + "."
    )


def limitations(analysis: statistics.Analysis) -> list[str]:
    """What cannot be estimated from this store, in plain words."""
    table = analysis.robustness
    if table.empty:
        return ["No rows for this split and selection: nothing can be estimated."]
    items = [*_seed_limits(table), *_baseline_limits(table)]
    non_english = table.loc[table["language"] != robustness.SOURCE_LANGUAGE, "language"].nunique()
    if non_english < statistics.MIN_CORRELATION_N:
        items.append(
            f"{non_english} non-English language(s): correlations need "
            f">= {statistics.MIN_CORRELATION_N} for an interval."
        )
    if analysis.selection_gaps.empty:
        items.append(
            "No configuration has both `en_dev` and `oracle` rows: the cost of English-dev "
            "model selection cannot be estimated."
        )
    return [*items, *analysis.notes, *_model_limits(analysis)]


def _seed_limits(table: pd.DataFrame) -> list[str]:
    if table["n_seeds"].max() < 2:
        return [
            "Only one seed per configuration: the spread across seeds, the confidence intervals "
            "of gains and the seed-std analysis cannot be estimated. Run >= 3 seeds."
        ]
    if table["n_seeds"].min() < 2:
        return ["Some languages have one seed: their spread and gain intervals are missing."]
    return []


def _baseline_limits(table: pd.DataFrame) -> list[str]:
    if (table["intermediate_task"] == BASELINE).sum() == 0:
        return [
            "No `none` baseline runs: gains over the baseline cannot be estimated "
            "(add `none` to the intermediate tasks)."
        ]
    if (table["intermediate_task"] != BASELINE).sum() == 0:
        return ["Only the `none` baseline: there is no intermediate task to measure."]
    return []


def _model_limits(analysis: statistics.Analysis) -> list[str]:
    """Which pooled estimates are missing, and what that means for reading the others."""
    items: list[str] = []
    models = analysis.mixed.models
    if models.empty or (models["status"] != "fitted").all():
        languages = analysis.frame["language"].nunique() if not analysis.frame.empty else 0
        items.append(
            f"No mixed model could be fitted ({languages} non-English languages; it needs >= "
            f"{statistics.MIXED_MIN_LANGUAGES}, >= {statistics.MIXED_MIN_REPEATED_LANGUAGES} "
            "of them in several target tasks): the pooled OLS, which treats a language's tasks "
            "as independent, is the only pooled estimate, and its intervals are too narrow if "
            "languages differ systematically."
        )
    fitted = analysis.ols.models[analysis.ols.models["status"] == "fitted"]
    if fitted.empty and not analysis.frame.empty:
        items.append("No regression could be estimated: too few languages (see its table).")
    return items


# --------------------------------------------------------------------------------------------
# Gains and per-language results


def paper_table_section(analysis: statistics.Analysis) -> list[Block]:
    """One table per encoder laid out like the X-STILTs paper: target tasks by intermediate."""
    return section(
        Heading("Mean gain over the no-intermediate baseline", 2),
        analysis.task_gains,
        "No gains: the store needs `none` and intermediate-task runs.",
        lambda gains: _gain_tables(gains, analysis.robustness),
    )


def _gain_tables(gains: pd.DataFrame, table: pd.DataFrame) -> list[Block]:
    metrics = table.groupby("target_task")["metric"].first()
    return [
        _gain_table(str(encoder), group, metrics)
        for encoder, group in gains.groupby("encoder", sort=True)
    ]


def _gain_table(encoder: str, group: pd.DataFrame, metrics: pd.Series) -> Table:
    intermediates = sorted(group["intermediate_task"].unique())
    targets = sorted(group["target_task"].unique())
    rows = [
        _gain_row(target, group[group["target_task"] == target], metrics, intermediates)
        for target in targets
    ]
    average = {"target task": "avg", "metric": "", BASELINE: ""}
    for intermediate in intermediates:
        values = group.loc[group["intermediate_task"] == intermediate, "gain"]
        complete = len(values) == len(targets)
        average[intermediate] = fmt(values.mean(), signed=True) if complete else "–"
    rows.append(average)
    seeds = range_text(group["gain_n"].astype(int))
    return Table(
        pd.DataFrame(rows),
        f"{encoder}: `none` = baseline score; other columns = gain in points, mean over "
        f"languages (English included, as XTREME averages) of intermediate − none, over "
        f"{seeds} seed(s) paired by seed; brackets: 95% t-interval across seeds (absent "
        "with one seed). `avg`: unweighted mean over target tasks (only where every task "
        "has the intermediate). QA tasks use F1 alone, not XTREME's (F1 + EM)/2.",
    )


def _gain_row(
    target: str, gains: pd.DataFrame, metrics: pd.Series, intermediates: Sequence[str]
) -> dict[str, str]:
    cells = gains.set_index("intermediate_task")
    row = {
        "target task": target,
        "metric": str(metrics.get(target, "")),
        BASELINE: fmt(cells["baseline_mean"].iloc[0]) if not cells.empty else "–",
    }
    for intermediate in intermediates:
        if intermediate in cells.index:
            c = cells.loc[intermediate]
            row[intermediate] = fmt_estimate(c["gain"], c["gain_ci_low"], c["gain_ci_high"])
        else:
            row[intermediate] = "–"
    return row


def language_tables_section(analysis: statistics.Analysis) -> list[Block]:
    """Every language's score per intermediate task, its gain and its gap to English."""
    return section(
        Heading("Per-language results", 2),
        analysis.robustness,
        "No per-language rows.",
        lambda table: _language_tables(table, analysis.covariates),
    )


def _language_tables(table: pd.DataFrame, covariates: pd.DataFrame) -> list[Block]:
    volume = covariates["volume"] if "volume" in covariates else pd.Series()
    unit = covariates.attrs.get("volume_unit", "")
    blocks: list[Block] = []
    for (encoder, target), group in table.groupby(["encoder", "target_task"], sort=True):
        metric = str(group["metric"].iloc[0])
        blocks.append(Heading(f"{target} ({encoder}, {metric})", 3))
        blocks.append(_language_table(group, volume, unit))
    return blocks


def _language_table(group: pd.DataFrame, volume: pd.Series, unit: str) -> Table:
    intermediates = sorted(group["intermediate_task"].unique(), key=lambda t: (t != BASELINE, t))
    languages = sorted(
        group["language"].unique(),
        key=lambda c: (c != robustness.SOURCE_LANGUAGE, -float(volume.get(c, -1.0)), c),
    )
    rows = [_language_row(group, language, intermediates, volume, unit) for language in languages]
    seeds = range_text(group["n_seeds"])
    return Table(
        pd.DataFrame(rows).fillna("–"),
        f"Mean ± standard deviation across {seeds} seed(s) (± absent with one seed); "
        "Δ = gain over none with its 95% t-interval across seeds, paired by seed; gap = "
        "English score − language score, per intermediate task. Languages ordered by "
        "pretraining volume.",
    )


def _language_row(
    group: pd.DataFrame,
    language: str,
    intermediates: Sequence[str],
    volume: pd.Series,
    unit: str,
) -> dict[str, str]:
    """Scores and gains first, then the gaps, so the eye reads one kind of number at a time."""
    row = {"language": language, f"volume ({unit})": fmt(volume.get(language, math.nan))}
    cells = {
        intermediate: group[
            (group["intermediate_task"] == intermediate) & (group["language"] == language)
        ]
        for intermediate in intermediates
    }
    for intermediate, cell in cells.items():
        row.update(_score_cells(intermediate, cell))
    for intermediate, cell in cells.items():
        row[f"gap {intermediate}"] = fmt(cell["gap_to_english"].iloc[0]) if not cell.empty else "–"
    return row


def _score_cells(intermediate: str, cell: pd.DataFrame) -> dict[str, str]:
    """'mean ± sd' of one intermediate task and, unless it is the baseline, its gain."""
    is_baseline = intermediate == BASELINE
    if cell.empty:
        return {intermediate: "–"} if is_baseline else {intermediate: "–", f"Δ {intermediate}": "–"}
    c = cell.iloc[0]
    spread = "" if math.isnan(c["seed_std"]) else f" ± {fmt(c['seed_std'])}"
    cells = {intermediate: f"{fmt(c['mean'])}{spread}"}
    if not is_baseline:
        cells[f"Δ {intermediate}"] = fmt_estimate(c["gain"], c["gain_ci_low"], c["gain_ci_high"])
    return cells


# --------------------------------------------------------------------------------------------
# Robustness


def robustness_section(analysis: statistics.Analysis) -> list[Block]:
    """The floor of transfer (worst language, bottom quintile) and the cost of selecting the
    checkpoint on English dev data rather than on the target language."""
    return [
        Heading("Robustness across languages and seeds", 2),
        _worst_languages_block(analysis),
        _selection_gap_block(analysis.selection_gaps),
    ]


def _worst_languages_block(analysis: statistics.Analysis) -> Block:
    worst = analysis.worst_languages
    if worst.empty:
        return Paragraph("No non-English languages: no worst language or bottom quintile.")
    spread = analysis.robustness.groupby(robustness.CELL)["seed_std"].mean()
    rows = [
        {
            "encoder": w["encoder"],
            "intermediate": w["intermediate_task"],
            "target": w["target_task"],
            "languages": str(int(w["n_languages"])),
            "worst (score)": f"{w['worst_language']} ({fmt(w['worst_score'])})",
            "bottom quintile": w["bottom_languages"],
            "bottom mean": fmt(w["bottom_mean"]),
            "bottom Δ vs none": fmt(w["bottom_gain"], signed=True),
            "mean seed sd": fmt(
                spread.get((w["encoder"], w["intermediate_task"], w["target_task"]), math.nan), 2
            ),
        }
        for _, w in worst.iterrows()
    ]
    return Table(
        pd.DataFrame(rows),
        "English excluded. Bottom quintile = the ceil(0.2 · n) lowest-scoring languages "
        "(at least one); bottom Δ = its mean minus the bottom-quintile mean of the `none` "
        "baseline (each over its own worst languages), i.e. whether intermediate "
        "training lifts the floor. Mean seed sd = average over languages of the standard "
        "deviation across seeds (– with one seed).",
    )


def _selection_gap_block(gaps: pd.DataFrame) -> Block:
    if gaps.empty:
        return Paragraph(
            "English-dev vs oracle selection: not estimable — the store has no configuration "
            "with both `en_dev` and `oracle` rows."
        )
    summary = gaps.groupby(robustness.CELL, as_index=False).agg(
        languages=("language", "nunique"),
        en_dev=("en_dev_mean", "mean"),
        oracle=("oracle_mean", "mean"),
        gap=("selection_gap", "mean"),
        largest=("selection_gap", "max"),
    )
    frame = pd.DataFrame(
        {
            "encoder": summary["encoder"],
            "intermediate": summary["intermediate_task"],
            "target": summary["target_task"],
            "languages": summary["languages"].astype(str),
            "en_dev": summary["en_dev"].map(fmt),
            "oracle": summary["oracle"].map(fmt),
            "oracle − en_dev": summary["gap"].map(lambda v: fmt(v, signed=True)),
            "largest (one language)": summary["largest"].map(lambda v: fmt(v, signed=True)),
        }
    )
    return Table(
        frame,
        "Cost of true zero-shot model selection (Keung et al. 2020): mean over languages "
        "of the oracle (target-dev) score minus the English-dev score, paired by seed.",
    )


# --------------------------------------------------------------------------------------------
# Method notes


def method_notes_section(analysis: statistics.Analysis) -> list[Block]:
    """How every number was computed, in one place, so captions can stay short."""
    items = [
        "Scores are the store's values (×100). One value per (encoder, intermediate, target, "
        "language, seed); a seed stored twice (e.g. by two studies) is averaged, not counted "
        "twice.",
        "Gain: intermediate − none, paired by seed where both exist (t-interval across the "
        "shared seeds); Welch interval when no seed is shared.",
        "Transfer gap: English mean − language mean, per configuration.",
        "English is the source language: it is excluded from worst-language, bottom-quintile, "
        "correlation and regression analyses (its distances are 0 by definition).",
        "Volume: log(volume) with an `unseen` indicator, so languages absent from pretraining "
        "(volume 0) stay in as controls without being squeezed next to 0.01-GiB languages.",
        "Distances: 1 − cosine similarity of URIEL/lang2vec vectors to English (syntax, "
        "phonology, inventory: k-NN-imputed sets; family; geography).",
        f"OLS needs >= {statistics.MIN_RESIDUAL_DF} residual degrees of freedom; correlations "
        f"need >= {statistics.MIN_CORRELATION_N} languages for a Fisher-z interval.",
        f"Selection `{analysis.selection}` where a task has it; tasks without a checkpoint "
        f"choice ({', '.join(robustness.NO_CHOICE_SELECTIONS)}) are used as stored.",
    ]
    return [Heading("Method notes", 2), Bullets(items)]
