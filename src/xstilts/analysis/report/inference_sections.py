"""Sections written from :mod:`xstilts.analysis.statistics.inference`: the findings, the
comparisons over ``none`` and over the controls, the declared families of tests, and power.

The findings are the sentences of :mod:`xstilts.analysis.claims` — the README's demo block calls
the same function — so no sentence here claims more than its interval supports.
"""

from __future__ import annotations

import math

import pandas as pd

from xstilts.analysis import claims, statistics
from xstilts.analysis.report.blocks import Block, Bullets, Heading, Paragraph, Table
from xstilts.analysis.report.formatting import fmt, fmt_estimate, fmt_p
from xstilts.analysis.statistics import multiplicity, power
from xstilts.analysis.statistics.inference import ZERO_SHOT, is_control

NO_CONTROLS = (
    "No control intermediate in this study (`task@shuffled`: same data and steps, labels "
    "permuted; `task@mlm-control`: masked-LM on the task's English inputs for the same steps): "
    "a gain over `none` cannot be told apart from the effect of more fine-tuning."
)


def findings_section(analysis: statistics.Analysis) -> list[Block]:
    """The claims, each with effect, interval, n and adjusted p (or "not supported")."""
    result = analysis.inference
    sentences = claims.claim_sentences(result)
    blocks: list[Block] = [Heading("Findings", 2)]
    if not sentences:
        return [*blocks, Paragraph("No comparison to report: no intermediate next to `none`.")]
    blocks.append(
        Paragraph(
            "Each finding averages the gain over the zero-shot languages (English, the training "
            "language, is not transfer). Intervals come from a hierarchical bootstrap over seeds "
            "and test items, paired by item and seed; p-values are Holm-adjusted over the "
            "family of these findings."
        )
    )
    blocks.append(Bullets(sentences))
    configs = set(result.comparisons.get("intermediate_task", pd.Series(dtype=str)))
    if not any(is_control(str(c)) for c in configs):
        blocks.append(Paragraph(NO_CONTROLS))
    return blocks


def comparisons_section(analysis: statistics.Analysis) -> list[Block]:
    """Every comparison, with raw and adjusted p and the minimum detectable effect."""
    table = analysis.inference.comparisons
    blocks: list[Block] = [Heading("Gains over `none` and over the controls", 2)]
    if table.empty:
        return [*blocks, Paragraph("No comparison: the store has no intermediate next to `none`.")]
    blocks.append(_families_block(analysis.inference.families))
    for (target, scope_is_mean), group in table.groupby(
        ["target_task", table["language"] == ZERO_SHOT], sort=True
    ):
        what = "zero-shot mean (confirmatory)" if scope_is_mean else "per language (exploratory)"
        blocks.append(Table(_comparison_frame(group), caption=f"{target}: gains, {what}."))
    return blocks + language_intervals_section(analysis)


def language_intervals_section(analysis: statistics.Analysis) -> list[Block]:
    """Each language's score and gap to English with its item + seed bootstrap interval."""
    result = analysis.inference
    blocks: list[Block] = [Heading("Per-language scores and gaps with item-level intervals", 3)]
    if result.scores.empty:
        return [*blocks, Paragraph("No scores to show.")]
    for target, group in result.scores.groupby("target_task", sort=True):
        gaps = result.gaps[result.gaps["target_task"] == target] if not result.gaps.empty else None
        blocks.append(Table(_wide(group), caption=f"{target}: score [95% CI] per language."))
        if gaps is not None and not gaps.empty:
            caption = f"{target}: gap to English (English − language) [95% CI]."
            blocks.append(Table(_wide(gaps), caption=caption))
    return blocks + _floors_blocks(result.floors)


def _floors_blocks(floors: pd.DataFrame) -> list[Block]:
    """Worst language and bottom quintile with intervals: does the intermediate lift the floor?"""
    if floors.empty:
        return []
    frame = pd.DataFrame(
        {
            "target": floors["target_task"],
            "intermediate": floors["intermediate_task"],
            "measure": floors["measure"],
            "languages": [
                f"{int(n)} of {int(m)}"
                for n, m in zip(floors["n_languages"], floors["of_languages"], strict=True)
            ],
            "score [95% CI]": _estimates(floors, "estimate", "ci_low", "ci_high"),
            "gain over none [95% CI]": _estimates(floors, "gain", "gain_ci_low", "gain_ci_high"),
        }
    )
    caption = (
        "The floor of zero-shot transfer: the worst language's score and the bottom-quintile "
        "mean, the languages re-ranked in every bootstrap resample (percentile intervals)."
    )
    return [Table(frame.reset_index(drop=True), caption=caption)]


def _estimates(table: pd.DataFrame, value: str, low: str, high: str) -> list[str]:
    columns = (table[value], table[low], table[high])
    return [fmt_estimate(e, lo, hi) for e, lo, hi in zip(*columns, strict=True)]


def _wide(table: pd.DataFrame) -> pd.DataFrame:
    cells = table.assign(
        cell=[
            fmt_estimate(e, lo, hi)
            for e, lo, hi in zip(table["estimate"], table["ci_low"], table["ci_high"], strict=True)
        ]
    )
    wide = cells.pivot_table(
        index="language", columns="intermediate_task", values="cell", aggfunc="first", sort=False
    )
    return wide.reset_index().rename(columns={"language": "language"})


