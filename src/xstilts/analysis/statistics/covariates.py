"""Language covariates: how much of a language the encoder saw, and how far it is from English.

The analysis explains language-level robustness by log(1 + pretraining volume) and the five URIEL
distances to English (Lauscher et al. 2020, arXiv 2005.00633). Both come from the package's
language tables, so a report is reproducible from the store alone.
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
DISTANCES: tuple[str, ...] = (
    "syntax_distance",
    "phonology_distance",
    "inventory_distance",
    "family_distance",
    "geography_distance",
)
PREDICTORS: tuple[str, ...] = (VOLUME, *DISTANCES)

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
    """Volume, log(1 + volume) and the five URIEL distances to ``source`` for ``languages``.

    log(1 + volume) rather than log(volume) so that languages absent from pretraining (volume 0:
    ht, yo, qu, wo for CC-100) stay in the analysis as the "no data" controls (science.md §8).
    What could not be looked up is NaN and explained in ``frame.attrs["notes"]``; the caller
    drops such languages from the fits that need the missing column. ``attrs`` also carries
    ``volume_source`` and ``volume_unit`` for captions.
    """
    from xstilts.languages.table import pretraining_volume

    codes = sorted(dict.fromkeys(str(code) for code in languages))
    volume_series = pretraining_volume(pretraining)
    frame = pd.DataFrame(index=pd.Index(codes, name="language"))
    frame["volume"] = volume_series.reindex(codes).astype(float).to_numpy()
    frame[VOLUME] = np.log1p(frame["volume"])
    notes = _missing_volume_notes(frame, pretraining)
    distances, distance_notes = _distance_columns(codes, source)
    for column, values in distances.items():
        frame[column] = values
    frame.attrs["notes"] = notes + distance_notes
    frame.attrs["volume_source"] = str(pretraining)
    frame.attrs["volume_unit"] = VOLUME_UNITS.get(str(volume_series.name), "volume units")
    return frame


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
    columns = [c for c in ["volume", *PREDICTORS] if c in covariates.columns]
    joined = data.join(covariates[columns], on="language", how="left")
    joined.attrs = dict(covariates.attrs)
    return joined.reset_index(drop=True)
