"""The precision-weighted random-intercept model: statsmodels' MixedLM where no sampling variance
is known, and known answers where it is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from designs import design_frame

from xstilts.analysis import statistics as S
from xstilts.analysis.statistics.reml import fit_random_intercept


def unbalanced(seed: int = 4) -> tuple[pd.Series, pd.DataFrame, pd.Series]:
    """12 languages in 1-3 tasks, a language effect and noise: an unbalanced design."""
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(12):
        volume, effect = rng.normal(0, 1), rng.normal(0, 2)
        for task in range(1 + index % 3):
            rows.append((f"l{index}", volume, float(task == 1), float(task == 2), effect))
    frame = pd.DataFrame(rows, columns=["language", "log_volume", "t1", "t2", "u"])
    y = 1.0 + 2.0 * frame["log_volume"] + 0.5 * frame["t1"] + frame["u"]
    y = y + rng.normal(0, 1.0, len(frame))
    X = frame[["log_volume", "t1", "t2"]].assign(const=1.0)[["const", "log_volume", "t1", "t2"]]
    return y, X, frame["language"]


def test_without_known_variances_it_is_statsmodels_mixedlm() -> None:
    import statsmodels.api as sm

    y, X, languages = unbalanced()
    ours = fit_random_intercept(y, X, languages)
    reference = sm.MixedLM(y, X, groups=languages).fit(reml=True)
    assert ours.converged
    assert ours.coef.to_numpy() == pytest.approx(reference.fe_params.to_numpy(), abs=1e-4)
    assert ours.language_variance == pytest.approx(float(reference.cov_re.iloc[0, 0]), rel=1e-4)
    assert ours.residual_variance == pytest.approx(float(reference.scale), rel=1e-4)
    # the GLS covariance (XᵀV⁻¹X)⁻¹ with V built densely from the estimated components
    # (statsmodels' bse_fe comes from the joint Hessian and differs by ~0.3% on task dummies)
    same = (languages.to_numpy()[:, None] == languages.to_numpy()[None, :]).astype(float)
    V = ours.language_variance * same + ours.residual_variance * np.eye(len(y))
    Xn = X.to_numpy()
    cov = np.linalg.inv(Xn.T @ np.linalg.solve(V, Xn))
    assert ours.cov == pytest.approx(cov, rel=1e-8)


def outlier_study() -> pd.DataFrame:
    """10 languages × 2 tasks on the exact line gain = 2 + 3·x (+1 in task b), each scored
    precisely (variance 0.01), except 3 languages scored on a handful of items (variance 10⁶)
    whose gains sit 40 points off the line."""
    x = np.linspace(-2.0, 2.0, 10)
    frames = []
    for target, shift in (("a", 0.0), ("b", 1.0)):
        gain = 2.0 + 3.0 * x + shift
        se = np.full(10, 0.1)
        gain[[1, 5, 8]] += 40.0
        se[[1, 5, 8]] = 1000.0
        frame = design_frame(gain, {"log_volume": x}, target=target)
        frame["language"] = [f"l{i}" for i in range(10)]
        frame["gain_se"] = se
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_precise_languages_decide_the_weighted_fit() -> None:
    """Known answer: the precise rows lie on the line exactly, so the weighted estimate is the
    line (slope 3, task shift 1), while an unweighted fit is pulled by the noisy languages."""
    frame = outlier_study()
    weighted = S.mixed_models(frame, measures=["gain"])
    model = weighted.models.set_index("model").loc["volume"]
    assert model["status"] == "fitted" and model["weights"] == "inverse variance"
    fit = weighted.coefficients.set_index("term")
    assert fit.loc["log_volume", "coef"] == pytest.approx(3.0, abs=1e-3)
    assert fit.loc["task[b]", "coef"] == pytest.approx(1.0, abs=1e-3)
    assert fit.loc["const", "coef"] == pytest.approx(2.0, abs=1e-3)
    unweighted = S.mixed_models(frame.drop(columns="gain_se"), measures=["gain"])
    assert unweighted.models.set_index("model").loc["volume", "weights"] == "none"
    plain = unweighted.coefficients.set_index("term")
    assert abs(plain.loc["const", "coef"] - 2.0) > 5.0  # 3 of 10 languages 40 points high


def test_weights_follow_the_closed_form_gls() -> None:
    """Intercept only, one row per language: REML's τ² + σ² is 0 when the precise rows agree,
    and the estimate is then the inverse-variance weighted mean Σ y/v / Σ 1/v."""
    y = pd.Series([10.0, 10.0, 10.0, 0.0])
    variances = pd.Series([1.0, 1.0, 1.0, 1e4])
    fit = fit_random_intercept(
        y, pd.DataFrame({"const": np.ones(4)}), pd.Series(list("abcd")), variances
    )
    expected = float((y / variances).sum() / (1 / variances).sum())
    assert fit.coef["const"] == pytest.approx(expected, abs=1e-6)
    assert fit.se["const"] == pytest.approx(float((1 / variances).sum() ** -0.5), rel=1e-4)
