"""The mixed model on a balanced design with closed-form REML estimates, and its fallbacks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from designs import TOL, design_frame, orthogonal_design

from xstilts.analysis import statistics as S


def test_mixed_model_recovers_slope_and_variances() -> None:
    """Balanced: 10 languages × 3 tasks, y = c_t + 3·x_l + u_l + a_l·b_t with u ⊥ (1, x),
    Σa = 0, Σb = 0. For a language-level covariate in a balanced design, GLS equals the OLS of
    language means on x, whatever the variance ratio: slope exactly 3. The REML variances have
    the balanced-ANOVA closed forms computed below."""
    n_languages, x = 10, np.linspace(0.0, 4.5, 10)
    basis = np.column_stack([np.ones(n_languages), x])
    raw = np.sin(np.arange(n_languages) * 2.3)
    u = raw - basis @ np.linalg.lstsq(basis, raw, rcond=None)[0]
    u *= 2.0 / u.std(ddof=1)  # sample variance of u: 4
    a = np.array([1.0, -1.0] * 5)
    tasks = {"t1": (0.0, 1.0), "t2": (5.0, -0.5), "t3": (-2.0, -0.5)}  # (c_t, b_t)
    rows = []
    for target, (c, b) in tasks.items():
        y = c + 3.0 * x + u + a * b
        frame = design_frame(y, {"log_volume": x}, target=target)
        frame["language"] = [f"l{i}" for i in range(n_languages)]
        rows.append(frame)
    mixed = S.mixed_models(pd.concat(rows, ignore_index=True), measures=["gain"])
    model = mixed.models.set_index("model").loc["volume"]
    assert model["status"] == "fitted", model["reason"]
    fit = mixed.coefficients.set_index("term")
    assert fit.loc["log_volume", "coef"] == pytest.approx(3.0, abs=TOL)
    assert fit.loc["task[t2]", "coef"] == pytest.approx(5.0, abs=TOL)

    n_tasks = len(tasks)
    b = np.array([bt for _, bt in tasks.values()])
    # within-language residual: Σ(a_l b_t)² over (N − L − (T − 1)) df
    residual = float((a**2).sum() * (b**2).sum()) / (n_languages * n_tasks - n_languages - 2)
    # between languages: residual variance of language means on x, minus residual/T
    language = float(u @ u) / (n_languages - 2) - residual / n_tasks
    assert model["residual_variance"] == pytest.approx(residual, rel=1e-4)
    assert model["language_variance"] == pytest.approx(language, rel=1e-3)
    sxx = float(((x - x.mean()) ** 2).sum())
    se = math.sqrt((language + residual / n_tasks) / sxx)
    assert fit.loc["log_volume", "se"] == pytest.approx(se, rel=1e-3)


def test_mixed_model_falls_back_below_threshold() -> None:
    x1, _, e = orthogonal_design(8)
    frames = [
        design_frame(c + 3.0 * x1 + e, {"log_volume": x1}, target=t).iloc[:6]
        for t, c in (("pawsx", 1.0), ("xnli", 2.0))
    ]
    mixed = S.mixed_models(pd.concat(frames, ignore_index=True), measures=["gain"])
    assert mixed.coefficients.empty
    model = mixed.models.set_index("model").loc["volume"]
    assert model["status"] == "skipped"
    assert f"at least {S.MIXED_MIN_LANGUAGES}" in model["reason"]
    # one task only: every language appears once, the language variance is not identifiable
    x1, _, e = orthogonal_design(12)
    single = S.mixed_models(design_frame(3.0 * x1 + e, {"log_volume": x1}), measures=["gain"])
    assert "2+ target tasks" in single.models.set_index("model").loc["volume", "reason"]
