"""CR2 standard errors and Bell–McCaffrey df against hand computations."""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm
from scipy import linalg, stats

from xstilts.analysis.statistics.cluster_robust import cr2, permutation_p_value


def test_singleton_clusters_equal_hc2() -> None:
    """With one observation per cluster CR2 is HC2 (MacKinnon & White 1985)."""
    rng = np.random.default_rng(0)
    n = 15
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n)])
    y = X @ [1.0, 2.0, 3.0] + rng.normal(size=n) * (1 + X[:, 1] ** 2)
    fit = cr2(y, X, range(n))
    np.testing.assert_allclose(fit.se, sm.OLS(y, X).fit(cov_type="HC2").bse, rtol=1e-10)


def test_intercept_only_balanced_clusters_is_the_t_test_on_cluster_means() -> None:
    """Bell & McCaffrey's exact case: y = mu + e with G equal clusters. CR2's variance is
    var(cluster means)/G and its df is G - 1, the one-sample t-test on the cluster means."""
    y = np.array([3.0, 4.0, 8.0, 1.0, 2.0, 2.5, 7.0, 6.0, 9.0, 0.0, 1.0, 5.0])
    clusters = np.repeat(["de", "fr", "sw", "ur"], 3)
    fit = cr2(y, np.ones((12, 1)), clusters)
    means = y.reshape(4, 3).mean(axis=1)
    assert abs(fit.se[0] - means.std(ddof=1) / 2) < 1e-12
    assert abs(fit.df[0] - 3) < 1e-9
    assert abs(fit.p_value[0] - 2 * stats.t.sf(means.mean() / (means.std(ddof=1) / 2), 3)) < 1e-9


def test_unbalanced_clusters_by_hand() -> None:
    """The definition written out with scipy's matrix square root, on 5 languages × 1-3 rows."""
    x = np.array([0.1, 0.4, 1.2, 2.0, 2.2, 3.1, 3.3, 4.0, 5.5, 6.0])
    y = np.array([1.0, 1.4, 2.9, 3.2, 4.5, 4.1, 6.0, 5.2, 8.1, 7.7])
    clusters = ["a", "a", "b", "b", "b", "c", "d", "d", "e", "e"]
    X = np.column_stack([np.ones(10), x])
    bread = np.linalg.inv(X.T @ X)
    e = y - X @ bread @ X.T @ y
    meat = np.zeros((2, 2))
    for c in "abcde":
        idx = [i for i, g in enumerate(clusters) if g == c]
        Xg = X[idx]
        A = np.real(linalg.inv(linalg.sqrtm(np.eye(len(idx)) - Xg @ bread @ Xg.T)))
        u = Xg.T @ A @ e[idx]
        meat += np.outer(u, u)
    expected = np.sqrt(np.diag(bread @ meat @ bread))
    fit = cr2(y, X, clusters)
    np.testing.assert_allclose(fit.se, expected, rtol=1e-10)
    assert np.all((fit.df > 1) & (fit.df < 5))  # at most G - 1 = 4


def test_weights_equal_transformed_ols() -> None:
    x = np.arange(8, dtype=float)
    y = 2 + 0.5 * x + np.array([0.3, -0.2, 0.1, 0.5, -0.4, 0.2, -0.1, 0.0])
    w = np.array([1, 2, 1, 4, 1, 2, 3, 1], dtype=float)
    X = np.column_stack([np.ones(8), x])
    fit = cr2(y, X, range(8), weights=w)
    reference = sm.WLS(y, X, weights=w).fit()
    np.testing.assert_allclose(fit.coef, reference.params, rtol=1e-10)


def test_permutation_p_value_tells_signal_from_noise() -> None:
    languages = np.repeat(np.arange(10), 2)
    volume = np.linspace(0, 5, 10)[languages]
    X = np.column_stack([np.ones(20), volume, np.tile([0.0, 1.0], 10)])
    strong = 2.0 * volume + np.cos(np.arange(20))
    noise = np.cos(np.arange(20) * 2.3)
    assert permutation_p_value(strong, X, 1, languages, permutations=499) < 0.01
    assert permutation_p_value(noise, X, 1, languages, permutations=499) > 0.05
