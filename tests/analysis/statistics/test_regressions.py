"""OLS, VIF and partial effects on designs whose results are known in closed form."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from designs import TOL, Z_975, design_frame, known_frame, orthogonal_design
from scipy import stats

from xstilts.analysis import statistics as S


def test_ols_coefficients_and_intervals_known() -> None:
    frame, x1, x2, e = known_frame()
    ols = S.ols_regressions(frame, measures=["gain"])

    models = ols.models.set_index("model")
    assert models.loc["volume", "status"] == "fitted"
    assert models.loc["volume+distances", "status"] == "fitted"
    assert "phonology_distance (not available)" in models.loc["volume+distances", "dropped"]

    n = len(frame)
    full = ols.coefficients[ols.coefficients["model"] == "volume+distances"].set_index("term")
    assert full.loc["const", "coef"] == pytest.approx(10.0, abs=TOL)
    assert full.loc["log_volume", "coef"] == pytest.approx(3.0, abs=TOL)
    assert full.loc["syntax_distance", "coef"] == pytest.approx(-5.0, abs=TOL)
    # closed forms: s² = e'e/(n−3); with centred orthogonal columns Var(b_j) = s²/x_j'x_j
    s2 = float(e @ e) / (n - 3)
    t = float(stats.t.ppf(0.975, n - 3))
    for term, x, coef in (("log_volume", x1, 3.0), ("syntax_distance", x2, -5.0)):
        se = math.sqrt(s2 / float(x @ x))
        assert full.loc[term, "se"] == pytest.approx(se, abs=TOL)
        assert full.loc[term, "ci_low"] == pytest.approx(coef - t * se, abs=TOL)
        assert full.loc[term, "ci_high"] == pytest.approx(coef + t * se, abs=TOL)
    assert full.loc["const", "se"] == pytest.approx(math.sqrt(s2 / n), abs=TOL)

    # x2 and e are orthogonal to x1, so the slope of y on x1 alone is also exactly 3
    alone = ols.coefficients[ols.coefficients["model"] == "volume"].set_index("term")
    assert alone.loc["log_volume", "coef"] == pytest.approx(3.0, abs=TOL)


def test_vif_of_orthogonal_predictors_is_one() -> None:
    frame, *_ = known_frame()
    vif = S.vif_table(frame.set_index("language"), {"all": list(frame["language"])})
    assert vif.set_index("predictor")["vif"].to_dict() == pytest.approx(
        {"log_volume": 1.0, "syntax_distance": 1.0}, abs=TOL
    )


def test_partial_effects_known() -> None:
    frame, x1, _, e = known_frame()
    ols = S.ols_regressions(frame, measures=["gain"])
    # partial r of x1 given x2: residuals are x1 and 3·x1 + e
    partial = S.partial_effects(frame, ols, measures=["gain"]).set_index("predictor")
    expected = (
        3.0
        * float(x1 @ x1)
        / (math.sqrt(float(x1 @ x1)) * math.sqrt(9.0 * float(x1 @ x1) + float(e @ e)))
    )
    assert partial.loc["log_volume", "partial_r"] == pytest.approx(expected, abs=TOL)
    half = Z_975 / math.sqrt(len(frame) - 3 - 1)
    assert partial.loc["log_volume", "partial_ci_low"] == pytest.approx(
        math.tanh(math.atanh(expected) - half), abs=TOL
    )
    span = float(x1.max() - x1.min())
    assert partial.loc["log_volume", "effect_over_range"] == pytest.approx(3.0 * span, abs=TOL)


def test_pooled_ols_uses_task_fixed_effects() -> None:
    x1, _, e = orthogonal_design()
    frames = [
        design_frame(intercept + 3.0 * x1 + e, {"log_volume": x1}, target=target)
        for target, intercept in (("pawsx", 20.0), ("xnli", 5.0))
    ]
    ols = S.ols_regressions(pd.concat(frames, ignore_index=True), measures=["gain"])
    pooled = ols.coefficients[ols.coefficients["scope"] == "pooled"].set_index("term")
    assert pooled.loc["log_volume", "coef"] == pytest.approx(3.0, abs=TOL)
    assert pooled.loc["const", "coef"] == pytest.approx(20.0, abs=TOL)  # pawsx, the reference
    assert pooled.loc["task[xnli]", "coef"] == pytest.approx(-15.0, abs=TOL)
    model = ols.models[(ols.models["scope"] == "pooled") & (ols.models["model"] == "volume")]
    assert model["n"].iloc[0] == 24 and model["n_languages"].iloc[0] == 12


def test_collinear_predictors_are_reported_not_fitted() -> None:
    x1, _, e = orthogonal_design()
    frame = design_frame(3.0 * x1 + e, {"log_volume": x1, "syntax_distance": 2.0 * x1 + 1.0})
    ols = S.ols_regressions(frame, measures=["gain"])
    full = ols.models.set_index("model").loc["volume+distances"]
    assert full["status"] == "skipped" and "collinear" in full["reason"]
    vif = S.vif_table(frame.set_index("language"), {"all": list(frame["language"])})
    assert np.isinf(vif["vif"]).all()


def test_pooled_fits_use_cr2_by_language_and_precision_weights() -> None:
    """Pooled over two tasks, each language appears twice: the SEs are CR2 by language with
    Bell-McCaffrey df (equal to cluster_robust.cr2 on the same design), and with per-language
    sampling SEs the fit is weighted by 1 / (se² + tau²)."""
    from xstilts.analysis.statistics.cluster_robust import cr2
    from xstilts.analysis.statistics.design import build_design
    from xstilts.analysis.statistics.regressions import precision_weights

    x1, _, e = orthogonal_design()
    frames = [
        design_frame(intercept + 3.0 * x1 + e * scale, {"log_volume": x1}, target=target)
        for target, intercept, scale in (("pawsx", 20.0, 1.0), ("xnli", 5.0, -0.5))
    ]
    frame = pd.concat(frames, ignore_index=True)
    frame["gain_se"] = np.linspace(0.5, 2.0, len(frame))
    ols = S.ols_regressions(frame, measures=["gain"])
    model = ols.models.set_index(["scope", "model"]).loc[("pooled", "volume")]
    assert model["se_type"].startswith("CR2") and model["weights"].startswith("inverse")
    assert 0 < model["volume_p_permutation"] <= 1
    design = build_design(frame, "gain", ["log_volume"], task_effects=True)
    weights = precision_weights(design)
    assert weights is not None and weights[0] > weights[-1]  # more precise, more weight
    expected = cr2(design.y, design.X, design.languages, weights, list(design.X.columns))
    pooled = ols.coefficients[ols.coefficients["scope"] == "pooled"]
    pooled = pooled[pooled["model"] == "volume"].set_index("term")
    np.testing.assert_allclose(pooled.loc[expected.terms, "se"], expected.se, rtol=1e-10)
    assert pooled.loc["log_volume", "df_resid"] == pytest.approx(expected.df.min())
    per_task = ols.models.set_index(["scope", "model"]).loc[("task", "volume")]
    assert (per_task["se_type"] == "classical").all()
