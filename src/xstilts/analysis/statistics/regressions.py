"""OLS of each robustness measure on the language covariates, with the collinearity diagnostics
that say how far its coefficients can be read one at a time.

Per target task, one row per language; pooled over target tasks with task fixed effects, where a
configuration has several. Volume and the typological distances are correlated across the
languages a study happens to sample, so next to the coefficients come the VIFs (how collinear)
and the partial correlations and effects over the observed range (each predictor with the
others held fixed, in units a reader can picture).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from xstilts.analysis.statistics.cluster_robust import cr2, permutation_p_value
from xstilts.analysis.statistics.covariates import PREDICTORS, VOLUME
from xstilts.analysis.statistics.design import (
    CONFIDENCE,
    ID_COLUMNS,
    MEASURES,
    MODEL_SPECS,
    PREDICTOR_ID_COLUMNS,
    Design,
    ModelCase,
    Record,
    build_design,
    coefficient_rows,
    configurations,
    fit_models,
    task_and_pooled_scopes,
)

MODEL_COLUMNS = [
    *ID_COLUMNS,
    "status",
    "reason",
    "n",
    "n_languages",
    "n_params",
    "df_resid",
    "r2",
    "adj_r2",
    "dropped",
    "weights",
    "se_type",
    "volume_p_permutation",
]
PERMUTATIONS = 999


# --------------------------------------------------------------------------------------------
# OLS


@dataclass
class RegressionResults:
    """Tidy OLS output: one row per coefficient, and one row per model (fitted or skipped)."""

    coefficients: pd.DataFrame
    models: pd.DataFrame


def fit_ols(design: Design, weights: np.ndarray | None = None) -> Any:
    """statsmodels OLS (WLS with ``weights``) on a design (perfect-fit warnings silenced)."""
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if weights is None:
            return sm.OLS(design.y, design.X).fit()
        return sm.WLS(design.y, design.X, weights=weights).fit()


def precision_weights(design: Design) -> np.ndarray | None:
    """Inverse-variance weights 1 / (v_i + tau²), or None without per-language variances.

    v_i is the sampling variance of a language's measure (bootstrap over seeds and items); tau²
    is the between-language variance the predictors leave, by the method of moments from the
    unweighted fit (residual variance minus the mean sampling variance, at least 0) — the
    random-effects meta-regression weights (DerSimonian & Laird 1986; Raudenbush 2009 in the
    Handbook of Research Synthesis), so a precise language counts more without letting its
    sampling precision pretend the languages agree more than they do.
    """
    if design.variances is None:
        return None
    variances = design.variances.to_numpy(float)
    residual = fit_ols(design).resid.to_numpy(float)
    dof = max(len(residual) - design.X.shape[1], 1)
    tau2 = max(0.0, float(residual @ residual) / dof - float(variances.mean()))
    return 1.0 / (variances + tau2)


def ols_regressions(
    frame: pd.DataFrame,
    measures: Sequence[str] = tuple(MEASURES),
    specs: Mapping[str, Sequence[str]] = MODEL_SPECS,
    confidence: float = CONFIDENCE,
) -> RegressionResults:
    """OLS of each measure on each predictor specification, per task and pooled.

    Per task: one row per language. Pooled (only when a configuration has several target tasks):
    all target tasks of one (encoder, intermediate) with task fixed effects. Coefficient CIs are
    t-intervals with the model's residual df. ``std_coef`` = coef · sd(x) / sd(y), comparable
    across predictors with different units. Models that cannot be estimated are listed in
    ``models`` with ``status="skipped"`` and the reason.
    """
    fit = partial(_ols_model, alpha=1.0 - confidence)
    coefficients, models = fit_models(
        frame, measures, specs, task_and_pooled_scopes, fit, MODEL_COLUMNS
    )
    return RegressionResults(coefficients=coefficients, models=models)


def _ols_model(case: ModelCase, alpha: float) -> tuple[Record, list[Record]]:
    """The model row of one case and, if it could be fitted, its coefficient rows."""
    design = case.design
    base = {
        **case.ids,
        "n": len(design.y),
        "n_languages": int(design.languages.nunique()),
        "n_params": design.X.shape[1],
        "dropped": "; ".join(design.dropped),
    }
    if case.problem:
        skipped = {
            "status": "skipped",
            "reason": case.problem,
            "df_resid": len(design.y) - design.X.shape[1],
            "r2": math.nan,
            "adj_r2": math.nan,
            "weights": "",
            "se_type": "",
            "volume_p_permutation": math.nan,
        }
        return {**base, **skipped}, []
    weights = precision_weights(design)
    result = fit_ols(design, weights)
    fit = {"coef": result.params, "se": result.bse, "p_value": result.pvalues}
    intervals, df_resid, se_type = result.conf_int(alpha), float(result.df_resid), "classical"
    if case.ids["scope"] == "pooled" and design.languages.nunique() < len(design.y):
        fit, intervals, df_resid = _cluster_robust(design, weights, alpha)
        se_type = "CR2 by language (Bell-McCaffrey df)"
    coefficients = coefficient_rows(
        case.ids, design, fit, intervals, df_resid=df_resid,
        std_coefs=_standardised(design, result.params),
    )  # fmt: skip
    fitted = {
        "status": "fitted",
        "reason": "",
        "df_resid": df_resid,
        "r2": float(result.rsquared),
        "adj_r2": float(result.rsquared_adj),
        "weights": "inverse variance (+ tau²)" if weights is not None else "none",
        "se_type": se_type,
        "volume_p_permutation": _volume_permutation(design),
    }
    return {**base, **fitted}, coefficients


def _cluster_robust(
    design: Design, weights: np.ndarray | None, alpha: float
) -> tuple[dict[str, pd.Series], pd.DataFrame, float]:
    """CR2 standard errors by language, Bell–McCaffrey t intervals; df = the smallest over terms."""
    robust = cr2(design.y, design.X, design.languages, weights, list(design.X.columns))
    index = pd.Index(robust.terms)
    low, high = robust.interval(1.0 - alpha)
    fit = {
        "coef": pd.Series(robust.coef, index=index),
        "se": pd.Series(robust.se, index=index),
        "p_value": pd.Series(robust.p_value, index=index),
    }
    intervals = pd.DataFrame({0: low, 1: high}, index=index)
    return fit, intervals, float(np.nanmin(robust.df))


def _volume_permutation(design: Design) -> float:
    """Permutation p of the volume slope, languages keeping their rows (NaN without volume)."""
    if VOLUME not in design.X.columns:
        return math.nan
    column = list(design.X.columns).index(VOLUME)
    return permutation_p_value(
        design.y.to_numpy(float), design.X.to_numpy(float), column, design.languages,
        PERMUTATIONS,
    )  # fmt: skip


def _standardised(design: Design, params: pd.Series) -> dict[str, float]:
    """coef · sd(x) / sd(y) per predictor (none when the response has no spread)."""
    y_sd = float(design.y.std(ddof=1))
    if not y_sd > 0:
        return {}
    return {
        term: float(params[term]) * float(design.X[term].std(ddof=1)) / y_sd
        for term in design.X.columns
        if term in design.predictors
    }


# --------------------------------------------------------------------------------------------
# Collinearity


VIF_COLUMNS = ["languages", "predictor", "n_languages", "vif", "reason"]


def vif_table(
    covariates: pd.DataFrame,
    language_sets: Mapping[str, Sequence[str]],
    predictors: Sequence[str] = PREDICTORS,
) -> pd.DataFrame:
    """Variance inflation factor of each predictor over each set of languages.

    VIF_j = 1 / (1 - R²_j), R²_j from regressing predictor j on the others (with intercept),
    using one row per language — collinearity is a property of the languages sampled, not of
    how many tasks they appear in. VIF > 10 is the usual warning level; ``inf`` means perfect
    collinearity. NaN with a reason when there are too few languages to regress on the others.
    """
    records: list[dict[str, object]] = []
    for set_name, languages in language_sets.items():
        rows = covariates.reindex(sorted(set(languages)))
        usable = [p for p in predictors if p in rows and rows[p].notna().any()]
        rows = rows[usable].dropna()
        usable = [p for p in usable if rows[p].nunique() > 1]
        for predictor in usable:
            others = [p for p in usable if p != predictor]
            vif, reason = _vif(rows, predictor, others)
            values = [set_name, predictor, len(rows), vif, reason]
            records.append(dict(zip(VIF_COLUMNS, values, strict=True)))
    return pd.DataFrame.from_records(records, columns=VIF_COLUMNS)


def _vif(rows: pd.DataFrame, predictor: str, others: Sequence[str]) -> tuple[float, str]:
    """VIF of ``predictor`` given ``others`` over ``rows`` (one per language), and a reason."""
    n = len(rows)
    if not others:
        return 1.0, "only predictor"
    if n < len(others) + 2:
        return math.nan, (
            f"{n} languages for {len(others) + 1} parameters: cannot regress "
            "on the other predictors"
        )
    X = np.column_stack([np.ones(n), rows[others].to_numpy(float)])
    y = rows[predictor].to_numpy(float)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    residual = y - X @ coef
    total = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((residual**2).sum()) / total
    return (math.inf if r2 >= 1.0 - 1e-12 else 1.0 / (1.0 - r2)), ""


# --------------------------------------------------------------------------------------------
# Partial effects


PARTIAL_STATISTICS = [
    "partial_r",
    "partial_ci_low",
    "partial_ci_high",
    "predictor_range",
    "effect_over_range",
    "effect_ci_low",
    "effect_ci_high",
]
PARTIAL_COLUMNS = [*PREDICTOR_ID_COLUMNS, "controls", "n", *PARTIAL_STATISTICS, "reason"]


def partial_effects(
    frame: pd.DataFrame,
    ols: RegressionResults,
    measures: Sequence[str] = tuple(MEASURES),
    predictors: Sequence[str] = PREDICTORS,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Each predictor's effect with the others held fixed, per configuration (per-task scope).

    ``partial_r``: correlation of the measure with the predictor after both are residualised on
    the other usable predictors (Fisher-z interval with SE 1/sqrt(n - 3 - k), k controls).
    ``effect_over_range``: the full-model OLS coefficient times the observed range of the
    predictor — "from the lowest to the highest value in these languages, the measure changes
    by ..." — with its CI scaled the same way.
    """
    fitted = ols.coefficients[
        (ols.coefficients["scope"] == "task") & (ols.coefficients["model"] == "volume+distances")
    ].set_index(["encoder", "intermediate_task", "target_task", "measure", "term"])
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    records: list[dict[str, object]] = []
    for measure, cell, group in configurations(frame, measures):
        design = build_design(group, measure, predictors, task_effects=False)
        for predictor in design.predictors:
            key = (*cell, measure, predictor)
            coefficient = fitted.loc[key] if key in fitted.index else None
            records.append(_partial_record(design, key, coefficient, z))
    return pd.DataFrame.from_records(records, columns=PARTIAL_COLUMNS)


