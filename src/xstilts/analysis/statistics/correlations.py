"""Pearson and Spearman correlations of each robustness measure with each language covariate.

One predictor at a time, so blind to the collinearity of volume and typology (the regressions
handle that), but the simplest statement a reader can check: with 95% Fisher-z intervals, since
with 5–40 languages the interval says more than the point estimate.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from xstilts.analysis.statistics.covariates import PREDICTORS
from xstilts.analysis.statistics.design import (
    CONFIDENCE,
    MEASURES,
    PREDICTOR_ID_COLUMNS,
    configurations,
)

MIN_CORRELATION_N = 4
"""Fisher z needs n > 3 (its standard error is 1/sqrt(n - 3))."""

CORRELATION_METHOD = (
    "Pearson: Fisher z, SE 1/sqrt(n-3); "
    "Spearman: Fisher z, Bonett-Wright SE sqrt((1+rho^2/2)/(n-3))"
)

CORRELATION_STATISTICS = [
    "pearson_r",
    "pearson_ci_low",
    "pearson_ci_high",
    "pearson_p",
    "spearman_rho",
    "spearman_ci_low",
    "spearman_ci_high",
    "spearman_p",
]
CORRELATION_COLUMNS = [*PREDICTOR_ID_COLUMNS, "n", *CORRELATION_STATISTICS, "reason", "ci_method"]


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
    for measure, cell, group in configurations(frame, measures):
        for predictor in predictors:
            if predictor not in group:
                continue
            pair = group[[predictor, measure]].dropna()
            x, y = pair[predictor].to_numpy(float), pair[measure].to_numpy(float)
            ids = dict(zip(PREDICTOR_ID_COLUMNS, [*cell, measure, predictor], strict=True))
            record = {**ids, **_correlation_record(x, y, confidence)}
            record["ci_method"] = CORRELATION_METHOD
            records.append(record)
    return pd.DataFrame.from_records(records, columns=CORRELATION_COLUMNS)


def _correlation_record(x: np.ndarray, y: np.ndarray, confidence: float) -> dict[str, object]:
    """n, both correlations with intervals and p-values, and why any of them is missing."""
    n = len(x)
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        reason = (
            f"{n} language(s): a correlation needs at least 3"
            if n < 3
            else "constant predictor or measure: correlation undefined"
        )
        return {"n": n, **dict.fromkeys(CORRELATION_STATISTICS, math.nan), "reason": reason}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pearson = stats.pearsonr(x, y)
        spearman = stats.spearmanr(x, y)
    r, rho = float(pearson.statistic), float(spearman.statistic)
    pearson_low, pearson_high = fisher_interval(r, n, confidence)
    spearman_low, spearman_high = _spearman_interval(rho, n, confidence)
    return {
        "n": n,
        "pearson_r": r,
        "pearson_ci_low": pearson_low,
        "pearson_ci_high": pearson_high,
        "pearson_p": float(pearson.pvalue),
        "spearman_rho": rho,
        "spearman_ci_low": spearman_low,
        "spearman_ci_high": spearman_high,
        "spearman_p": float(spearman.pvalue),
        "reason": "" if n >= MIN_CORRELATION_N else f"{n} languages: no Fisher-z interval below 4",
    }


def _spearman_interval(rho: float, n: int, confidence: float) -> tuple[float, float]:
    """Fisher-z interval with the Bonett-Wright SE; guarded here because that SE divides by
    n - 3, before :func:`fisher_interval` could refuse a too-small n."""
    if n < MIN_CORRELATION_N or not math.isfinite(rho):
        return math.nan, math.nan
    return fisher_interval(rho, n, confidence, se=spearman_se(rho, n))
