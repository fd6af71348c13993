"""Holm and Benjamini–Hochberg adjusted p-values equal statsmodels' ``multipletests``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from xstilts.analysis.statistics import multiplicity as M

CASES = [
    [0.01, 0.04, 0.03, 0.005],
    [0.2, 0.2, 0.01, 0.5, 0.04, 0.04],  # ties
    [0.9],
    list(np.random.default_rng(3).uniform(0, 0.2, 40)),
]


@pytest.mark.parametrize("p", CASES)
def test_holm_equals_statsmodels(p: list[float]) -> None:
    expected = multipletests(p, method="holm")[1]
    np.testing.assert_allclose(M.holm(p), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("p", CASES)
def test_bh_equals_statsmodels(p: list[float]) -> None:
    expected = multipletests(p, method="fdr_bh")[1]
    np.testing.assert_allclose(M.benjamini_hochberg(p), expected, rtol=0, atol=1e-12)


def test_hand_values_and_nan_left_out() -> None:
    # Holm: sorted 0.01, 0.02, 0.04 times 3, 2, 1 -> 0.03, 0.04, 0.04 (running max)
    adjusted = M.holm([0.04, math.nan, 0.01, 0.02])
    assert math.isnan(adjusted[1])
    np.testing.assert_allclose(adjusted[[0, 2, 3]], [0.04, 0.03, 0.04])
    # BH: 0.01*3/1, 0.02*3/2, 0.04*3/3 -> 0.03, 0.03, 0.04
    np.testing.assert_allclose(M.benjamini_hochberg([0.04, 0.01, 0.02]), [0.04, 0.03, 0.03])


def test_adjust_family_declares_the_family() -> None:
    table = pd.DataFrame({"p_value": [0.01, 0.04, math.nan]})
    out = M.adjust_family(table, "gains over none", M.CONFIRMATORY)
    assert set(out["adjustment"]) == {"holm"} and set(out["family_size"]) == {2}
    np.testing.assert_allclose(out["p_adjusted"][:2], [0.02, 0.04])
    with pytest.raises(ValueError, match="family kind"):
        M.adjust([0.1], "both")
