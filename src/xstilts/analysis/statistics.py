"""Does transfer robustness depend on pretraining volume and on distance from English?

Joins the language-level robustness measures of :mod:`xstilts.analysis.robustness` with language
metadata — log(1 + volume) from a pretraining table, and the five URIEL distances to English
(Lauscher et al. 2020, arXiv 2005.00633) — and estimates the association several ways, because
every one of them has a weakness with 5–40 languages:

- Pearson and Spearman correlations with 95% Fisher-z intervals (one predictor at a time; blind
  to collinearity between volume and typology);
- OLS per target task and pooled over target tasks with task fixed effects (coefficient CIs are
  t-intervals), with VIFs to show how collinear the predictors are and partial correlations that
  isolate each predictor;
- a linear mixed model with a random intercept per language, for the pooled data where the same
  language appears in several target tasks (OLS would treat those rows as independent);
- leave-one-language-out prediction error, compared with predicting the mean, as an honest check
  of whether the predictors say anything about a language the model has not seen.

Everything is reproducible from the store plus the package's language tables. Languages are the
unit of observation: each row is one language's mean over seeds in one configuration. English, the
source language, is left out of the fits by default: its distances are 0 by definition and its
volume is the largest, so it would be a leverage point that says nothing about transfer.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from xstilts.analysis import robustness
from xstilts.errors import XstiltsError

CONFIDENCE = 0.95
VOLUME = "log_volume"
DISTANCES: tuple[str, ...] = (
    "syntax_distance",
    "phonology_distance",
    "inventory_distance",
    "family_distance",
    "geography_distance",
)
PREDICTORS: tuple[str, ...] = (VOLUME, *DISTANCES)

MEASURES: dict[str, str] = {
    "gain": "gain over the no-intermediate baseline (points)",
    "gap_to_english": "transfer gap to English (English - language, points)",
    "seed_std": "standard deviation across seeds (points)",
}
"""Language-level robustness measures that are regressed on language covariates."""

MODEL_SPECS: dict[str, tuple[str, ...]] = {
    "volume": (VOLUME,),
    "volume+distances": PREDICTORS,
}
"""Regression specifications: volume alone, and volume with the five distances (Lauscher's set)."""

MIN_CORRELATION_N = 4
"""Fisher z needs n > 3 (its standard error is 1/sqrt(n - 3))."""
MIN_RESIDUAL_DF = 2
"""OLS is reported only with >= 2 residual degrees of freedom: with one, the 95% t quantile is 12.7
and the interval rests on a single residual."""
MIXED_MIN_LANGUAGES = 8
"""A random-intercept variance estimated from fewer than ~8 groups is unreliable (it is often
estimated at the boundary 0), so the mixed model needs at least this many languages..."""
MIXED_MIN_REPEATED_LANGUAGES = 4
"""...and at least this many languages observed in two or more target tasks: if every language
appears once, the language variance cannot be told apart from the residual variance."""

POOLED = "(pooled)"
"""``target_task`` label of models pooled over target tasks with task fixed effects."""

ID_COLUMNS = ["scope", "encoder", "intermediate_task", "target_task", "measure", "model"]


# --------------------------------------------------------------------------------------------
# Language covariates


VOLUME_UNITS: dict[str, str] = {
    "cc100_gib": "GiB",
    "cc100_tokens_m": "M tokens",
    "wiki_tokens_m": "M tokens",
    "wiki_articles": "articles",
}


def language_covariates(
    languages: Iterable[str],
    pretraining: str | Path = "cc100",
    source: str = robustness.SOURCE_LANGUAGE,
) -> pd.DataFrame:
    """Volume, log(1 + volume) and the five URIEL distances to ``source`` for ``languages``.

    log(1 + volume) rather than log(volume) so that languages absent from pretraining (volume 0:
    ht, yo, qu, wo for CC-100) stay in the analysis as the "no data" controls (science.md §8).
    What could not be looked up is NaN and explained in ``frame.attrs["notes"]``; the caller
    drops such languages from the fits that need the missing column. ``attrs`` also carries
    ``volume_source`` and ``volume_unit`` for captions.
    """
    from xstilts.languages.table import pretraining_volume

    codes = sorted(dict.fromkeys(str(code) for code in languages))
    notes: list[str] = []
    volume_series = pretraining_volume(pretraining)
    unit = VOLUME_UNITS.get(str(volume_series.name), "volume units")
    frame = pd.DataFrame(index=pd.Index(codes, name="language"))
    frame["volume"] = volume_series.reindex(codes).astype(float).to_numpy()
    frame[VOLUME] = np.log1p(frame["volume"])
    missing_volume = [c for c in codes if math.isnan(frame.at[c, "volume"])]
    if missing_volume:
        notes.append(
            f"no {pretraining} pretraining volume for {', '.join(missing_volume)}: "
            "left out of every fit that uses volume"
        )
    try:
        from xstilts.languages.typology import distances_to

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # reported through attrs["not_in_uriel"] below
            distances = distances_to(source=source, languages=codes)
        not_in_uriel = list(distances.attrs.get("not_in_uriel", []))
        if not_in_uriel:
            notes.append(f"not in URIEL, so no typological distances for {', '.join(not_in_uriel)}")
        for column in DISTANCES:
            frame[column] = distances[column].to_numpy(float) if column in distances else np.nan
    except XstiltsError as error:
        notes.append(f"typological distances unavailable ({error}); only volume is analysed")
        for column in DISTANCES:
            frame[column] = np.nan
    frame.attrs["notes"] = notes
    frame.attrs["volume_source"] = str(pretraining)
    frame.attrs["volume_unit"] = unit
    return frame


def analysis_frame(
    table: pd.DataFrame,
    covariates: pd.DataFrame,
    include_source: bool = False,
    source: str = robustness.SOURCE_LANGUAGE,
) -> pd.DataFrame:
    """Robustness measures (one row per configuration × language) joined with covariates."""
    data = table if include_source else table[table["language"] != source]
    columns = [c for c in ["volume", *PREDICTORS] if c in covariates.columns]
    joined = data.join(covariates[columns], on="language", how="left")
    joined.attrs = dict(covariates.attrs)
    return joined.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Correlations


def fisher_interval(
    r: float, n: int, confidence: float = CONFIDENCE, se: float | None = None
) -> tuple[float, float]:
    """Interval for a correlation by Fisher's z = atanh(r), back-transformed with tanh.

    ``se`` defaults to 1/sqrt(n - 3) (Pearson). |r| = 1 gives the degenerate interval [r, r].
    """
    if n < MIN_CORRELATION_N or not math.isfinite(r):
        return math.nan, math.nan
    if abs(r) >= 1.0:
        return float(r), float(r)
    se = 1.0 / math.sqrt(n - 3) if se is None else se
    z = math.atanh(r)
    half = float(stats.norm.ppf(0.5 + confidence / 2)) * se
    return math.tanh(z - half), math.tanh(z + half)


def spearman_se(rho: float, n: int) -> float:
    """Bonett & Wright (2000) standard error of atanh(Spearman rho): sqrt((1 + rho²/2)/(n - 3)).

    Spearman's rho is more variable than Pearson's r under Fisher z; the plain 1/sqrt(n-3) would
    give intervals that are too narrow.
    """
    return math.sqrt((1.0 + rho * rho / 2.0) / (n - 3))


CORRELATION_METHOD = (
    "Pearson: Fisher z, SE 1/sqrt(n-3); "
    "Spearman: Fisher z, Bonett-Wright SE sqrt((1+rho^2/2)/(n-3))"
)


def _correlation_record(x: np.ndarray, y: np.ndarray, confidence: float) -> dict[str, object]:
    n = len(x)
    record: dict[str, object] = {"n": n}
    nan_fields = dict.fromkeys(
        [
            "pearson_r",
            "pearson_ci_low",
            "pearson_ci_high",
            "pearson_p",
            "spearman_rho",
            "spearman_ci_low",
            "spearman_ci_high",
            "spearman_p",
        ],
        math.nan,
    )
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        record.update(nan_fields)
        if n < 3:
            record["reason"] = f"{n} language(s): a correlation needs at least 3"
        else:
            record["reason"] = "constant predictor or measure: correlation undefined"
        return record
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pearson = stats.pearsonr(x, y)
        spearman = stats.spearmanr(x, y)
    r, rho = float(pearson.statistic), float(spearman.statistic)
    record["pearson_r"] = r
    record["pearson_ci_low"], record["pearson_ci_high"] = fisher_interval(r, n, confidence)
    record["pearson_p"] = float(pearson.pvalue)
    record["spearman_rho"] = rho
    if n >= MIN_CORRELATION_N and math.isfinite(rho):
        record["spearman_ci_low"], record["spearman_ci_high"] = fisher_interval(
            rho, n, confidence, se=spearman_se(rho, n)
        )
    else:
        record["spearman_ci_low"] = record["spearman_ci_high"] = math.nan
    record["spearman_p"] = float(spearman.pvalue)
    record["reason"] = (
        "" if n >= MIN_CORRELATION_N else f"{n} languages: no Fisher-z interval below 4"
    )
    return record


def _measured(frame: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Rows that carry ``measure``. The gain is NaN for the baseline itself, the gap for English,
    the seed std with one seed — so a configuration without the measure yields no empty model
    (the report states the reason once, e.g. "one seed")."""
    return frame[frame[measure].notna()]


def _groups(
    frame: pd.DataFrame, measure: str
) -> Iterable[tuple[tuple[str, str, str], pd.DataFrame]]:
    """Configurations that carry ``measure``, one frame each."""
    data = _measured(frame, measure)
    for key, group in data.groupby(robustness.CELL, sort=True):
        yield (str(key[0]), str(key[1]), str(key[2])), group


def correlations(
    frame: pd.DataFrame,
    measures: Sequence[str] = tuple(MEASURES),
    predictors: Sequence[str] = PREDICTORS,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Pearson and Spearman correlation of each measure with each predictor, per configuration.

    One observation per language. Intervals: see :data:`CORRELATION_METHOD` (column
    ``ci_method``). ``reason`` says why a value is missing. No multiple-comparison correction is
    applied: read the intervals, not the p-values.
    """
    records: list[dict[str, object]] = []
    for measure in measures:
        if measure not in frame:
            continue
        for (encoder, intermediate, target), group in _groups(frame, measure):
            for predictor in predictors:
                if predictor not in group:
                    continue
                pair = group[[predictor, measure]].dropna()
                record: dict[str, object] = {
                    "encoder": encoder,
                    "intermediate_task": intermediate,
                    "target_task": target,
                    "measure": measure,
                    "predictor": predictor,
                }
                record.update(
                    _correlation_record(
                        pair[predictor].to_numpy(float), pair[measure].to_numpy(float), confidence
                    )
                )
                record["ci_method"] = CORRELATION_METHOD
                records.append(record)
    columns = [
        "encoder",
        "intermediate_task",
        "target_task",
        "measure",
        "predictor",
        "n",
        "pearson_r",
        "pearson_ci_low",
        "pearson_ci_high",
        "pearson_p",
        "spearman_rho",
        "spearman_ci_low",
        "spearman_ci_high",
        "spearman_p",
        "reason",
        "ci_method",
    ]
    return pd.DataFrame.from_records(records, columns=columns)


# --------------------------------------------------------------------------------------------
# Design matrices shared by OLS, LOLO and the mixed model


@dataclass
class Design:
    """A regression design: response, predictors (+ intercept, + task dummies), and what was
    dropped on the way, with the reason — so every "cannot estimate" can be explained."""

    y: pd.Series
    X: pd.DataFrame
    languages: pd.Series
    targets: pd.Series
    predictors: list[str]
    dropped: list[str] = field(default_factory=list)
    problem: str = ""


def build_design(
    data: pd.DataFrame, measure: str, predictors: Sequence[str], task_effects: bool
) -> Design:
    """Rows with a complete response and predictors; constant or missing predictors dropped.

    ``task_effects`` adds one dummy per target task except the first (alphabetical) — fixed
    effects that absorb task-level differences in the measure so only within-task variation
    across languages identifies the slopes.
    """
    dropped: list[str] = []
    usable: list[str] = []
    for predictor in predictors:
        if predictor not in data or data[predictor].notna().sum() == 0:
            dropped.append(f"{predictor} (not available)")
        else:
            usable.append(predictor)
    complete = data.dropna(subset=[measure, *usable])
    kept: list[str] = []
    for predictor in usable:
        if complete[predictor].nunique() < 2:
            dropped.append(f"{predictor} (constant over these languages)")
        else:
            kept.append(predictor)
    X = pd.DataFrame({"const": np.ones(len(complete))}, index=complete.index)
    for predictor in kept:
        X[predictor] = complete[predictor].astype(float)
    if task_effects:
        for target in sorted(complete["target_task"].unique())[1:]:
            X[f"task[{target}]"] = (complete["target_task"] == target).astype(float)
    design = Design(
        y=complete[measure].astype(float),
        X=X,
        languages=complete["language"].astype(str),
        targets=complete["target_task"].astype(str),
        predictors=kept,
        dropped=dropped,
    )
    if not kept:
        design.problem = "no usable predictor"
    elif design.y.nunique() < 2:
        design.problem = "the measure is constant over these languages: nothing to explain"
    elif len(X) > 0 and np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
        design.problem = (
            f"predictors perfectly collinear over these {design.languages.nunique()} languages"
        )
    elif len(X) - X.shape[1] < MIN_RESIDUAL_DF:
        design.problem = (
            f"{len(X)} observations for {X.shape[1]} parameters: fewer than "
            f"{MIN_RESIDUAL_DF} residual degrees of freedom"
        )
    return design


def _spec_problem(design: Design, model_name: str, fitted_sets: dict[tuple[str, ...], str]) -> str:
    """Why a specification is not fitted ("" if it is); registers it in ``fitted_sets``.

    A specification whose usable predictors are those of one already fitted (e.g. every distance
    unavailable, so "volume+distances" is just "volume") is skipped rather than shown twice.
    """
    if design.problem:
        return design.problem
    usable = tuple(design.predictors)
    if usable in fitted_sets:
        dropped = "; ".join(design.dropped)
        return f"same usable predictors as model {fitted_sets[usable]!r} ({dropped})"
    fitted_sets[usable] = model_name
    return ""


def _scopes(
    frame: pd.DataFrame, measure: str
) -> Iterable[tuple[str, str, str, str, pd.DataFrame, bool]]:
    """(scope, encoder, intermediate, target, data, task_effects) for every model to fit."""
    data = _measured(frame, measure)
    for (encoder, intermediate, target), group in data.groupby(robustness.CELL, sort=True):
        yield "task", str(encoder), str(intermediate), str(target), group, False
    for (encoder, intermediate), group in data.groupby(["encoder", "intermediate_task"], sort=True):
        if group["target_task"].nunique() > 1:
            yield "pooled", str(encoder), str(intermediate), POOLED, group, True


# --------------------------------------------------------------------------------------------
# OLS


@dataclass
class RegressionResults:
    """Tidy OLS output: one row per coefficient, and one row per model (fitted or skipped)."""

    coefficients: pd.DataFrame
    models: pd.DataFrame


COEFFICIENT_COLUMNS = [
    *ID_COLUMNS,
    "term",
    "coef",
    "se",
    "ci_low",
    "ci_high",
    "p_value",
    "std_coef",
    "n",
    "n_languages",
    "df_resid",
]
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
]


def fit_ols(design: Design) -> Any:
    """statsmodels OLS on a design (warnings of perfect fits silenced: constructed data)."""
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.OLS(design.y, design.X).fit()


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
    coefficient_records: list[dict[str, object]] = []
    model_records: list[dict[str, object]] = []
    alpha = 1.0 - confidence
    for measure in measures:
        if measure not in frame:
            continue
        for scope, encoder, intermediate, target, data, task_effects in _scopes(frame, measure):
            fitted_sets: dict[tuple[str, ...], str] = {}
            for model_name, predictors in specs.items():
                ids = dict(
                    zip(
                        ID_COLUMNS,
                        [scope, encoder, intermediate, target, measure, model_name],
                        strict=True,
                    )
                )
                design = build_design(data, measure, predictors, task_effects)
                n_languages = int(design.languages.nunique())
                base = {
                    **ids,
                    "n": len(design.y),
                    "n_languages": n_languages,
                    "n_params": design.X.shape[1],
                    "dropped": "; ".join(design.dropped),
                }
                reason = _spec_problem(design, model_name, fitted_sets)
                if reason:
                    model_records.append(
                        {
                            **base,
                            "status": "skipped",
                            "reason": reason,
                            "df_resid": len(design.y) - design.X.shape[1],
                            "r2": math.nan,
                            "adj_r2": math.nan,
                        }
                    )
                    continue
                result = fit_ols(design)
                intervals = result.conf_int(alpha)
                y_sd = float(design.y.std(ddof=1))
                for term in design.X.columns:
                    std_coef = math.nan
                    if term in design.predictors and y_sd > 0:
                        std_coef = float(result.params[term]) * float(design.X[term].std(ddof=1))
                        std_coef /= y_sd
                    coefficient_records.append(
                        {
                            **ids,
                            "term": term,
                            "coef": float(result.params[term]),
                            "se": float(result.bse[term]),
                            "ci_low": float(intervals.loc[term, 0]),
                            "ci_high": float(intervals.loc[term, 1]),
                            "p_value": float(result.pvalues[term]),
                            "std_coef": std_coef,
                            "n": len(design.y),
                            "n_languages": n_languages,
                            "df_resid": float(result.df_resid),
                        }
                    )
                model_records.append(
                    {
                        **base,
                        "status": "fitted",
                        "reason": "",
                        "df_resid": float(result.df_resid),
                        "r2": float(result.rsquared),
                        "adj_r2": float(result.rsquared_adj),
                    }
                )
    return RegressionResults(
        coefficients=pd.DataFrame.from_records(coefficient_records, columns=COEFFICIENT_COLUMNS),
        models=pd.DataFrame.from_records(model_records, columns=MODEL_COLUMNS),
    )


# --------------------------------------------------------------------------------------------
# Collinearity, partial effects


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
        n = len(rows)
        for predictor in usable:
            record: dict[str, object] = {
                "languages": set_name,
                "predictor": predictor,
                "n_languages": n,
                "vif": math.nan,
                "reason": "",
            }
            others = [p for p in usable if p != predictor]
            if not others:
                record["vif"] = 1.0
                record["reason"] = "only predictor"
            elif n < len(others) + 2:
                record["reason"] = (
                    f"{n} languages for {len(others) + 1} parameters: cannot regress "
                    "on the other predictors"
                )
            else:
                X = np.column_stack([np.ones(n), rows[others].to_numpy(float)])
                y = rows[predictor].to_numpy(float)
                coef, *_ = np.linalg.lstsq(X, y, rcond=None)
                residual = y - X @ coef
                total = float(((y - y.mean()) ** 2).sum())
                r2 = 1.0 - float((residual**2).sum()) / total
                record["vif"] = math.inf if r2 >= 1.0 - 1e-12 else 1.0 / (1.0 - r2)
            records.append(record)
    return pd.DataFrame.from_records(
        records, columns=["languages", "predictor", "n_languages", "vif", "reason"]
    )


def _residualize(values: np.ndarray, controls: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(controls, values, rcond=None)
    return values - controls @ coef


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
    records: list[dict[str, object]] = []
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    for measure in measures:
        if measure not in frame:
            continue
        for (encoder, intermediate, target), group in _groups(frame, measure):
            design = build_design(group, measure, predictors, task_effects=False)
            n = len(design.y)
            for predictor in design.predictors:
                controls = [p for p in design.predictors if p != predictor]
                k = len(controls)
                record: dict[str, object] = {
                    "encoder": encoder,
                    "intermediate_task": intermediate,
                    "target_task": target,
                    "measure": measure,
                    "predictor": predictor,
                    "controls": ",".join(controls),
                    "n": n,
                    "partial_r": math.nan,
                    "partial_ci_low": math.nan,
                    "partial_ci_high": math.nan,
                    "predictor_range": math.nan,
                    "effect_over_range": math.nan,
                    "effect_ci_low": math.nan,
                    "effect_ci_high": math.nan,
                    "reason": "",
                }
                if n - k < 3:
                    record["reason"] = f"{n} languages for {k} controls: no partial correlation"
                else:
                    C = np.column_stack([np.ones(n), design.X[controls].to_numpy(float)])
                    ry = _residualize(design.y.to_numpy(float), C)
                    rx = _residualize(design.X[predictor].to_numpy(float), C)
                    if np.allclose(rx, 0) or np.allclose(ry, 0):
                        record["reason"] = "nothing left after removing the controls"
                    else:
                        r = float(np.corrcoef(rx, ry)[0, 1])
                        record["partial_r"] = r
                        if n - k > 3 and abs(r) < 1:
                            half = z / math.sqrt(n - 3 - k)
                            record["partial_ci_low"] = math.tanh(math.atanh(r) - half)
                            record["partial_ci_high"] = math.tanh(math.atanh(r) + half)
                        elif abs(r) >= 1:
                            record["partial_ci_low"] = record["partial_ci_high"] = r
                        else:
                            record["reason"] = f"{n} languages, {k} controls: no interval"
                span = float(design.X[predictor].max() - design.X[predictor].min())
                record["predictor_range"] = span
                key = (encoder, intermediate, target, measure, predictor)
                if key in fitted.index:
                    row = fitted.loc[key]
                    record["effect_over_range"] = float(row["coef"]) * span
                    record["effect_ci_low"] = float(row["ci_low"]) * span
                    record["effect_ci_high"] = float(row["ci_high"]) * span
                elif not record["reason"]:
                    record["reason"] = "full model not estimable: no effect over range"
                records.append(record)
    columns = [
        "encoder",
        "intermediate_task",
        "target_task",
        "measure",
        "predictor",
        "controls",
        "n",
        "partial_r",
        "partial_ci_low",
        "partial_ci_high",
        "predictor_range",
        "effect_over_range",
        "effect_ci_low",
        "effect_ci_high",
        "reason",
    ]
    return pd.DataFrame.from_records(records, columns=columns)


# --------------------------------------------------------------------------------------------
# Mixed model


@dataclass
class MixedResults:
    """Mixed-model output: coefficients of fitted models, and a status row for every model."""

    coefficients: pd.DataFrame
    models: pd.DataFrame


MIXED_MODEL_COLUMNS = [
    *ID_COLUMNS,
    "status",
    "reason",
    "n",
    "n_languages",
    "n_repeated_languages",
    "language_variance",
    "residual_variance",
    "converged",
]


def mixed_models(
    frame: pd.DataFrame,
    measures: Sequence[str] = tuple(MEASURES),
    specs: Mapping[str, Sequence[str]] = MODEL_SPECS,
    confidence: float = CONFIDENCE,
) -> MixedResults:
    """MixedLM (REML) with a random intercept per language, pooled over target tasks.

    Same fixed part as the pooled OLS (predictors + task fixed effects), so the two can be read
    side by side: the random intercept accounts for one language appearing in several tasks.
    Fitted only with >= :data:`MIXED_MIN_LANGUAGES` languages of which >=
    :data:`MIXED_MIN_REPEATED_LANGUAGES` appear in two or more tasks; otherwise — or when the
    optimiser fails or does not converge — ``status`` is ``"skipped"``/``"failed"`` with the
    reason, and the pooled OLS is the fallback to read. Coefficient CIs are Wald (normal).
    """

    coefficient_records: list[dict[str, object]] = []
    model_records: list[dict[str, object]] = []
    alpha = 1.0 - confidence
    for measure in measures:
        if measure not in frame:
            continue
        data = _measured(frame, measure)
        for (encoder, intermediate), group in data.groupby(
            ["encoder", "intermediate_task"], sort=True
        ):
            fitted_sets: dict[tuple[str, ...], str] = {}
            for model_name, predictors in specs.items():
                ids = dict(
                    zip(
                        ID_COLUMNS,
                        ["mixed", str(encoder), str(intermediate), POOLED, measure, model_name],
                        strict=True,
                    )
                )
                task_effects = group["target_task"].nunique() > 1
                design = build_design(group, measure, predictors, task_effects)
                per_language = design.languages.value_counts()
                record: dict[str, object] = {
                    **ids,
                    "n": len(design.y),
                    "n_languages": int(per_language.size),
                    "n_repeated_languages": int((per_language >= 2).sum()),
                    "language_variance": math.nan,
                    "residual_variance": math.nan,
                    "converged": False,
                    "status": "skipped",
                    "reason": "",
                }
                problem = _spec_problem(design, model_name, fitted_sets)
                if problem:
                    record["reason"] = problem
                elif per_language.size < MIXED_MIN_LANGUAGES:
                    record["reason"] = (
                        f"{per_language.size} languages: a language variance needs at least "
                        f"{MIXED_MIN_LANGUAGES}; read the pooled OLS instead"
                    )
                elif record["n_repeated_languages"] < MIXED_MIN_REPEATED_LANGUAGES:
                    record["reason"] = (
                        f"only {record['n_repeated_languages']} languages appear in 2+ target "
                        f"tasks (need {MIXED_MIN_REPEATED_LANGUAGES}): the language variance "
                        "cannot be separated from the residual; read the pooled OLS instead"
                    )
                else:
                    coefficient_records.extend(_fit_mixed(design, ids, record, alpha))
                model_records.append(record)
    return MixedResults(
        coefficients=pd.DataFrame.from_records(coefficient_records, columns=COEFFICIENT_COLUMNS),
        models=pd.DataFrame.from_records(model_records, columns=MIXED_MODEL_COLUMNS),
    )


def _fit_mixed(
    design: Design, ids: Mapping[str, str], record: dict[str, object], alpha: float
) -> list[dict[str, object]]:
    """Fit one MixedLM; fill ``record`` (status, reason, variances); return coefficient rows."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = sm.MixedLM(design.y, design.X, groups=design.languages)
            result = model.fit(reml=True, method=["lbfgs", "powell"])
            converged = bool(getattr(result, "converged", False))
            language_variance = float(np.asarray(result.cov_re)[0, 0])
            scale = float(result.scale)
            intervals = result.conf_int(alpha)
            params, bse, pvalues = result.fe_params, result.bse_fe, result.pvalues
        except (np.linalg.LinAlgError, ValueError) as error:
            record["status"] = "failed"
            record["reason"] = f"fit failed ({error}); read the pooled OLS"
            return []
    record["converged"] = converged
    record["language_variance"] = language_variance
    record["residual_variance"] = scale
    if not converged:
        record["status"] = "failed"
        record["reason"] = "did not converge; read the pooled OLS"
        return []
    record["status"] = "fitted"
    notes: list[str] = []
    if language_variance < 1e-8:
        notes.append("language variance at the boundary 0: the estimates equal pooled OLS")
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        notes.append("optimiser warnings (converged with the fallback method)")
    if not np.isfinite(np.asarray(bse, dtype=float)).all():
        notes.append("some standard errors undefined (singular information matrix)")
    record["reason"] = "; ".join(notes)
    return [
        {
            **ids,
            "term": term,
            "coef": float(params[term]),
            "se": float(bse[term]),
            "ci_low": float(intervals.loc[term, 0]),
            "ci_high": float(intervals.loc[term, 1]),
            "p_value": float(pvalues[term]),
            "std_coef": math.nan,
            "n": len(design.y),
            "n_languages": int(design.languages.nunique()),
            "df_resid": math.nan,
        }
        for term in design.X.columns
    ]


# --------------------------------------------------------------------------------------------
# Leave one language out


def leave_one_language_out(
    frame: pd.DataFrame,
    measures: Sequence[str] = tuple(MEASURES),
    specs: Mapping[str, Sequence[str]] = MODEL_SPECS,
) -> pd.DataFrame:
    """Prediction error for a language the model has not seen (RMSE over held-out languages).

    For each language: fit the OLS on every other language (all of its rows held out together in
    the pooled scope), predict it. ``rmse_null`` is the same procedure with intercept (+ task
    effects) only, i.e. predicting the mean; ``skill = 1 - rmse/rmse_null`` > 0 means the
    predictors help out of sample. Fits use least squares directly, not statsmodels, because
    there is one per language.
    """
    records: list[dict[str, object]] = []
    for measure in measures:
        if measure not in frame:
            continue
        for scope, encoder, intermediate, target, data, task_effects in _scopes(frame, measure):
            fitted_sets: dict[tuple[str, ...], str] = {}
            for model_name, predictors in specs.items():
                design = build_design(data, measure, predictors, task_effects)
                record: dict[str, object] = dict(
                    zip(
                        ID_COLUMNS,
                        [scope, encoder, intermediate, target, measure, model_name],
                        strict=True,
                    )
                )
                languages = sorted(design.languages.unique())
                record.update(
                    n_languages=len(languages),
                    rmse=math.nan,
                    rmse_null=math.nan,
                    skill=math.nan,
                    status="skipped",
                    reason="",
                )
                problem = _spec_problem(design, model_name, fitted_sets)
                if problem:
                    record["reason"] = problem
                    records.append(record)
                    continue
                null_columns = [c for c in design.X.columns if c not in design.predictors]
                errors, null_errors, problem = _lolo_errors(design, languages, null_columns)
                if problem:
                    record["reason"] = problem
                else:
                    rmse = math.sqrt(float(np.mean(np.square(errors))))
                    rmse_null = math.sqrt(float(np.mean(np.square(null_errors))))
                    record.update(
                        rmse=rmse,
                        rmse_null=rmse_null,
                        skill=1.0 - rmse / rmse_null if rmse_null > 0 else math.nan,
                        status="fitted",
                    )
                records.append(record)
    columns = [*ID_COLUMNS, "n_languages", "rmse", "rmse_null", "skill", "status", "reason"]
    return pd.DataFrame.from_records(records, columns=columns)


def _lolo_errors(
    design: Design, languages: Sequence[str], null_columns: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, str]:
    X = design.X.to_numpy(float)
    X_null = design.X[list(null_columns)].to_numpy(float)
    y = design.y.to_numpy(float)
    held = design.languages.to_numpy()
    errors: list[float] = []
    null_errors: list[float] = []
    for language in languages:
        test = held == language
        train = ~test
        for matrix, sink in ((X, errors), (X_null, null_errors)):
            kept = matrix[:, matrix[train].any(axis=0)]  # a task seen only in the held-out language
            if train.sum() <= kept.shape[1] or np.linalg.matrix_rank(kept[train]) < kept.shape[1]:
                return (
                    np.array([]),
                    np.array([]),
                    f"leaving out {language} leaves too few or collinear languages to fit",
                )
            if kept.shape[1] < matrix.shape[1] and matrix is X:
                return (
                    np.array([]),
                    np.array([]),
                    f"a target task has no language other than {language}: cannot predict it",
                )
            coef, *_ = np.linalg.lstsq(kept[train], y[train], rcond=None)
            sink.extend((y[test] - kept[test] @ coef).tolist())
    return np.asarray(errors), np.asarray(null_errors), ""


# --------------------------------------------------------------------------------------------
# Everything at once


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
    notes: list[str] = field(default_factory=list)


def analyse(
    rows: pd.DataFrame,
    pretraining: str | Path = "cc100",
    selection: str = "en_dev",
    split: str = "test",
    covariates: pd.DataFrame | None = None,
    confidence: float = CONFIDENCE,
) -> Analysis:
    """Run the whole analysis on store rows (``ResultStore.frame()``).

    ``covariates`` replaces the package's language tables (volume, log_volume, distances indexed
    by language) — for tests with constructed data, or for a study's own metadata.
    """
    all_rows = rows
    chosen = robustness.select_rows(rows, split=split, selection=selection)
    notes: list[str] = []
    table = robustness.robustness_table(chosen, confidence)
    if covariates is None:
        languages = sorted(set(table["language"])) if not table.empty else []
        covariates = language_covariates(languages, pretraining)
    notes.extend(covariates.attrs.get("notes", []))
    frame = analysis_frame(table, covariates)
    ols = ols_regressions(frame, confidence=confidence)
    language_sets: dict[str, list[str]] = {
        str(target): sorted(set(group["language"]))
        for target, group in frame.groupby("target_task", sort=True)
    }
    if len(language_sets) > 1:
        language_sets["all tasks"] = sorted(set(frame["language"]))
    return Analysis(
        rows=all_rows,
        selection=selection,
        split=split,
        pretraining=str(pretraining),
        robustness=table,
        task_gains=robustness.task_gains(chosen, confidence),
        worst_languages=robustness.worst_languages(chosen),
        selection_gaps=robustness.selection_gaps(all_rows, split),
        covariates=covariates,
        frame=frame,
        correlations=correlations(frame, confidence=confidence),
        ols=ols,
        vif=vif_table(covariates, language_sets),
        partial=partial_effects(frame, ols, confidence=confidence),
        mixed=mixed_models(frame, confidence=confidence),
        lolo=leave_one_language_out(frame),
        notes=notes,
    )
