"""Minimum detectable effects: the closed form, and the observed-variance version agree."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from xstilts.analysis.statistics import bootstrap as B
from xstilts.analysis.statistics import power as P


def test_two_sample_closed_form_by_hand() -> None:
    # (1.959964 + 0.841621) * 10 * sqrt(2/100) = 3.96203
    assert abs(P.two_sample_mde(10.0, 100) - 2.8015852 * 10 * math.sqrt(0.02)) < 1e-5


def test_mde_from_observed_variance_matches_two_sample_formula() -> None:
    """Two configurations scored on independent items (one seed): the SE of the difference
    of means is sd·sqrt(2/n) when both have sample sd ``sd``, so the MDEs coincide."""
    n, sd = 400, 12.0
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    # make a and b exactly uncorrelated, mean 0, sample sd (ddof=1) = sd
    b -= a * (a @ b) / (a @ a)
    a, b = (v - v.mean() for v in (a, b))
    b -= a * (a @ b) / (a @ a)
    a, b = (v / v.std(ddof=1) * sd for v in (a, b))
    task = B.TaskScores(["none", "mnli"], [0], ["de"], {"de": np.stack([a, b])[:, None, :]})
    seed_var, item_var, df = B.variance_components(
        task, B.gain_contrast(task, ["de"], "mnli", "none")
    )
    assert seed_var == 0.0
    se = math.sqrt(item_var)
    assert abs(se - sd * math.sqrt(2 / n)) < 1e-9
    assert abs(P.mde(se) - P.two_sample_mde(sd, n)) < 1e-9
    # with finite df the t quantiles replace z
    expected = (stats.t.ppf(0.975, df) + stats.t.ppf(0.8, df)) * se
    assert abs(P.mde(se, df) - expected) < 1e-9


def test_too_small_names_the_literature_effect() -> None:
    assert "X-STILTs-sized" in P.too_small(3.2, "classification")
    assert P.too_small(0.4, "classification") == ""
    assert P.too_small(2.0, "retrieval") == ""
    assert math.isnan(P.mde(0.0))


def test_mde_array_equals_mde_one_at_a_time() -> None:
    se = np.array([0.5, 2.0, 0.0, 1.0, 3.0])
    df = np.array([4.0, 120.0, 10.0, np.inf, np.nan])
    expected = [P.mde(s, d) for s, d in zip(se, df, strict=True)]
    np.testing.assert_allclose(P.mde_array(se, df), expected, rtol=1e-12)
