"""Sections on the statistics: correlations, OLS, collinearity, the mixed model and
leave-one-language-out prediction.

Each estimate comes with its interval and the number of languages behind it, and the headline
questions ("does the gain grow with volume?") are answered in words by
:func:`~xstilts.analysis.report.formatting.describe_interval`, including when the data cannot
tell. Every model that could not be estimated is listed with its reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import pandas as pd

from xstilts.analysis import statistics
from xstilts.analysis.report.blocks import Block, Bullets, Heading, Paragraph, Table, section
from xstilts.analysis.report.formatting import describe_interval, fmt, range_text
from xstilts.analysis.report.wide_tables import (
    CELL_INDEX,
    Summary,
    coefficient_table,
    estimate_cell,
    first_count,
    pivot,
    reasons,
    target_label,
)

fmt2 = partial(fmt, digits=2)

# --------------------------------------------------------------------------------------------
# Correlations


def correlation_section(analysis: statistics.Analysis) -> list[Block]:
    """Pearson and Spearman tables, and the volume–gain question answered in words."""
    return section(
        Heading("Correlations with pretraining volume and typology", 3),
        analysis.correlations,
        "No correlations: no robustness measure could be paired with covariates.",
        _correlation_blocks,
    )


def _correlation_blocks(corr: pd.DataFrame) -> list[Block]:
    blocks: list[Block] = []
    index = {"measure": "measure", **CELL_INDEX}
    extra = {"n": lambda g: range_text(g["n"].astype(int)), "note": reasons}
    for name, prefix, statistic in (
        ("Pearson r", "pearson", "pearson_r"),
        ("Spearman ρ", "spearman", "spearman_rho"),
    ):
        cell = estimate_cell(statistic, f"{prefix}_ci_low", f"{prefix}_ci_high", 2)
        blocks.append(
            Table(
                pivot(corr, index, "predictor", cell, extra),
                f"{name} [95% CI] of each measure with each predictor; one observation per "
                "non-English language (mean over seeds). Intervals: "
                f"{statistics.CORRELATION_METHOD}. No correction for the many comparisons: read "
                "the intervals, not individual p-values.",
            )
        )
    volume = corr[(corr["predictor"] == statistics.VOLUME) & (corr["measure"] == "gain")]
    sentences = [_volume_correlation_sentence(c) for _, c in volume.iterrows()]
    if sentences:
        blocks.append(Paragraph("**Does the gain grow with pretraining volume?**"))
        blocks.append(Bullets(sentences))
    return blocks


def _volume_correlation_sentence(c: pd.Series) -> str:
    interval = describe_interval(
        c["pearson_ci_low"],
        c["pearson_ci_high"],
        int(c["n"]),
        "the correlation of the gain with log volume",
    )
    estimate = (
        f"Pearson r = {fmt(c['pearson_r'], 2)}."
        if not math.isnan(c["pearson_r"])
        else f"no correlation ({c['reason']})."
    )
    return f"{c['intermediate_task']} → {c['target_task']} ({c['encoder']}): {estimate} {interval}"


# --------------------------------------------------------------------------------------------
# OLS


def regression_section(analysis: statistics.Analysis) -> list[Block]:
    """The OLS coefficient table, the volume slope of the gain in words, and what was skipped."""
    ols = analysis.ols
    unit = analysis.covariates.attrs.get("volume_unit", "volume units")
    blocks: list[Block] = [Heading("Regressions (OLS)", 3)]
    if ols.coefficients.empty:
        blocks.append(Paragraph("No OLS model could be estimated (reasons below)."))
    else:
        blocks.append(
            Table(
                coefficient_table(ols.coefficients, ols.models, with_r2=True),
                "Coefficient [95% CI] in points of the measure per unit of the predictor (log "
                f"volume: per unit of log({unit}); distances: per unit distance, 0–1); "
                "t-intervals with the model's residual df; gains are weighted by their precision "
                "(inverse bootstrap variance + between-language variance) and regressed with the "
                "baseline score as covariate. Scope `task`: one target task, one row per "
                "language; `pooled`: all target tasks of an intermediate task with task fixed "
                "effects (not shown) and CR2 standard errors clustered by language "
                "(Bell–McCaffrey df). Volume and the distances are collinear (see VIF), so "
                "in `volume+distances` each coefficient is the effect with the others held "
                "fixed, and its interval is wider than alone.",
            )
        )
        blocks += _volume_slopes(ols.coefficients, unit)
    skipped = _skipped_frame(ols.models)
    if not skipped.empty:
        blocks.append(Table(skipped, "OLS models that were not estimated, and why."))
    return blocks


def _volume_slopes(coefficients: pd.DataFrame, unit: str) -> list[Block]:
    rows = coefficients[
        (coefficients["term"] == statistics.VOLUME) & (coefficients["measure"] == "gain")
    ]
    sentences = [_volume_slope_sentence(c, unit) for _, c in rows.iterrows()]
    if not sentences:
        return []
    return [Paragraph("**The gain's slope on log volume, in words:**"), Bullets(sentences)]


def _volume_slope_sentence(c: pd.Series, unit: str) -> str:
    interval = describe_interval(
        c["ci_low"], c["ci_high"], int(c["n_languages"]), "the slope", " points"
    )
    caveat = (
        " Pooled: CR2 errors clustered by language, so a language's tasks are not counted as "
        "independent evidence."
        if c["scope"] == "pooled"
        else ""
    )
    return (
        f"{c['intermediate_task']} → {target_label(c['target_task'])} "
        f"({c['model']}): slope {fmt(c['coef'], 2)} points per unit "
        f"log({unit}). {interval}{caveat}"
    )


def _skipped_frame(models: pd.DataFrame) -> pd.DataFrame:
    skipped = models[models["status"] != "fitted"]
    return pd.DataFrame(
        {
            "scope": skipped["scope"],
            "intermediate": skipped["intermediate_task"],
            "target": skipped["target_task"].map(target_label),
            "measure": skipped["measure"],
            "model": skipped["model"],
            "why not": skipped["reason"],
        }
    )


# --------------------------------------------------------------------------------------------
# Collinearity and partial effects


PARTIAL_INDEX = {"measure": "measure", "intermediate_task": "intermediate", "target_task": "target"}


def collinearity_section(analysis: statistics.Analysis) -> list[Block]:
    """VIFs, then each predictor with the others held fixed: partial r and effect over range."""
    return [
        Heading("Collinearity (VIF) and partial effects", 3),
        _vif_block(analysis.vif),
        *_partial_tables(analysis.partial),
    ]


def _partial_tables(partial_effects: pd.DataFrame) -> list[Block]:
    if partial_effects.empty:
        return []

    def wide(cell: Callable[[pd.Series], str], extra: dict[str, Summary]) -> pd.DataFrame:
        return pivot(partial_effects, PARTIAL_INDEX, "predictor", cell, extra)

    blocks: list[Block] = [
        Table(
            wide(
                estimate_cell("partial_r", "partial_ci_low", "partial_ci_high", 2),
                {"n": first_count("n"), "note": reasons},
            ),
            "Partial r [95% CI]: correlation of the measure with one predictor after "
            "removing the other usable predictors from both (Fisher z, SE 1/sqrt(n − 3 − k) "
            "with k controls).",
        )
    ]
    if partial_effects["effect_over_range"].notna().any():
        blocks.append(
            Table(
                wide(
                    estimate_cell("effect_over_range", "effect_ci_low", "effect_ci_high"),
                    {"n": first_count("n")},
                ),
                "Effect over the observed range [95% CI], in points: the full-model OLS "
                "coefficient × (max − min of the predictor) — the predicted difference between "
                "the languages lowest and highest on that predictor, the others held fixed.",
            )
        )
    return blocks


def _vif_block(vif: pd.DataFrame) -> Block:
    if vif.empty:
        return Paragraph("No VIF: no usable predictors.")
    frame = pivot(
        vif,
        {"languages": "languages of"},
        "predictor",
        lambda v: fmt2(v["vif"]),
        {"n": first_count("n_languages"), "note": reasons},
    )
    return Table(
        frame,
        "VIF = 1/(1 − R²) of each predictor regressed on the others, one row per "
        f"language. {_vif_verdict(vif['vif'].dropna())}",
    )


def _vif_verdict(finite: pd.Series) -> str:
    if finite.empty:
        return "No VIF could be computed: too few languages."
    if (finite > 10).any():
        return (
            "Some predictors are strongly collinear (VIF > 10): their separate coefficients "
            "are poorly determined; only their joint effect is."
        )
    return "No VIF exceeds 10, the usual warning level."


# --------------------------------------------------------------------------------------------
# Mixed model and leave-one-language-out


def mixed_section(analysis: statistics.Analysis) -> list[Block]:
    """The mixed model's coefficients where it could be fitted, and every model's status."""
    mixed = analysis.mixed
    blocks: list[Block] = [
        Heading("Mixed model (random intercept per language)", 3),
        Paragraph(
            "Pooled over target tasks with task fixed effects, like the pooled OLS, plus a "
            "random intercept per language, because one language in several tasks is not "
            f"several independent observations. Fitted only with >= "
            f"{statistics.MIXED_MIN_LANGUAGES} languages, >= "
            f"{statistics.MIXED_MIN_REPEATED_LANGUAGES} of them in two or more target tasks; "
            "otherwise the pooled OLS is the estimate to read. Each row is weighted by its "
            "precision: its bootstrap variance over seeds and items enters next to the "
            "language and residual variances (a multilevel meta-regression). REML; Wald 95% CIs."
        ),
    ]
    if not mixed.coefficients.empty:
        blocks.append(
            Table(
                coefficient_table(mixed.coefficients, mixed.models, with_r2=False),
                "Fixed-effect coefficients [95% CI]; task fixed effects and intercept not shown.",
            )
        )
    if mixed.models.empty:
        blocks.append(Paragraph("No data for a mixed model."))
    else:
        blocks.append(
            Table(
                _mixed_status_frame(mixed.models),
                "Every mixed model, fitted or not, with the reason.",
            )
        )
    return blocks


def _mixed_status_frame(models: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "intermediate": models["intermediate_task"],
            "measure": models["measure"],
            "model": models["model"],
            "status": models["status"],
            "weights": models["weights"],
            "languages (in 2+ tasks)": [
                f"{a} ({b})"
                for a, b in zip(models["n_languages"], models["n_repeated_languages"], strict=True)
            ],
            "language var.": models["language_variance"].map(fmt2),
            "residual var.": models["residual_variance"].map(fmt2),
            "note": models["reason"],
        }
    )


def lolo_section(analysis: statistics.Analysis) -> list[Block]:
    """Out-of-sample RMSE per model against predicting the mean, with a one-line verdict."""
    return section(
        Heading("Leave-one-language-out prediction", 3),
        analysis.lolo,
        "No model to cross-validate.",
        lambda lolo: [_lolo_table(lolo)],
    )


def _lolo_table(lolo: pd.DataFrame) -> Table:
    frame = pd.DataFrame(
        {
            "scope": lolo["scope"],
            "intermediate": lolo["intermediate_task"],
            "target": lolo["target_task"].map(target_label),
            "measure": lolo["measure"],
            "model": lolo["model"],
            "languages": lolo["n_languages"].astype(str),
            "RMSE": lolo["rmse"].map(fmt2),
            "RMSE (mean only)": lolo["rmse_null"].map(fmt2),
            "skill": lolo["skill"].map(fmt2),
            "note": lolo["reason"],
        }
    )
    fitted = lolo[lolo["status"] == "fitted"]
    helped = int((fitted["skill"] > 0).sum())
    verdict = (
        f"{helped} of {len(fitted)} cross-validated models have positive skill."
        if len(fitted)
        else "No model could be cross-validated (too few languages)."
    )
    return Table(
        frame,
        "Each language is predicted by a model fitted on the others (all its tasks held out "
        "in the pooled scope). RMSE (mean only): the same with intercept and task effects "
        "only. Skill = 1 − RMSE/RMSE(mean only): above 0 the predictors help for an unseen "
        f"language. {verdict}",
    )
