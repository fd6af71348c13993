"""A linear mixed model with a random intercept per language, pooled over target tasks,
weighted by each row's precision.

When the same language appears in several target tasks, the pooled OLS counts it as several
independent observations and its intervals are too narrow if languages differ beyond the
predictors. The random intercept accounts for that — but only where the language variance can
be estimated at all, which with 5–40 languages is often not the case; then the model says why
and the pooled OLS is the estimate to read. Each row's known sampling variance (the bootstrap
over seeds and items) enters its weight next to the language and residual variances
(:mod:`.reml`): language random effects, task fixed effects, inverse-variance weights.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from xstilts.analysis.statistics.design import (
    CONFIDENCE,
    ID_COLUMNS,
    MEASURES,
    MODEL_SPECS,
    Design,
    ModelCase,
    Record,
    coefficient_rows,
    fit_models,
    mixed_scopes,
)
from xstilts.analysis.statistics.reml import fit_random_intercept

MIXED_MIN_LANGUAGES = 8
"""A random-intercept variance estimated from fewer than ~8 groups is unreliable (it is often
estimated at the boundary 0), so the mixed model needs at least this many languages..."""
MIXED_MIN_REPEATED_LANGUAGES = 4
"""...and at least this many languages observed in two or more target tasks: if every language
appears once, the language variance cannot be told apart from the residual variance."""

MIXED_MODEL_COLUMNS = [
    *ID_COLUMNS,
    "status",
    "reason",
    "n",
    "n_languages",
    "n_repeated_languages",
    "language_variance",
    "residual_variance",
    "weights",
    "converged",
]


@dataclass
class MixedResults:
    """Mixed-model output: coefficients of fitted models, and a status row for every model."""

    coefficients: pd.DataFrame
    models: pd.DataFrame


def mixed_models(
    frame: pd.DataFrame,
    measures: Sequence[str] = tuple(MEASURES),
    specs: Mapping[str, Sequence[str]] = MODEL_SPECS,
    confidence: float = CONFIDENCE,
) -> MixedResults:
    """REML random-intercept model per language, pooled over target tasks, each row weighted
    by its known sampling variance where the design carries one (:mod:`.reml`).

    Same fixed part as the pooled OLS (predictors + task fixed effects), so the two can be read
    side by side: the random intercept accounts for one language appearing in several tasks.
    Fitted only with >= :data:`MIXED_MIN_LANGUAGES` languages of which >=
    :data:`MIXED_MIN_REPEATED_LANGUAGES` appear in two or more tasks; otherwise — or when the
    optimiser fails or does not converge — ``status`` is ``"skipped"``/``"failed"`` with the
    reason, and the pooled OLS is the fallback to read. Coefficient CIs are Wald (normal).
    """
    fit = partial(_mixed_model, alpha=1.0 - confidence)
    coefficients, models = fit_models(
        frame, measures, specs, mixed_scopes, fit, MIXED_MODEL_COLUMNS
    )
    return MixedResults(coefficients=coefficients, models=models)


def _mixed_model(case: ModelCase, alpha: float) -> tuple[Record, list[Record]]:
    """The status row of one case and, if it could be fitted, its coefficient rows."""
    per_language = case.design.languages.value_counts()
    record = _model_record(case, per_language)
    reason = case.problem or _too_few_languages(per_language)
    if reason:
        record["reason"] = reason
        return record, []
    coefficients = _fit_mixed(case.design, case.ids, record, alpha)
    return record, coefficients


def _model_record(case: ModelCase, per_language: pd.Series) -> dict[str, object]:
    """The status row of a model before fitting: counts filled in, status "skipped"."""
    return {
        **case.ids,
        "n": len(case.design.y),
        "n_languages": int(per_language.size),
        "n_repeated_languages": int((per_language >= 2).sum()),
        "language_variance": math.nan,
        "residual_variance": math.nan,
        "weights": "none" if case.design.variances is None else "inverse variance",
        "converged": False,
        "status": "skipped",
        "reason": "",
    }


def _too_few_languages(per_language: pd.Series) -> str:
    """Why the language variance cannot be estimated from these languages ("" if it can);
    ``per_language`` counts the rows of each language."""
    languages, repeated = per_language.size, int((per_language >= 2).sum())
    if languages < MIXED_MIN_LANGUAGES:
        return (
            f"{languages} languages: a language variance needs at least "
            f"{MIXED_MIN_LANGUAGES}; read the pooled OLS instead"
        )
    if repeated < MIXED_MIN_REPEATED_LANGUAGES:
        return (
            f"only {repeated} languages appear in 2+ target "
            f"tasks (need {MIXED_MIN_REPEATED_LANGUAGES}): the language variance "
            "cannot be separated from the residual; read the pooled OLS instead"
        )
    return ""


def _fit_mixed(
    design: Design, ids: Mapping[str, str], record: dict[str, object], alpha: float
) -> list[dict[str, object]]:
    """Fit one model; fill ``record`` (status, reason, variances); return coefficient rows."""
    from scipy import stats

    try:
        result = fit_random_intercept(design.y, design.X, design.languages, design.variances)
    except (np.linalg.LinAlgError, ValueError) as error:
        record["status"] = "failed"
        record["reason"] = f"fit failed ({error}); read the pooled OLS"
        return []
    record["converged"] = result.converged
    record["language_variance"] = result.language_variance
    record["residual_variance"] = result.residual_variance
    if not result.converged:
        record["status"] = "failed"
        record["reason"] = "did not converge; read the pooled OLS"
        return []
    record["status"] = "fitted"
    se = result.se
    with np.errstate(divide="ignore", invalid="ignore"):
        z = result.coef / se
    half = float(stats.norm.ppf(1 - alpha / 2)) * se
    intervals = pd.DataFrame({0: result.coef - half, 1: result.coef + half})
    p_value = pd.Series(2 * stats.norm.sf(np.abs(z)), index=result.coef.index)
    record["reason"] = _fit_notes(result.language_variance, se)
    fit = {"coef": result.coef, "se": se, "p_value": p_value}
    return coefficient_rows(ids, design, fit, intervals, df_resid=math.nan)


def _fit_notes(language_variance: float, se: pd.Series) -> str:
    """What a reader must know about a fitted model that nonetheless converged."""
    notes: list[str] = []
    if language_variance < 1e-8:
        notes.append("language variance at the boundary 0: no language effect beyond the rows")
    if not np.isfinite(np.asarray(se, dtype=float)).all():
        notes.append("some standard errors undefined (singular information matrix)")
    return "; ".join(notes)
