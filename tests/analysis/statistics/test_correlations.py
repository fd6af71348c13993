"""Correlations and their Fisher-z intervals, against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from designs import TOL, Z_975, known_frame

from xstilts.analysis import statistics as S


def test_correlations_known() -> None:
    frame, x1, _, _ = known_frame()
    y, n = frame["gain"].to_numpy(float), len(frame)
    # marginal Pearson r = cov/(sd·sd) and its Fisher interval
    yc = y - y.mean()
    r = 3.0 * float(x1 @ x1) / (math.sqrt(float(x1 @ x1)) * math.sqrt(float(yc @ yc)))
    corr = S.correlations(frame, measures=["gain"]).set_index("predictor")
    assert corr.loc["log_volume", "pearson_r"] == pytest.approx(r, abs=TOL)
    z, half = math.atanh(r), Z_975 / math.sqrt(n - 3)
    assert corr.loc["log_volume", "pearson_ci_low"] == pytest.approx(math.tanh(z - half), abs=TOL)
    assert corr.loc["log_volume", "pearson_ci_high"] == pytest.approx(math.tanh(z + half), abs=TOL)
    ranks = frame[["log_volume", "gain"]].rank()
    rho = float(np.corrcoef(ranks["log_volume"], ranks["gain"])[0, 1])
    assert corr.loc["log_volume", "spearman_rho"] == pytest.approx(rho, abs=TOL)
    se_rho = math.sqrt((1 + rho * rho / 2) / (n - 3))
    assert corr.loc["log_volume", "spearman_ci_low"] == pytest.approx(
        math.tanh(math.atanh(rho) - Z_975 * se_rho), abs=TOL
    )


def test_fisher_interval_and_spearman_se() -> None:
    low, high = S.fisher_interval(0.5, 28)
    assert low == pytest.approx(math.tanh(math.atanh(0.5) - Z_975 / 5), abs=TOL)
    assert high == pytest.approx(math.tanh(math.atanh(0.5) + Z_975 / 5), abs=TOL)
    assert all(math.isnan(v) for v in S.fisher_interval(0.5, 3))
    assert S.fisher_interval(-1.0, 10) == (-1.0, -1.0)
    assert S.spearman_se(0.0, 28) == pytest.approx(0.2, abs=TOL)
