"""How numbers, intervals and p-values print, and intervals said in words."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from xstilts.analysis.report.formatting import (
    describe_interval,
    fmt,
    fmt_ci,
    fmt_estimate,
    fmt_p,
    range_text,
)


def test_fmt_shows_gaps_and_true_minus_signs() -> None:
    assert fmt(1.25) == "1.2" and fmt(np.float64(-0.5), signed=True) == "−0.5"
    assert fmt(3, 2, signed=True) == "+3.00"
    assert fmt(math.nan) == fmt(None) == "–"
    assert fmt(math.inf) == "∞" and fmt(-math.inf) == "−∞"
    assert fmt("n/a") == "n/a"


def test_intervals_and_estimates() -> None:
    assert fmt_ci(-0.25, 1.0, 2) == "[−0.25, 1.00]"
    assert fmt_ci(math.nan, 1.0) == ""
    assert fmt_estimate(1.2, 0.3, 2.1) == "+1.2 [0.3, 2.1]"
    assert fmt_estimate(1.2, math.nan, math.nan) == "+1.2"


def test_p_values_and_ranges() -> None:
    assert fmt_p(0.0004) == "<0.001" and fmt_p(0.0123) == "0.012" and fmt_p(math.nan) == "–"
    assert range_text(pd.Series([3, 3])) == "3"
    assert range_text(pd.Series([1, 3, 2])) == "1–3"
    assert range_text(pd.Series([], dtype=int)) == "–"


def test_describe_interval_says_whether_the_sign_is_known() -> None:
    assert "includes 0" in describe_interval(-0.5, 1.0, 7, "the slope")
    positive = describe_interval(0.8, 1.2, 7, "the slope", " points")
    assert "from 0.80 to 1.20 points" in positive and "association is positive." in positive
    assert "a wide interval" in describe_interval(-3.0, -0.1, 7, "r")
    assert describe_interval(math.nan, 1.0, 3, "r") == (
        "With 3 languages, no interval for r can be estimated."
    )
