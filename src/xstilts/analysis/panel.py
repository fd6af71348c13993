"""The quasi-experimental arm: one study over several encoders, volume slope within language.

Across languages, pretraining volume travels with script, family, domain and test-set quality, so
a cross-language slope is confounded. Different encoders saw the *same* language at different
volumes (mBERT: Wikipedia; XLM-R and e5: CC-100; Glot500: Glot500-c; mT5: mC4), so with language
fixed effects (absorbing all that is constant about a language: script, family, test set) and
encoder fixed effects (absorbing model size and recipe), the volume slope is identified from
within-language variation across encoders only — the panel design of Lauscher et al. 2020 and Wu &
Dredze 2020's question, without their confound. Errors are cluster-robust by language (CR2 with
Bell–McCaffrey df, ``statistics.cluster_robust``), since one language's rows share its test set.

Volume enters as log10(volume) with an explicit ``unseen`` indicator for languages an encoder
never saw (volume 0), whose log would be -inf: the indicator takes their level and the slope is
estimated from seen languages only.

Units differ by encoder, each table in its source's own unit: Wikipedia and CC-100 in millions of
whitespace words, Glot500-c in sentences, mC4 in billions of mT5 SentencePiece tokens. A unit that
is a *constant* factor per encoder (millions vs billions, say) only shifts log10(volume) by a
constant for that encoder's rows, which the encoder fixed effect absorbs: the slope is unchanged.
Words, sentences and SentencePiece tokens are not constant multiples of each other, though: words
per sentence and tokens per word vary by language (ja, zh and th have few whitespace words), and
such a language × unit factor is absorbed by neither fixed effect. It enters the within-language
contrast as measurement error in volume, so a panel that mixes units should be read next to one
restricted to encoders sharing a unit.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from xstilts.analysis.statistics.cluster_robust import cr2
from xstilts.languages.table import read_volume_csv

ENCODER_VOLUME = {
    # encoder name (as in the store's `encoder` column, lower-cased prefix) -> a languages.csv
    # column, or a ``language,volume`` CSV shipped in ``xstilts.languages`` (sources: SOURCES.md)
    "bert-base-multilingual": "wiki_tokens_m",  # mBERT: Wikipedia (Devlin et al. 2019)
    "xlm-roberta": "cc100_tokens_m",  # XLM-R: CC-100 (Conneau et al. 2020)
    "multilingual-e5": "cc100_tokens_m",  # e5 starts from an XLM-R-vocabulary model (CC-100)
    "glot500": "volumes_glot500c_sentences.csv",  # Glot500-m: Glot500-c (ImaniGooghari et al. 2023)
    "mt5": "volumes_mc4_tokens_b.csv",  # mT5 (its encoder too): mC4 (Xue et al. 2021)
}
"""Which pretraining table measures each encoder family's per-language volume.

The two CSV tables cover all languages of ``languages.csv``. ``volumes_glot500c_sentences.csv``:
sentences per language in Glot500-c (``cisnlp/Glot500:miscellaneous/languages_stats.csv``,
column ``new_length``, the row of the language's ISO 639-3 code and script). Glot500-m is XLM-R
base *continued* on a sample of Glot500-c, so for XLM-R's languages it also saw CC-100, and the
repository's sampler (``preprocessing/merge_files.py``) gives every language flagged as seen by
XLM-R the same number of sentences: for those languages the corpus size is not what the
continued pretraining saw (SOURCES.md). ``volumes_mc4_tokens_b.csv``: billions of mT5
SentencePiece tokens per language in mC4 (the mT5 paper's per-language table, as transcribed in
``mayhewsw/multilingual-data-stats:mc4/mc4.csv``); qu and wo are not among mT5's 101 languages
(volume 0, unseen)."""


def volume_column(encoder: str, table: Mapping[str, str] = ENCODER_VOLUME) -> str | None:
    """The languages.csv column or packaged CSV with ``encoder``'s per-language volume, if known."""
    name = encoder.lower().rsplit("/", 1)[-1]
    return next((column for prefix, column in table.items() if name.startswith(prefix)), None)


@functools.cache
def _packaged_volumes(file_name: str) -> pd.Series:
    """A ``language,volume`` table shipped next to ``languages.csv`` (read once per process)."""
    return read_volume_csv(Path(str(resources.files("xstilts.languages") / file_name)))


def encoder_volumes(encoder: str, languages: pd.DataFrame) -> pd.Series | None:
    """``encoder``'s pretraining volume per ISO 639-1 code, in its table's unit; None if unknown."""
    source = volume_column(encoder)
    if source is None:
        return None
    if source.endswith(".csv"):
        return _packaged_volumes(source).copy()
    return languages.set_index("iso639_1")[source]


def panel_frame(rows: pd.DataFrame, languages: pd.DataFrame) -> pd.DataFrame:
    """Rows (encoder, language, value) joined with each encoder's own volume of the language."""
    frames = []
    for encoder, group in rows.groupby("encoder", sort=True):
        volume = encoder_volumes(str(encoder), languages)
        if volume is None:
            continue
        frames.append(group.assign(volume=group["language"].map(volume)))
    if not frames:
        return pd.DataFrame(columns=[*rows.columns, "volume"])
    joined = pd.concat(frames, ignore_index=True)
    return joined.dropna(subset=["volume"])


def volume_slope(frame: pd.DataFrame, outcome: str = "value") -> dict[str, float]:
    """Slope of ``outcome`` per tenfold volume with language and encoder fixed effects.

    ``frame`` needs columns ``language``, ``encoder``, ``volume`` (>= 0) and ``outcome``.
    Returns the slope, its CR2 standard error (clusters: languages), Bell–McCaffrey df, p-value
    and the number of languages whose volume differs between encoders (the identifying ones).
    """
    data = frame.reset_index(drop=True)
    unseen = (data["volume"] <= 0).astype(float).to_numpy()
    log_volume = np.where(unseen > 0, 0.0, np.log10(data["volume"].clip(lower=1e-300)))
    languages = sorted(data["language"].unique())
    encoders = sorted(data["encoder"].unique())
    columns = [log_volume, unseen]
    terms = ["log10_volume", "unseen"]
    for language in languages:  # one dummy per language: no intercept
        columns.append((data["language"] == language).to_numpy(dtype=float))
        terms.append(f"language[{language}]")
    for encoder in encoders[1:]:
        columns.append((data["encoder"] == encoder).to_numpy(dtype=float))
        terms.append(f"encoder[{encoder}]")
    X = np.column_stack(columns)
    keep = [i for i in range(X.shape[1]) if np.any(X[:, i])]  # no unseen row: drop its column
    fit = cr2(data[outcome].to_numpy(dtype=float), X[:, keep], data["language"].tolist(),
              terms=[terms[i] for i in keep])  # fmt: skip
    index = fit.terms.index("log10_volume")
    varying = data.groupby("language")["volume"].nunique()
    return {
        "slope": float(fit.coef[index]),
        "se": float(fit.se[index]),
        "df": float(fit.df[index]),
        "p_value": float(fit.p_value[index]),
        "identifying_languages": int((varying > 1).sum()),
        "rows": len(data),
    }
