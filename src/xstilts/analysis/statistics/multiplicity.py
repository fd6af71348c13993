"""Multiple testing: every report declares its families of tests and adjusts within each.

A report that runs dozens of tests will find "significant" ones by chance. Each family is
adjusted on its own: *confirmatory* families (the handful of claims the study was designed to
test: the gain of each intermediate task over ``none`` and over the controls, averaged over the
zero-shot languages) with Holm's step-down method, which controls the family-wise error rate;
*exploratory* families (per-language tables, regressions on covariates) with Benjamini–Hochberg,
which controls the false discovery rate. Adjusted p-values are reported next to the raw ones.

Definitions: Holm (1979), Scand. J. Statist. 6(2) 65-70; Benjamini & Hochberg (1995),
J. R. Statist. Soc. B 57(1) 289-300 — written as adjusted p-values, as ``statsmodels``'
``multipletests`` returns them (methods ``"holm"`` and ``"fdr_bh"``), which the tests compare.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

CONFIRMATORY = "confirmatory"
EXPLORATORY = "exploratory"
METHODS = {CONFIRMATORY: "holm", EXPLORATORY: "bh"}


def _adjusted(
    p_values: Sequence[float], step: Callable[[np.ndarray, int], np.ndarray]
) -> np.ndarray:
    """``step(sorted valid p-values, m)`` written back in input order; NaN p-values stay NaN
    and do not count towards m (the number of tests in the family)."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    if valid.size == 0:
        return out
    order = valid[np.argsort(p[valid], kind="stable")]
    out[order] = step(p[order], valid.size)
    return out


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm step-down adjusted p-values: sorted p_(k) times (m - k + 1), running max, cap 1.

    NaN p-values are left NaN and do not count towards m.
    """

    def step(ordered: np.ndarray, m: int) -> np.ndarray:
        return np.minimum(np.maximum.accumulate(ordered * (m - np.arange(m))), 1.0)

    return _adjusted(p_values, step)


def benjamini_hochberg(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values: p_(k) · m / k, running min from the top, cap 1."""

    def step(ordered: np.ndarray, m: int) -> np.ndarray:
        scaled = ordered * m / np.arange(1, m + 1)
        return np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)

    return _adjusted(p_values, step)


def adjust(p_values: Sequence[float], kind: str) -> np.ndarray:
    """Adjusted p-values for one family: Holm if confirmatory, BH if exploratory."""
    if kind == CONFIRMATORY:
        return holm(p_values)
    if kind == EXPLORATORY:
        return benjamini_hochberg(p_values)
    raise ValueError(f"family kind must be {CONFIRMATORY!r} or {EXPLORATORY!r}, not {kind!r}")


def adjust_family(
    table: pd.DataFrame, family: str, kind: str, p_column: str = "p_value"
) -> pd.DataFrame:
    """``table`` with ``family``, ``family_kind``, ``adjustment``, ``family_size`` and
    ``p_adjusted`` columns: the whole table is one family of tests."""
    out = table.copy()
    out["family"] = family
    out["family_kind"] = kind
    out["adjustment"] = METHODS[kind]
    out["family_size"] = int(out[p_column].notna().sum()) if len(out) else 0
    out["p_adjusted"] = adjust(out[p_column].to_numpy(float), kind) if len(out) else []
    return out