def _families_block(families: pd.DataFrame) -> Block:
    items = [
        f"{row['family']}: {row['kind']}, {int(row['size'])} tests, adjusted with "
        + (
            "Holm (family-wise error)"
            if row["adjustment"] == "holm"
            else "Benjamini–Hochberg (FDR)"
        )
        for _, row in families.iterrows()
    ]
    return Bullets(["Families of tests declared by this report:", *items])


def _comparison_frame(group: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "intermediate": group["intermediate_task"],
            "vs": group["reference"],
            "languages": group["language"],
            "gain [95% CI]": [
                fmt_estimate(g, lo, hi)
                for g, lo, hi in zip(
                    group["estimate"], group["ci_low"], group["ci_high"], strict=True
                )
            ],
            "items": group["n_items"].astype(int).astype(str),
            "seeds": group["n_seeds"].astype(int).astype(str),
            "p": group["p_value"].map(fmt_p),
            "p adjusted": group["p_adjusted"].map(fmt_p),
            "MDE (80%)": group["mde"].map(fmt),
            "uncertainty": group["uncertainty"],
        }
    ).reset_index(drop=True)


def power_section(analysis: statistics.Analysis) -> list[Block]:
    """Could this study have detected effects of the size the literature reports?"""
    table = analysis.inference.comparisons
    blocks: list[Block] = [Heading("Power", 2)]
    if table.empty:
        return [*blocks, Paragraph("No comparison, so no power statement.")]
    means = table[table["language"] == ZERO_SHOT]
    items: list[str] = []
    for target, group in means.groupby("target_task", sort=True):
        smallest = group["mde"].min()
        family = _family_of(str(target))
        if math.isnan(smallest):
            items.append(f"{target}: no variance estimate, so no minimum detectable effect.")
            continue
        sentence = (
            f"{target}: the smallest gain this study can detect at 80% power (two-sided, "
            f"α = 0.05) is {smallest:.1f} points"
        )
        reference = power.REFERENCE_EFFECTS.get(family)
        if power.too_small(float(smallest), family) and reference is not None:
            sentence += (
                f": the study is too small to detect X-STILTs-sized effects ({reference[1]})"
            )
        items.append(sentence + ".")
    blocks.append(
        Paragraph(
            "Minimum detectable effect = (t(0.975) + t(0.8)) × SE of the comparison, with the SE "
            "from the observed seed and item variance (more seeds and more test items shrink it)."
        )
    )
    return [*blocks, Bullets(items)]


def _family_of(target: str) -> str:
    from xstilts.tasks.registry import TASKS

    spec = TASKS.get(target)
    return spec.family if spec is not None else ""


def model_checks_section(analysis: statistics.Analysis) -> list[Block]:
    """How each fitted model was weighted and its errors computed, the permutation check of the
    volume slope, and the slope under each volume coding."""
    models = analysis.ols.models
    fitted = models[models["status"] == "fitted"] if not models.empty else models
    blocks: list[Block] = [Heading("Model checks: weights, robust errors, permutation, coding", 3)]
    if fitted.empty:
        return [*blocks, Paragraph("No fitted model to check.")]
    fitted = _with_adjusted_volume_p(fitted, analysis.ols.coefficients)
    blocks.append(
        Table(
            pd.DataFrame(
                {
                    "scope": fitted["scope"],
                    "intermediate": fitted["intermediate_task"],
                    "target": fitted["target_task"],
                    "measure": fitted["measure"],
                    "model": fitted["model"],
                    "weights": fitted["weights"],
                    "standard errors": fitted["se_type"],
                    "volume p": fitted["p_value"].map(fmt_p),
                    "volume p (BH)": fitted["p_adjusted"].map(fmt_p),
                    "volume p (permutation)": fitted["volume_p_permutation"].map(fmt_p),
                }
            ).reset_index(drop=True),
            "Volume p: the volume slope's t-test (CR2 for pooled fits); BH: adjusted over every "
            "volume slope of this table (one exploratory family). Permutation p: the volume "
            "values are permuted between languages (a language keeps its rows), 999 times; it "
            "does not rest on the normal approximation.",
        )
    )
    return blocks + _coding_block(analysis.coding_sensitivity)


def _with_adjusted_volume_p(fitted: pd.DataFrame, coefficients: pd.DataFrame) -> pd.DataFrame:
    """Fitted models with their volume slope's p and its Benjamini–Hochberg adjustment."""
    ids = statistics.ID_COLUMNS
    volume = coefficients[coefficients["term"] == statistics.VOLUME][[*ids, "p_value"]]
    joined = fitted.merge(volume, on=ids, how="left")
    adjusted = multiplicity.adjust_family(
        joined, "regression volume slopes", multiplicity.EXPLORATORY
    )
    return adjusted


def _coding_block(table: pd.DataFrame) -> list[Block]:
    if table.empty:
        return [Paragraph("No volume-coding sensitivity: no model with volume could be fitted.")]
    frame = pd.DataFrame({
        "scope": table["scope"], "intermediate": table["intermediate_task"],
        "target": table["target_task"], "coding": table["coding"],
        "slope [95% CI]": [
            fmt_estimate(c, lo, hi, 2)
            for c, lo, hi in zip(table["coef"], table["ci_low"], table["ci_high"], strict=True)
        ],
        "p": table["p_value"].map(fmt_p),
    }).reset_index(drop=True)  # fmt: skip
    return [
        Table(
            frame,
            "The gain's volume slope under each coding of volume: log(volume) + unseen "
            "indicator (used throughout), log(1 + volume), and log(tokens) + unseen where the "
            "volume table has token counts. A sign or interval that changes with the coding is "
            "a property of the coding, not of the languages.",
        )
    ]
