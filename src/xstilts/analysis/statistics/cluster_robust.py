"""Cluster-robust standard errors by language with the CR2 small-sample correction, the
Bell–McCaffrey degrees of freedom, and a permutation test over languages.

A pooled fit sees one language under several target tasks (and intermediates): those rows are
not independent, and with 5–40 languages the ordinary cluster-robust (CR1) errors are too small.
CR2 (Bell & McCaffrey 2002, Survey Methodology 28(2) 169-181) adjusts each cluster's residuals by
``A_g = (I - H_gg)^(-1/2)`` (symmetric inverse square root; ``H_gg`` the cluster's block of the
hat matrix), which makes the variance estimator unbiased under homoskedastic errors; t-tests use
the Bell–McCaffrey Satterthwaite degrees of freedom as Imbens & Kolesár (2016, Rev. Econ. Stat.
98(4) 701-712, §III) write them: ``df = (Σλ)² / Σλ²`` with λ the eigenvalues of G'G, where column
g of G is ``(I - H)_g' A_g X_g (X'X)^-1 ℓ`` for the coefficient picked by ℓ. statsmodels offers
CR0/CR1 only, so this is written from those definitions.

Weighted fits (precision weights) are CR2 of the transformed OLS problem ``√w·y ~ √w·X``, i.e.
CR2 with working covariance W⁻¹ (Pustejovsky & Tipton 2018, J. Bus. Econ. Stat. 36(4)).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass
class ClusterRobustFit:
    """Coefficients with CR2 standard errors, Bell–McCaffrey df and t-test p-values."""

    terms: list[str]
    coef: np.ndarray
    se: np.ndarray
    df: np.ndarray
    p_value: np.ndarray
    n_clusters: int

    def interval(self, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        half = stats.t.ppf(0.5 + confidence / 2, self.df) * self.se
        return self.coef - half, self.coef + half


def _inverse_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Symmetric inverse square root; eigenvalues ~0 (a cluster its own fit absorbs, e.g. a
    language with its own dummy) get 0, the Moore–Penrose convention of clubSandwich."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    inverse = np.where(values > 1e-12, 1.0 / np.sqrt(np.clip(values, 1e-300, None)), 0.0)
    return (vectors * inverse) @ vectors.T


def cr2(
    y: np.ndarray,
    X: np.ndarray,
    clusters: Sequence[object],
    weights: np.ndarray | None = None,
    terms: Sequence[str] | None = None,
) -> ClusterRobustFit:
    """(Weighted) least squares with CR2 errors by cluster and Bell–McCaffrey df."""
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    if weights is not None:
        root = np.sqrt(np.asarray(weights, dtype=float))
        y, X = y * root, X * root[:, None]
    n, k = X.shape
    bread = np.linalg.pinv(X.T @ X)
    coef = bread @ X.T @ y
    residual = y - X @ coef
    labels = np.asarray([str(c) for c in clusters])
    groups = [np.flatnonzero(labels == label) for label in dict.fromkeys(labels)]
    hat_complement = np.eye(n) - X @ bread @ X.T
    meat = np.zeros((k, k))
    # G-matrix pieces: per cluster, (I - H)_g' A_g X_g (n x k); column g of G is this @ bread @ l
    g_pieces: list[np.ndarray] = []
    for index in groups:
        adjust = _inverse_sqrt(hat_complement[np.ix_(index, index)])
        score = X[index].T @ adjust @ residual[index]
        meat += np.outer(score, score)
        g_pieces.append(hat_complement[index].T @ adjust @ X[index])
    covariance = bread @ meat @ bread
    se = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    df = np.array([_bell_mccaffrey_df(g_pieces, bread[:, j]) for j in range(k)])
    with np.errstate(divide="ignore", invalid="ignore"):
        p_value = 2 * stats.t.sf(np.abs(coef / se), df)
    names = list(terms) if terms is not None else [f"x{j}" for j in range(k)]
    return ClusterRobustFit(names, coef, se, df, p_value, len(groups))


def _bell_mccaffrey_df(g_pieces: list[np.ndarray], bread_column: np.ndarray) -> float:
    """(Σλ)² / Σλ², λ the eigenvalues of G'G; tr(G'G)² / tr((G'G)²) without eigenvalues."""
    G = np.column_stack([piece @ bread_column for piece in g_pieces])
    gram = G.T @ G
    denominator = float(np.sum(gram * gram))
    return float(np.trace(gram) ** 2 / denominator) if denominator > 0 else float("nan")


def permutation_p_value(
    y: np.ndarray,
    X: np.ndarray,
    column: int,
    clusters: Sequence[object],
    permutations: int = 2000,
    seed: int = 0,
) -> float:
    """Two-sided p of coefficient ``column`` when its values are permuted *between languages*.

    The predictor (volume, a distance) is a property of the language, so a language keeps its
    rows together and hands its value to another language; the other columns (task effects,
    baseline) stay. p = (1 + #{|b*| >= |b|}) / (1 + permutations) (Phipson & Smyth 2010).
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    labels = np.asarray([str(c) for c in clusters])
    names, positions = np.unique(labels, return_inverse=True)
    values = np.array([X[positions == i, column][0] for i in range(len(names))])
    observed = np.linalg.lstsq(X, y, rcond=None)[0][column]
    rng = np.random.default_rng(seed)
    exceed = 0
    permuted_X = X.copy()
    for _ in range(permutations):
        permuted_X[:, column] = rng.permutation(values)[positions]
        estimate = np.linalg.lstsq(permuted_X, y, rcond=None)[0][column]
        exceed += abs(estimate) >= abs(observed) - 1e-12
    return (1 + exceed) / (1 + permutations)
