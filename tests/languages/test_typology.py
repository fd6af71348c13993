"""URIEL distances read offline from the lang2vec wheel."""

from __future__ import annotations

from importlib import metadata

import numpy as np
import pytest

from xstilts.errors import XstiltsError
from xstilts.languages.typology import (
    DEFAULT_FEATURE_SETS,
    MissingTypologyWarning,
    cosine_distance,
    distances_to,
    feature_vector,
    uriel_code,
)

try:
    metadata.distribution("lang2vec")
except metadata.PackageNotFoundError:  # pragma: no cover - the dependency is declared
    pytest.skip("lang2vec (URIEL data) is not installed", allow_module_level=True)

COLUMNS = [f"{name}_distance" for name in DEFAULT_FEATURE_SETS]


@pytest.fixture(scope="module")
def from_english():
    return distances_to("en")


def test_all_51_languages_have_complete_distances_in_unit_range(from_english) -> None:
    assert list(from_english.columns) == COLUMNS
    assert len(from_english) == 51  # XTREME-R's 50 and Amharic (LASER Tatoeba)
    assert not from_english.isna().any().any()
    assert ((from_english >= 0) & (from_english <= 1)).all().all()
    assert from_english.attrs["not_in_uriel"] == []


def test_distance_to_itself_is_zero(from_english) -> None:
    assert from_english.loc["en"].tolist() == [0.0] * len(COLUMNS)
    basque = distances_to("eu", ["eu"])  # zero family vector: still 0 to itself
    assert basque.loc["eu"].tolist() == [0.0] * len(COLUMNS)


def test_german_is_closer_to_english_than_japanese(from_english) -> None:
    de, ja = from_english.loc["de"], from_english.loc["ja"]
    assert de["syntax_distance"] < ja["syntax_distance"]
    assert de["family_distance"] < ja["family_distance"]
    assert de["geography_distance"] < ja["geography_distance"]
    assert from_english.loc["nl", "family_distance"] < from_english.loc["hi", "family_distance"]


def test_symmetric() -> None:
    for a, b in [("de", "ja"), ("sw", "yo"), ("en", "qu")]:
        forward = distances_to(a, [b]).loc[b]
        backward = distances_to(b, [a]).loc[a]
        assert forward.to_numpy() == pytest.approx(backward.to_numpy(), abs=1e-12)


def test_unrelated_family_is_at_distance_one(from_english) -> None:
    # Basque (isolate) and que (Quechua, no family node in URIEL) share no ancestor with English
    assert from_english.loc["eu", "family_distance"] == 1.0
    assert from_english.loc["qu", "family_distance"] == 1.0
    assert from_english.loc["ja", "family_distance"] == 1.0


def test_cosine_distance_matches_definition() -> None:
    vector = feature_vector("de", "syntax")
    english = feature_vector("eng", "syntax")
    expected = 1 - vector @ english / (np.linalg.norm(vector) * np.linalg.norm(english))
    assert cosine_distance(vector, english) == pytest.approx(expected)
    assert cosine_distance(np.zeros(3), np.ones(3)) == 1.0
    assert cosine_distance(np.zeros(3), np.zeros(3), same_language=True) == 0.0


def test_codes_resolve_through_the_table_and_lang2vec() -> None:
    assert uriel_code("sw") == "swa"
    assert uriel_code("swh") == "swa"  # table alias
    assert uriel_code("cy") == "cym"  # outside the table: lang2vec's own map
    frame = distances_to("eng", ["deu", "de"])
    assert frame.loc["deu"].tolist() == frame.loc["de"].tolist()


def test_missing_language_gives_nan_and_a_warning() -> None:
    with pytest.warns(MissingTypologyWarning, match="zzz"):
        frame = distances_to("en", ["de", "zzz"])
    assert frame.loc["zzz"].isna().all()
    assert not frame.loc["de"].isna().any()
    assert frame.attrs["not_in_uriel"] == ["zzz"]


def test_bad_source_or_feature_set_is_an_error() -> None:
    with pytest.raises(XstiltsError, match="source language 'zzz'"):
        distances_to("zzz", ["de"])
    with pytest.raises(XstiltsError, match="unknown URIEL feature set 'syntax_wals'"):
        distances_to("en", ["de"], feature_sets=("syntax_wals",))


def test_subset_of_feature_sets() -> None:
    frame = distances_to("en", ["fr"], feature_sets=("syntax", "geography"))
    assert list(frame.columns) == ["syntax_distance", "geography_distance"]
