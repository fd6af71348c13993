"""How small an effect could this study have detected? Minimum detectable effects (MDE).

For a comparison whose estimate has standard error SE (from the observed seed and item
variance, :mod:`.bootstrap`), a two-sided test at level α has power 1-β against effects of at
least ``MDE = (q(1 - α/2) + q(1 - β)) · SE`` (q the t quantile at the comparison's df, the normal
one for large df). For two independent groups of n with standard deviation σ this is the
closed form ``(z(1 - α/2) + z(1 - β)) · σ · sqrt(2/n)`` (e.g. Cohen 1988, ch. 2; Bloom 1995,
Eval. Rev. 19(5) "Minimum detectable effects"), which :func:`two_sample_mde` spells out.

The literature's effect sizes set the bar: X-STILTs (Phang et al. 2020, arXiv 2005.13013)
reports gains of about 0.5–2 points on XNLI and several points on the retrieval tasks; a study
whose MDE is above those cannot tell such effects from noise, and the report says so.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

POWER = 0.8
ALPHA = 0.05

REFERENCE_EFFECTS: dict[str, tuple[float, str]] = {
    "classification": (0.5, "0.5-2 points on XNLI (Phang et al. 2020)"),
    "multiple_choice": (1.0, "about 1-2 points on XCOPA-style tasks (Phang et al. 2020)"),
    "span_qa": (1.0, "about 1-3 F1 on XQuAD/MLQA (Phang et al. 2020)"),
    "tagging": (1.0, "about 1 F1 on PAN-X/UDPOS (Phang et al. 2020)"),
    "retrieval": (3.0, "several points on BUCC/Tatoeba (Phang et al. 2020)"),
}
"""Smallest literature-sized effect per family, in points, with the claim it comes from."""


def mde(se: float, df: float = math.inf, alpha: float = ALPHA, power: float = POWER) -> float:
    """Minimum detectable effect of a two-sided level-``alpha`` test with ``power``."""
    if not se > 0:
        return math.nan
    if math.isinf(df):
        factor = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    else:
        factor = stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)
    return float(factor * se)


def mde_array(
    se: np.ndarray, df: np.ndarray, alpha: float = ALPHA, power: float = POWER
) -> np.ndarray:
    """:func:`mde` of many comparisons at once (NaN where ``se`` is not positive)."""
    se, df = np.asarray(se, dtype=float), np.asarray(df, dtype=float)
    if se.size == 0:
        return se.copy()
    with np.errstate(invalid="ignore"):
        factor = stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)
    return np.where(se > 0, factor * se, np.nan)


def two_sample_mde(
    sd: float, n_per_group: int, alpha: float = ALPHA, power: float = POWER
) -> float:
    """The textbook closed form for two independent groups of ``n_per_group`` with sd ``sd``."""
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(z * sd * math.sqrt(2.0 / n_per_group))


def too_small(mde_value: float, family: str) -> str:
    """A sentence when the MDE exceeds the literature's smallest effect for ``family``, else ""."""
    reference = REFERENCE_EFFECTS.get(family)
    if reference is None or math.isnan(mde_value) or mde_value <= reference[0]:
        return ""
    return (
        f"can only detect effects of {mde_value:.1f} points or more at 80% power; "
        f"X-STILTs-sized effects ({reference[1]}) would go undetected"
    )
