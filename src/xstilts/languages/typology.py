"""Typological, genealogical and geographic distance between languages, from URIEL (offline).

Lauscher et al. (2020, arXiv 2005.00633) explain zero-shot transfer with the cosine similarity to
English of lang2vec/URIEL vectors: SYN, PHON, INV, FAM and GEO. We compute the same quantities
as *distances* (1 - cosine), so that larger always means "further from the source language".

Data: the URIEL matrices inside the ``lang2vec`` 1.1.2 wheel (CC BY-SA 4.0), read directly with
NumPy. We do not call lang2vec's Python API: it imports ``pkg_resources`` (absent from the
setuptools installed here) and its ``learned`` set loads a pickled ``.npy`` that current NumPy
refuses by default. Nothing touches the network.

Which URIEL variant, and why:

- ``syntax``, ``phonology``, ``inventory``: the ``*_knn`` sets (URIEL's k-nearest-neighbour
  predictions, ``feature_predictions.npz``). The observed sets (``syntax_wals``, ...) and even the
  ``*_average`` sets leave many features missing (-1) for our languages (``syntax_average``: kk
  lacks 91 of 103 features, jv 86, af 66), and cosine over partly-missing vectors compares
  different features for different pairs. The knn sets are complete (0/1) for every one of the
  7,970 URIEL languages, so every distance uses the same features.
- ``family``: ``fam`` (membership in each Glottolog family/sub-family node).
- ``geography``: ``geo`` (closeness to 299 fixed points on the Earth's surface). All its values
  are positive, so cosine distances are compressed (0 to about 0.2 for the XTREME-R languages
  from English); compare them by rank or after standardising, not against the other columns.

Full vectors are used (not lang2vec's ``minimal=True``), so a distance never depends on which
other languages are in the request.

Zero vectors: a language with no family node in URIEL (the isolate Basque, ``eus``; and the
macrolanguage code ``que`` for Quechua, which URIEL only classifies through individual Quechuan
languages such as ``quz``) shares no ancestor with any other language, so its family distance is 1
to every other language and 0 to itself. Cosine is undefined there; this is the value the
membership reading of the vector implies.

Languages that URIEL does not contain get NaN distances and a :class:`MissingTypologyWarning`.
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from xstilts.errors import XstiltsError
from xstilts.languages.table import is_known, load_languages, to_iso639_3

URIEL_PACKAGE = "lang2vec"
LANG2VEC_REQUIREMENT = "lang2vec==1.1.2"


@dataclass(frozen=True)
class FeatureSet:
    """Where one URIEL feature set lives inside the lang2vec wheel."""

    lang2vec_name: str  # the name lang2vec's own API uses, for readers who know it
    file: str
    feature_prefix: str  # features of this set start with it ("" = all features of the file)


FEATURE_SETS: dict[str, FeatureSet] = {
    "syntax": FeatureSet("syntax_knn", "feature_predictions.npz", "S_"),
    "phonology": FeatureSet("phonology_knn", "feature_predictions.npz", "P_"),
    "inventory": FeatureSet("inventory_knn", "feature_predictions.npz", "INV_"),
    "family": FeatureSet("fam", "family_features.npz", ""),
    "geography": FeatureSet("geo", "geocoord_features.npz", ""),
}
DEFAULT_FEATURE_SETS: tuple[str, ...] = tuple(FEATURE_SETS)


class MissingTypologyWarning(UserWarning):
    """Some requested languages are not in URIEL; their distances are NaN."""


def _data_dir() -> Path:
    """The ``lang2vec/data`` folder, found through the installed distribution's metadata.

    The package is deliberately not imported: besides its broken API, the wheel installs a script
    ``bin/lang2vec.py`` that shadows the package whenever a console script (``pytest``,
    ``xstilts``) puts ``bin/`` first on ``sys.path``.
    """
    try:
        folder = Path(str(metadata.distribution(URIEL_PACKAGE).locate_file("lang2vec/data")))
    except metadata.PackageNotFoundError:
        folder = None
    if folder is None or not (folder / FEATURE_SETS["family"].file).is_file():
        raise XstiltsError(
            "typological distances need the URIEL data of the 'lang2vec' package; "
            f"install it with: pip install {LANG2VEC_REQUIREMENT}"
        )
    return folder


@functools.cache
def _matrix(file: str, feature_prefix: str) -> tuple[dict[str, int], np.ndarray]:
    """(language → row, languages × features float64 matrix) for one feature set, cached.

    The files order their languages differently, so every set keeps its own row index.
    """
    with np.load(_data_dir() / file, allow_pickle=False) as archive:
        languages = [str(code) for code in archive["langs"]]
        features = archive["feats"]
        keep = np.char.startswith(features.astype(str), feature_prefix)
        # data is languages × features × sources; these files have a single source
        data = np.asarray(archive["data"][:, keep, 0], dtype=np.float64)
    if (data < 0).any():  # -1 marks a missing value; the sets chosen here have none
        raise XstiltsError(f"URIEL file {file} has missing values in the {feature_prefix!r} set")
    return {code: i for i, code in enumerate(languages)}, data


@functools.cache
def _lang2vec_letter_codes() -> dict[str, str]:
    """lang2vec's own ISO 639-1 → 639-3 map, for 639-1 codes outside our table."""
    return json.loads((_data_dir() / "letter_codes.json").read_text(encoding="utf-8"))


