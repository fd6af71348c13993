"""A precision-weighted random-intercept model, fitted by REML.

Each row is one language's measure in one target task, y_i = x_iᵀβ + u_language + e_i + ε_i:
u ~ N(0, τ²) the language's random intercept (one language appears in several tasks), e_i ~
N(0, σ²) what the predictors leave, and ε_i ~ N(0, v_i) the row's *known* sampling error — the
bootstrap variance over seeds and test items of that score. So a language scored on 120 items
counts less than one scored on 5,010, without its precision pretending that the languages agree
more than they do (σ² and τ² still enter every weight). This is the multilevel
meta-regression of Konstantopoulos 2011 (Res. Synth. Methods 2(1), "Fixed effects and variance
components estimation in three-level meta-analysis"; metafor's ``rma.mv(yi, vi, random = ~ 1 |
language/row)``). With every v_i = 0 it is the ordinary random-intercept linear mixed model
(statsmodels ``MixedLM``), which a test checks.

V is block-diagonal by language with blocks τ²·11ᵀ + diag(v_i + σ²), so the restricted
log-likelihood is evaluated in closed form per language (Sherman–Morrison) at O(n p²) per
evaluation, and maximised over (τ², σ²) >= 0 with L-BFGS-B from the best point of a small grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

_GRID = (0.0, 0.1, 0.5, 1.0)
"""Starting fractions of var(y) for τ² and σ², tried before the optimiser (REML surfaces of two
variance components are usually unimodal, but a boundary optimum is common)."""


@dataclass
class RemlFit:
    """Estimates of one fit: coefficients with their covariance, and the variance components."""

    coef: pd.Series
    cov: np.ndarray
    language_variance: float
    residual_variance: float
    converged: bool

    @property
    def se(self) -> pd.Series:
        return pd.Series(np.sqrt(np.clip(np.diag(self.cov), 0.0, None)), index=self.coef.index)


class _Blocks:
    """The sums the block-diagonal V⁻¹ needs, for one (τ², σ²)."""

    def __init__(
        self, X: np.ndarray, y: np.ndarray, groups: np.ndarray, v: np.ndarray, theta: np.ndarray
    ) -> None:
        tau2, sigma2 = float(theta[0]), float(theta[1])
        w = 1.0 / (v + sigma2)
        n_groups = int(groups.max()) + 1
        total_w = np.bincount(groups, w, n_groups)
        self.shrink = tau2 / (1.0 + tau2 * total_w)  # c_g in V_g⁻¹ = W − c_g (W1)(W1)ᵀ
        wX = w[:, None] * X
        group_wX = np.stack([np.bincount(groups, wX[:, k], n_groups) for k in range(X.shape[1])], 1)
        group_wy = np.bincount(groups, w * y, n_groups)
        self.xtx = X.T @ wX - (group_wX * self.shrink[:, None]).T @ group_wX
        self.xty = X.T @ (w * y) - group_wX.T @ (self.shrink * group_wy)
        self.yty = float(y @ (w * y) - (self.shrink * group_wy) @ group_wy)
        self.logdet = float(-np.log(w).sum() + np.log1p(tau2 * total_w).sum())


def _restricted_deviance(
    theta: np.ndarray, X: np.ndarray, y: np.ndarray, groups: np.ndarray, v: np.ndarray
) -> float:
    """−2 × the restricted log-likelihood (constant dropped): log|V| + log|XᵀV⁻¹X| + rᵀV⁻¹r."""
    blocks = _Blocks(X, y, groups, v, theta)
    sign, logdet_xtx = np.linalg.slogdet(blocks.xtx)
    if sign <= 0:
        return math.inf
    coef = np.linalg.solve(blocks.xtx, blocks.xty)
    return blocks.logdet + float(logdet_xtx) + blocks.yty - float(coef @ blocks.xty)


def fit_random_intercept(
    y: pd.Series, X: pd.DataFrame, languages: pd.Series, variances: pd.Series | None = None
) -> RemlFit:
    """REML fit of y = Xβ + u_language + e + ε with var(ε_i) = ``variances`` (0 when None).

    Without known variances σ² is kept above 1e-8 · var(y) (else V could be singular); with
    them it may reach 0 (the rows then differ by no more than their sampling error).
    """
    y_arr, X_arr = y.to_numpy(float), X.to_numpy(float)
    groups = pd.factorize(languages.to_numpy())[0]
    v = np.zeros(len(y_arr)) if variances is None else variances.to_numpy(float)
    scale = float(np.var(y_arr)) or 1.0
    floor = 0.0 if variances is not None and bool((v > 0).all()) else 1e-8 * scale
    args = (X_arr, y_arr, groups, v)

    def deviance(scaled: np.ndarray) -> float:  # (τ², σ²) in units of var(y)
        return _restricted_deviance(scaled * scale, *args)

    starts = [np.array([a, max(b, floor / scale)]) for a in _GRID for b in _GRID]
    result = optimize.minimize(
        deviance, min(starts, key=deviance), method="L-BFGS-B",
        bounds=[(0.0, None), (floor / scale, None)],
        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 1000},
    )  # fmt: skip
    theta = np.asarray(result.x) * scale
    blocks = _Blocks(X_arr, y_arr, groups, v, theta)
    cov = np.linalg.inv(blocks.xtx)
    return RemlFit(
        coef=pd.Series(cov @ blocks.xty, index=X.columns),
        cov=cov,
        language_variance=float(theta[0]),
        residual_variance=float(theta[1]),
        converged=bool(result.success) and bool(np.isfinite(result.fun)),
    )
