"""Language covariates: how much of a language the encoder saw, and how far it is from English.

The analysis explains language-level robustness by pretraining volume — log(volume) with an
explicit ``unseen`` indicator for languages absent from pretraining — and the five URIEL
distances to English (Lauscher et al. 2020, arXiv 2005.00633). Both come from the package's
language tables, so a report is reproducible from the store alone.

Why not log(1 + GiB): it squeezes the unseen languages (the natural controls) next to 0.01-GiB
ones and makes the slope depend on the unit. With log(volume) + ``unseen``, the slope is
identified from seen languages only and the indicator carries the "no data at all" contrast
(unseen languages get the smallest seen log volume, so the indicator is their difference from
the least-resourced seen language). The old coding and, for CC-100, token counts are kept as
alternatives (:data:`ALTERNATIVE_CODINGS`) for the report's sensitivity table.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from xstilts.analysis import robustness
from xstilts.errors import XstiltsError

VOLUME = "log_volume"
UNSEEN = "unseen"
LOG1P_VOLUME = "log1p_volume"
LOG_TOKENS = "log_tokens"
DISTANCES: tuple[str, ...] = (
    "syntax_distance",
    "phonology_distance",
    "inventory_distance",
    "family_distance",
    "geography_distance",
)
PREDICTORS: tuple[str, ...] = (VOLUME, UNSEEN, *DISTANCES)
VOLUME_TERMS: tuple[str, ...] = (VOLUME, UNSEEN)

ALTERNATIVE_CODINGS: dict[str, tuple[str, ...]] = {
    "log(volume) + unseen": (VOLUME, UNSEEN),
    "log(1 + volume)": (LOG1P_VOLUME,),
    "log(tokens) + unseen": (LOG_TOKENS, UNSEEN),
}
"""Volume codings compared in the sensitivity table (tokens only where the source has them)."""
TOKEN_SOURCES = {"cc100": "cc100_tokens"}

VOLUME_UNITS: dict[str, str] = {
    "cc100_gib": "GiB",
    "cc100_tokens_m": "M tokens",
    "wiki_tokens_m": "M tokens",
    "wiki_articles": "articles",
}


def language_covariates(
    languages: Iterable[str],
    pretraining: str | Path = "cc100",
    source: str = robustness.SOURCE_LANGUAGE,
) -> pd.DataFrame:
    """Volume, log(volume) + ``unseen``, the alternative codings and the five URIEL distances
    to ``source`` for ``languages``.

    Languages absent from pretraining (volume 0: ht, yo, qu, wo for CC-100) stay in the analysis
    as the "no data" controls (science.md §8), flagged by ``unseen``. What could not be looked
    up is NaN and explained in ``frame.attrs["notes"]``; the caller
    drops such languages from the fits that need the missing column. ``attrs`` also carries
    ``volume_source`` and ``volume_unit`` for captions.
    """
    from xstilts.languages.table import pretraining_volume

    codes = sorted(dict.fromkeys(str(code) for code in languages))
    volume_series = pretraining_volume(pretraining)
    frame = pd.DataFrame(index=pd.Index(codes, name="language"))
    frame["volume"] = volume_series.reindex(codes).astype(float).to_numpy()
    frame[VOLUME], frame[UNSEEN] = log_with_unseen(frame["volume"])
    frame[LOG1P_VOLUME] = np.log1p(frame["volume"])
    frame[LOG_TOKENS] = np.nan
    if str(pretraining) in TOKEN_SOURCES:
        tokens = pretraining_volume(TOKEN_SOURCES[str(pretraining)]).reindex(codes).astype(float)
        frame[LOG_TOKENS] = log_with_unseen(tokens)[0].to_numpy()
    notes = _missing_volume_notes(frame, pretraining)
    distances, distance_notes = _distance_columns(codes, source)
    for column, values in distances.items():
        frame[column] = values
    frame.attrs["notes"] = notes + distance_notes
    frame.attrs["volume_source"] = str(pretraining)
    frame.attrs["volume_unit"] = VOLUME_UNITS.get(str(volume_series.name), "volume units")
    return frame


def log_with_unseen(volume: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(log volume, unseen indicator): unseen (volume 0) languages get the smallest seen log
    volume and ``unseen = 1``; a missing volume stays missing in both."""
    volume = volume.astype(float)
    unseen = (volume == 0).astype(float).where(volume.notna())
    logs = np.log(volume.where(volume > 0))
    floor = logs.min() if logs.notna().any() else np.nan
    return logs.where(volume != 0, floor), unseen


def _missing_volume_notes(frame: pd.DataFrame, pretraining: str | Path) -> list[str]:
    """A note naming the languages without a volume: they silently vanish from the fits else."""
    missing = [code for code in frame.index if math.isnan(frame.at[code, "volume"])]
    if not missing:
        return []
    return [
        f"no {pretraining} pretraining volume for {', '.join(missing)}: "
        "left out of every fit that uses volume"
    ]


def _distance_columns(
    codes: Sequence[str], source: str
) -> tuple[dict[str, np.ndarray | float], list[str]]:
    """The distance columns (NaN where URIEL has nothing) and notes on what is missing.

    Typology is optional: without the URIEL data the analysis still runs on volume alone.
    """
    try:
        from xstilts.languages.typology import distances_to

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # reported through attrs["not_in_uriel"] below
            distances = distances_to(source=source, languages=codes)
    except XstiltsError as error:
        notes = [f"typological distances unavailable ({error}); only volume is analysed"]
        return dict.fromkeys(DISTANCES, np.nan), notes
    not_in_uriel = list(distances.attrs.get("not_in_uriel", []))
    notes = []
    if not_in_uriel:
        notes.append(f"not in URIEL, so no typological distances for {', '.join(not_in_uriel)}")
    columns: dict[str, np.ndarray | float] = {
        column: distances[column].to_numpy(float) if column in distances else np.nan
        for column in DISTANCES
    }
    return columns, notes


def analysis_frame(
    table: pd.DataFrame,
    covariates: pd.DataFrame,
    include_source: bool = False,
    source: str = robustness.SOURCE_LANGUAGE,
) -> pd.DataFrame:
    """Robustness measures (one row per configuration × language) joined with covariates.

    English, the source language, is left out by default: its distances are 0 by definition and
    its volume is the largest, so it would be a leverage point that says nothing about transfer.
    """
    data = table if include_source else table[table["language"] != source]
    extra = [LOG1P_VOLUME, LOG_TOKENS]
    columns = [c for c in ["volume", *PREDICTORS, *extra] if c in covariates.columns]
    joined = data.join(covariates[columns], on="language", how="left")
    joined.attrs = dict(covariates.attrs)
    return joined.reset_index(drop=True)