def uriel_code(code: str) -> str:
    """The ISO 639-3 code under which URIEL stores ``code``.

    Table languages map to their macrolanguage code (what lang2vec itself does); other two-letter
    codes go through lang2vec's map; other codes are taken as ISO 639-3 as given.
    """
    if is_known(code):
        return to_iso639_3(code)
    lowered = code.strip().lower()
    return _lang2vec_letter_codes().get(lowered, lowered)


def in_uriel(code: str) -> bool:
    """Whether URIEL has vectors for ``code`` (every set shares one language list)."""
    index, _ = _matrix(FEATURE_SETS["family"].file, FEATURE_SETS["family"].feature_prefix)
    return uriel_code(code) in index


def _feature_set(name: str) -> FeatureSet:
    if name not in FEATURE_SETS:
        raise XstiltsError(f"unknown URIEL feature set {name!r}; known: {', '.join(FEATURE_SETS)}")
    return FEATURE_SETS[name]


def feature_vector(code: str, feature_set: str) -> np.ndarray:
    """The URIEL vector of one language for one feature set (a copy; see the module docstring)."""
    spec = _feature_set(feature_set)
    index, data = _matrix(spec.file, spec.feature_prefix)
    key = uriel_code(code)
    if key not in index:
        raise XstiltsError(f"language {code!r} ({key}) is not in URIEL (lang2vec 1.1.2)")
    return data[index[key]].copy()


def cosine_distance(a: np.ndarray, b: np.ndarray, *, same_language: bool = False) -> float:
    """1 - cosine similarity, in [0, 1] for the non-negative URIEL vectors.

    ``same_language`` gives exactly 0 (not a 1e-16 rounding residue, and also for a zero vector).
    A zero vector has no positive feature to share, so it is at distance 1 from every other
    language; see the module docstring.
    """
    if same_language:
        return 0.0
    norm_a, norm_b = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if norm_a == 0.0 or norm_b == 0.0:
        return 1.0
    similarity = float(np.dot(a, b)) / (norm_a * norm_b)
    return float(np.clip(1.0 - similarity, 0.0, 1.0))


def distances_to(
    source: str = "en",
    languages: Iterable[str] | None = None,
    feature_sets: Sequence[str] = DEFAULT_FEATURE_SETS,
) -> pd.DataFrame:
    """Distance from ``source`` to each language, one column per feature set.

    Returns a DataFrame indexed by the requested codes (as given; default: the 50 XTREME-R
    languages by ISO 639-1) with columns ``<set>_distance`` (e.g. ``syntax_distance``).
    Languages missing from URIEL get NaN in every column, a :class:`MissingTypologyWarning`, and
    are listed in ``frame.attrs["not_in_uriel"]``; an unknown *source* is an error, since then no
    distance could be computed at all.
    """
    specs = [(name, _feature_set(name)) for name in feature_sets]
    targets = list(load_languages().index) if languages is None else list(languages)
    if not in_uriel(source):
        raise XstiltsError(
            f"source language {source!r} ({uriel_code(source)}) is not in URIEL (lang2vec 1.1.2)"
        )
    source_key = uriel_code(source)
    missing = [code for code in targets if not in_uriel(code)]
    columns: dict[str, list[float]] = {}
    for name, spec in specs:
        index, data = _matrix(spec.file, spec.feature_prefix)
        source_vector = data[index[source_key]]
        values: list[float] = []
        for code in targets:
            key = uriel_code(code)
            if key not in index:
                values.append(float("nan"))
                continue
            values.append(
                cosine_distance(source_vector, data[index[key]], same_language=key == source_key)
            )
        columns[f"{name}_distance"] = values
    frame = pd.DataFrame(columns, index=pd.Index(targets, name="language"), dtype="float64")
    frame.attrs["source"] = source
    frame.attrs["not_in_uriel"] = missing
    if missing:
        warnings.warn(
            f"not in URIEL (lang2vec 1.1.2), distances set to NaN: {', '.join(missing)}",
            MissingTypologyWarning,
            stacklevel=2,
        )
    return frame
