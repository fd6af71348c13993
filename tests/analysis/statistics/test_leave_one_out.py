"""Leave-one-language-out prediction error against closed forms, and its refusals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from designs import TOL, design_frame, orthogonal_design

from xstilts.analysis import statistics as S


def test_exact_relation_predicts_unseen_languages_without_error() -> None:
    x1, _, _ = orthogonal_design()
    y = 2.0 + 3.0 * x1
    lolo = S.leave_one_language_out(design_frame(y, {"log_volume": x1}), measures=["gain"])
    model = lolo.set_index("model").loc["volume"]
    n = len(y)
    assert model["status"] == "fitted" and model["n_languages"] == n
    assert model["rmse"] == pytest.approx(0.0, abs=TOL)
    # leaving language i out, the mean of the others misses by n/(n-1)·(y_i − ȳ)
    expected_null = n / (n - 1) * math.sqrt(float(np.mean((y - y.mean()) ** 2)))
    assert model["rmse_null"] == pytest.approx(expected_null, abs=TOL)
    assert model["skill"] == pytest.approx(1.0, abs=TOL)


def test_a_task_seen_in_one_language_cannot_be_predicted() -> None:
    x1, _, e = orthogonal_design()
    many = design_frame(3.0 * x1 + e, {"log_volume": x1}, target="pawsx")
    one = many[many["language"] == "de"].assign(target_task="xnli", gain=7.0)
    lolo = S.leave_one_language_out(pd.concat([many, one], ignore_index=True), ["gain"])
    pooled = lolo[(lolo["scope"] == "pooled") & (lolo["model"] == "volume")].iloc[0]
    assert pooled["status"] == "skipped"
    assert pooled["reason"] == "a target task has no language other than de: cannot predict it"
