"""Constructed data whose regression results are known in closed form.

y = 10 + 3·x1 − 5·x2 + e with x1, x2 centred and orthogonal and e orthogonal to (1, x1, x2):
OLS then returns exactly (10, 3, −5), the residual variance is e'e/(n − 3), and every standard
error, interval, VIF and partial correlation has a closed form that a test can compute
independently of statsmodels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xstilts.analysis import statistics as S

TOL = 1e-6
Z_975 = 1.959963984540054
LANGUAGES = ["de", "fr", "es", "ru", "zh", "ar", "hi", "sw", "ur", "th", "tr", "vi"]


def orthogonal_design(n: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x1, x2 centred and orthogonal; e orthogonal to (1, x1, x2); all fixed, no randomness."""
    x1 = np.arange(n, dtype=float) - (n - 1) / 2
    x2 = np.array([1.0, -1.0, -1.0, 1.0] * (n // 4))  # orthogonal to 1 and to the linear x1
    raw = np.cos(np.arange(n) * 1.7)
    basis = np.column_stack([np.ones(n), x1, x2])
    e = raw - basis @ np.linalg.lstsq(basis, raw, rcond=None)[0]
    assert abs(x1 @ x2) < 1e-12 and np.abs(basis.T @ e).max() < 1e-12
    return x1, x2, e


def design_frame(
    y: np.ndarray, covariates: dict[str, np.ndarray], target: str = "xnli"
) -> pd.DataFrame:
    """An analysis frame (one row per language) with the given gain and covariates."""
    n = len(y)
    frame = pd.DataFrame(
        {
            "encoder": "xlmr",
            "intermediate_task": "mnli",
            "target_task": target,
            "language": LANGUAGES[:n] if n <= len(LANGUAGES) else [f"l{i}" for i in range(n)],
            "gain": y,
        }
    )
    for column in S.PREDICTORS:
        frame[column] = covariates.get(column, np.full(n, np.nan))
    return frame


def known_frame() -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """The frame of y = 10 + 3·x1 − 5·x2 + e (x1 as log volume, x2 as syntax distance)."""
    x1, x2, e = orthogonal_design()
    y = 10.0 + 3.0 * x1 - 5.0 * x2 + e
    return design_frame(y, {"log_volume": x1, "syntax_distance": x2}), x1, x2, e
