"""Numbers and intervals as the report prints them, and intervals said in plain words.

Every cell goes through :func:`fmt`, so a missing value is always a visible '–' (never 'nan')
and a minus sign is always '−', whichever table or caption it appears in.
"""

from __future__ import annotations

import math
from numbers import Real

import pandas as pd


def fmt(value: object, digits: int = 1, signed: bool = False) -> str:
    """A number for a table cell; '–' for missing (NaN/None), so a gap is visible, not 'nan'."""
    if value is None:
        return "–"
    if not isinstance(value, Real):  # numpy scalars are registered as Real
        return str(value)
    number = float(value)
    if math.isnan(number):
        return "–"
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    text = f"{number:+.{digits}f}" if signed else f"{number:.{digits}f}"
    return text.replace("-", "−")


def fmt_ci(low: object, high: object, digits: int = 1) -> str:
    """'[low, high]' or '' when the interval could not be estimated."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (low, high)):
        return ""
    return f"[{fmt(low, digits)}, {fmt(high, digits)}]"


def fmt_estimate(value: object, low: object, high: object, digits: int = 1) -> str:
    """'+1.2 [0.3, 2.1]', or just '+1.2' without an interval."""
    interval = fmt_ci(low, high, digits)
    return f"{fmt(value, digits, signed=True)} {interval}".strip()


def fmt_p(value: object) -> str:
    """A p-value: '<0.001' below the resolution worth printing."""
    text = fmt(value, 3)
    if text == "–":
        return text
    number = float(text.replace("−", "-"))
    return "<0.001" if number < 0.001 else f"{number:.3f}"


def range_text(values: pd.Series) -> str:
    """'3' or '1–3': how many seeds (or languages) stand behind a table, in one cell."""
    if values.empty:
        return "–"
    low, high = int(values.min()), int(values.max())
    return str(low) if low == high else f"{low}–{high}"


def describe_interval(
    low: float, high: float, n: int, what: str, unit: str = "", subject: str = "languages"
) -> str:
    """One sentence on an interval: its span, and whether the data can tell the sign apart."""
    if math.isnan(low) or math.isnan(high):
        return f"With {n} {subject}, no interval for {what} can be estimated."
    span = f"from {fmt(low, 2)} to {fmt(high, 2)}{unit}"
    if low <= 0 <= high:
        return (
            f"With {n} {subject}, the 95% CI for {what} spans {span}: it includes 0, so the data "
            "cannot distinguish a positive from a negative (or no) association."
        )
    direction = "positive" if low > 0 else "negative"
    width = (
        "" if high - low < abs(low + high) / 2 else " — a wide interval, so its size is uncertain"
    )
    return (
        f"With {n} {subject}, the 95% CI for {what} spans {span}: it excludes 0, so the "
        f"association is {direction}{width}."
    )
