"""Does transfer robustness depend on pretraining volume and on distance from English?

Joins the language-level robustness measures of :mod:`xstilts.analysis.robustness` with language
metadata — log(volume) with an ``unseen`` indicator from a pretraining table, and the five URIEL
distances to English (Lauscher et al. 2020, arXiv 2005.00633) — and estimates the association
several ways, because every one of them has a weakness with 5–40 languages:

- Pearson and Spearman correlations with 95% Fisher-z intervals (one predictor at a time; blind
  to collinearity between volume and typology) — :mod:`.correlations`;
- OLS per target task and pooled over target tasks with task fixed effects (coefficient CIs are
  t-intervals), with VIFs to show how collinear the predictors are and partial correlations that
  isolate each predictor — :mod:`.regressions`;
- a linear mixed model with a random intercept per language and task fixed effects, for the
  pooled data where the same language appears in several target tasks (OLS would treat those
  rows as independent), each row weighted by its bootstrap precision — :mod:`.mixed_model`,
  :mod:`.reml`; the OLS fits are precision-weighted too (inverse variance + between-language
  variance);
- leave-one-language-out prediction error, compared with predicting the mean, as an honest check
  of whether the predictors say anything about a language the model has not seen —
  :mod:`.leave_one_out`;
- scores, gains (over ``none`` and over the control intermediates) and gaps with intervals from
  a hierarchical bootstrap over seeds and test items, paired by item (:mod:`.bootstrap`,
  :mod:`.inference`), Holm/BH-adjusted p-values per declared family (:mod:`.multiplicity`) and
  the minimum detectable effect of each comparison (:mod:`.power`).

The covariates are looked up in :mod:`.covariates`; what the models share (measures,
specifications, design matrices, scopes) is in :mod:`.design`. :func:`analyse` runs everything.

Everything is reproducible from the store plus the package's language tables. Languages are the
unit of observation: each row is one language's mean over seeds in one configuration. English, the
source language, is left out of the fits by default: its distances are 0 by definition and its
volume is the largest, so it would be a leverage point that says nothing about transfer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from xstilts.analysis import robustness
from xstilts.analysis.statistics.correlations import (
    CORRELATION_METHOD,
    MIN_CORRELATION_N,
    correlations,
    fisher_interval,
    spearman_se,
)
from xstilts.analysis.statistics.covariates import (
    DISTANCES,
    PREDICTORS,
    VOLUME,
    VOLUME_UNITS,
    analysis_frame,
    language_covariates,
)
from xstilts.analysis.statistics.design import (
    COEFFICIENT_COLUMNS,
    CONFIDENCE,
    ID_COLUMNS,
    MEASURES,
    MIN_RESIDUAL_DF,
    MODEL_SPECS,
    POOLED,
    Design,
    build_design,
)
from xstilts.analysis.statistics.inference import Inference, infer, language_standard_errors
from xstilts.analysis.statistics.leave_one_out import leave_one_language_out
from xstilts.analysis.statistics.mixed_model import (
    MIXED_MIN_LANGUAGES,
    MIXED_MIN_REPEATED_LANGUAGES,
    MIXED_MODEL_COLUMNS,
    MixedResults,
    mixed_models,
)
from xstilts.analysis.statistics.regressions import (
    MODEL_COLUMNS,
    RegressionResults,
    fit_ols,
    ols_regressions,
    partial_effects,
    vif_table,
)
from xstilts.analysis.statistics.sensitivity import coding_sensitivity

__all__ = [
    "COEFFICIENT_COLUMNS",
    "CONFIDENCE",
    "CORRELATION_METHOD",
    "DISTANCES",
    "ID_COLUMNS",
    "MEASURES",
    "MIN_CORRELATION_N",
    "MIN_RESIDUAL_DF",
    "MIXED_MIN_LANGUAGES",
    "MIXED_MIN_REPEATED_LANGUAGES",
    "MIXED_MODEL_COLUMNS",
    "MODEL_COLUMNS",
    "MODEL_SPECS",
    "POOLED",
    "PREDICTORS",
    "VOLUME",
    "VOLUME_UNITS",
    "Analysis",
    "Design",
    "Inference",
    "MixedResults",
    "RegressionResults",
    "analyse",
    "analysis_frame",
    "build_design",
    "coding_sensitivity",
    "correlations",
    "fisher_interval",
    "fit_ols",
    "infer",
    "language_covariates",
    "leave_one_language_out",
    "mixed_models",
    "ols_regressions",
    "partial_effects",
    "spearman_se",
    "vif_table",
]


@dataclass
class Analysis:
    """Every table of one analysis, reproducible from the store rows and the language tables."""

    rows: pd.DataFrame
    selection: str
    split: str
    pretraining: str
    robustness: pd.DataFrame
    task_gains: pd.DataFrame
    worst_languages: pd.DataFrame
    selection_gaps: pd.DataFrame
    covariates: pd.DataFrame
    frame: pd.DataFrame
    correlations: pd.DataFrame
    ols: RegressionResults
    vif: pd.DataFrame
    partial: pd.DataFrame
    mixed: MixedResults
    lolo: pd.DataFrame
    inference: Inference
    coding_sensitivity: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def analyse(
    rows: pd.DataFrame,
    pretraining: str | Path = "cc100",
    selection: str = "en_dev",
    split: str = "test",
    covariates: pd.DataFrame | None = None,
    confidence: float = CONFIDENCE,
    items: pd.DataFrame | None = None,
    resamples: int = 10_000,
) -> Analysis:
    """Run the whole analysis on store rows (``ResultStore.frame()``) and, where stored, the
    per-item scores (``ResultStore.items()``: item-level intervals; without them, seeds only).

    ``covariates`` replaces the package's language tables (volume, log_volume, distances indexed
    by language) — for tests with constructed data, or for a study's own metadata.
    """
    chosen = robustness.select_rows(rows, split=split, selection=selection)
    table = robustness.robustness_table(chosen, confidence)
    if covariates is None:
        languages = sorted(set(table["language"])) if not table.empty else []
        covariates = language_covariates(languages, pretraining)
    inference = infer(chosen, items, resamples=resamples)
    frame = analysis_frame(_with_standard_errors(table, inference), covariates)
    ols = ols_regressions(frame, confidence=confidence)
    return Analysis(
        rows=rows,
        selection=selection,
        split=split,
        pretraining=str(pretraining),
        robustness=table,
        task_gains=robustness.task_gains(chosen, confidence),
        worst_languages=robustness.worst_languages(chosen),
        selection_gaps=robustness.selection_gaps(rows, split),
        covariates=covariates,
        frame=frame,
        correlations=correlations(frame, confidence=confidence),
        ols=ols,
        vif=vif_table(covariates, _language_sets(frame)),
        partial=partial_effects(frame, ols, confidence=confidence),
        mixed=mixed_models(frame, confidence=confidence),
        lolo=leave_one_language_out(frame),
        inference=inference,
        coding_sensitivity=coding_sensitivity(frame, confidence=confidence),
        notes=list(covariates.attrs.get("notes", [])),
    )


def _with_standard_errors(table: pd.DataFrame, inference: Inference) -> pd.DataFrame:
    """The robustness table with the bootstrap SE of each language's gain and gap (the
    precision weights of the regressions); a measure without them is fitted unweighted."""
    errors = language_standard_errors(inference)
    if table.empty or errors.empty:
        return table
    return table.merge(errors, on=list(robustness.KEY), how="left")


def _language_sets(frame: pd.DataFrame) -> dict[str, list[str]]:
    """The languages of each target task, and of all tasks together where there are several:
    collinearity is judged over the languages each model actually sees."""
    language_sets: dict[str, list[str]] = {
        str(target): sorted(set(group["language"]))
        for target, group in frame.groupby("target_task", sort=True)
    }
    if len(language_sets) > 1:
        language_sets["all tasks"] = sorted(set(frame["language"]))
    return language_sets
