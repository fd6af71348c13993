"""How much does the volume finding depend on how volume is coded?

The main models use log(volume) + an ``unseen`` indicator. The same "volume" model is refitted
with log(1 + volume) (the coding of earlier versions, which squeezes unseen languages next to
0.01-GiB ones) and, where the volume table has them, log(tokens) + unseen. A slope whose sign or
interval changes with the coding is a finding about the coding, not about the languages.
"""

from __future__ import annotations

import pandas as pd

from xstilts.analysis.statistics.covariates import ALTERNATIVE_CODINGS, UNSEEN
from xstilts.analysis.statistics.design import CONFIDENCE
from xstilts.analysis.statistics.regressions import ols_regressions

SENSITIVITY_COLUMNS = [
    "scope", "encoder", "intermediate_task", "target_task", "measure", "coding", "term",
    "coef", "ci_low", "ci_high", "p_value", "n_languages",
]  # fmt: skip


def coding_sensitivity(
    frame: pd.DataFrame, measures: tuple[str, ...] = ("gain",), confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """The volume slope of each configuration under every available volume coding."""
    available = {
        coding: columns
        for coding, columns in ALTERNATIVE_CODINGS.items()
        if all(c in frame and (c == UNSEEN or frame[c].notna().any()) for c in columns)
    }
    if frame.empty or not available:
        return pd.DataFrame(columns=SENSITIVITY_COLUMNS)
    fits = ols_regressions(frame, measures=measures, specs=available, confidence=confidence)
    table = fits.coefficients
    slopes = table[table["term"] == table["model"].map(lambda m: available[m][0])]
    return (
        slopes.rename(columns={"model": "coding"})
        .reindex(columns=SENSITIVITY_COLUMNS)
        .reset_index(drop=True)
    )