def _partial_record(
    design: Design, key: tuple[str, ...], coefficient: pd.Series | None, z: float
) -> dict[str, object]:
    """One row of :data:`PARTIAL_COLUMNS` for the predictor that ends ``key``."""
    predictor = key[-1]
    controls = [p for p in design.predictors if p != predictor]
    record: dict[str, object] = {
        **dict(zip(PREDICTOR_ID_COLUMNS, key, strict=True)),
        "controls": ",".join(controls),
        "n": len(design.y),
        **dict.fromkeys(PARTIAL_STATISTICS, math.nan),
    }
    record.update(_partial_correlation(design, predictor, controls, z))
    span = float(design.X[predictor].max() - design.X[predictor].min())
    record["predictor_range"] = span
    if coefficient is not None:
        record["effect_over_range"] = float(coefficient["coef"]) * span
        record["effect_ci_low"] = float(coefficient["ci_low"]) * span
        record["effect_ci_high"] = float(coefficient["ci_high"]) * span
    elif not record["reason"]:
        record["reason"] = "full model not estimable: no effect over range"
    return record


def _partial_correlation(
    design: Design, predictor: str, controls: Sequence[str], z: float
) -> dict[str, object]:
    """``partial_r`` with its Fisher-z interval where there are enough languages, and a reason
    wherever a value is missing."""
    n, k = len(design.y), len(controls)
    if n - k < 3:
        return {"reason": f"{n} languages for {k} controls: no partial correlation"}
    C = np.column_stack([np.ones(n), design.X[list(controls)].to_numpy(float)])
    ry = _residualize(design.y.to_numpy(float), C)
    rx = _residualize(design.X[predictor].to_numpy(float), C)
    if np.allclose(rx, 0) or np.allclose(ry, 0):
        return {"reason": "nothing left after removing the controls"}
    r = float(np.corrcoef(rx, ry)[0, 1])
    if n - k > 3 and abs(r) < 1:
        half = z / math.sqrt(n - 3 - k)
        low, high = math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half)
        return {"partial_r": r, "partial_ci_low": low, "partial_ci_high": high, "reason": ""}
    if abs(r) >= 1:
        return {"partial_r": r, "partial_ci_low": r, "partial_ci_high": r, "reason": ""}
    return {"partial_r": r, "reason": f"{n} languages, {k} controls: no interval"}


def _residualize(values: np.ndarray, controls: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(controls, values, rcond=None)
    return values - controls @ coef
