"""The language table against its sources (science.md §5; SOURCES.md), code mapping, volumes."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from xstilts.errors import DataError, XstiltsError
from xstilts.languages.table import (
    COLUMNS,
    LanguageInfo,
    language,
    load_languages,
    pretraining_volume,
    read_language_table,
    to_iso639_1,
    to_iso639_3,
)

XTREME = {
    *("af", "ar", "bg", "bn", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he"),
    *("hi", "hu", "id", "it", "ja", "jv", "ka", "kk", "ko", "ml", "mr", "ms", "my", "nl"),
    *("pt", "ru", "sw", "ta", "te", "th", "tl", "tr", "ur", "vi", "yo", "zh"),
}
XTREME_R_EXTRA = {"az", "gu", "ht", "lt", "pa", "pl", "qu", "ro", "uk", "wo"}
BEYOND_XTREME_R = {"am"}  # LASER Tatoeba (SOURCES.md "Languages beyond XTREME-R")


def test_table_has_the_50_xtreme_r_languages_with_unique_codes() -> None:
    table = load_languages()
    assert list(table.columns) == list(COLUMNS)
    assert len(XTREME) == 40
    assert set(table.index) == XTREME | XTREME_R_EXTRA | BEYOND_XTREME_R
    assert set(table.index[table["xtreme"]]) == XTREME
    assert set(table.index[table["xtreme_r"]]) == XTREME | XTREME_R_EXTRA
    assert table["iso639_3"].is_unique
    for column in ("cc100_gib", "cc100_tokens_m", "wiki_articles", "wiki_tokens_m"):
        assert pd.api.types.is_numeric_dtype(table[column]), column


def test_family_counts_match_the_papers() -> None:
    """XTREME: 12 families + 2 isolates; XTREME-R: 14 families + 2 isolates."""
    table = load_languages()
    assert table.loc[table["xtreme"], "family"].nunique() == 14
    assert table.loc[table["xtreme_r"], "family"].nunique() == 16


@pytest.mark.parametrize(
    ("code", "gib", "tokens_m", "articles", "wiki_tokens_m"),
    [
        # mayhewsw/multilingual-data-stats cc-100/cc-100.csv and wiki/wiki.csv
        ("en", 300.8, 55608, 6_171_405, 2622.505044),
        ("de", 66.6, 10297, 2_488_262, 946.132694),
        ("sw", 1.6, 275, 59_645, 6.195009),
        ("ja", 69.3, 530, 1_232_093, 712.594813),
        ("zh", 63.5, 435, 1_151_113, 269.492468),  # Simplified + Traditional
        ("my", 0.4, 15, 47_843, 12.207584),  # Unicode row, without Zawgyi
        ("ru", 278.0, 23408, 1_666_830, 575.335225),
        ("ht", 0.0, 0, 60_033, 2.645669),  # not in CC-100
        ("qu", 0.0, 0, 22_701, 0.962373),
        ("wo", 0.0, 0, 1_422, 0.615141),
        ("am", 0.8, 68, 14_885, 1.331164),  # Amharic: in CC-100, not in mBERT
    ],
)
def test_volumes_match_sources(
    code: str, gib: float, tokens_m: float, articles: int, wiki_tokens_m: float
) -> None:
    info = language(code)
    assert info.cc100_gib == pytest.approx(gib)
    assert info.cc100_tokens_m == pytest.approx(tokens_m)
    assert info.wiki_articles == articles
    assert info.wiki_tokens_m == pytest.approx(wiki_tokens_m)


def test_controls_and_unknown_values() -> None:
    table = load_languages()
    assert set(table.index[table["cc100_gib"] == 0]) == {"ht", "yo", "qu", "wo"}
    assert set(table.index[~table["in_mbert"]]) == {"qu", "wo", "am"}
    assert language("uk").cc100_tokens_m is None  # garbled in both copies of the source
    assert language("uk").cc100_gib == pytest.approx(84.6)
    assert math.isnan(table.loc["uk", "cc100_tokens_m"])


def test_language_info_fields() -> None:
    info = language("de")
    assert isinstance(info, LanguageInfo)
    assert (info.iso639_3, info.family, info.genus, info.script) == (
        "deu",
        "Indo-European",
        "Germanic",
        "Latn",
    )
    assert language("ja").script == "Jpan"
    assert language("eu").family == "Basque"
    assert (language("amh").family, language("am").genus, language("am").script) == (
        "Afro-Asiatic",
        "Semitic",
        "Ethi",
    )
    assert language("kk").family == "Turkic"


@pytest.mark.parametrize(
    ("iso1", "iso3", "aliases"),
    [
        ("de", "deu", ["DEU", "ger"]),
        ("sw", "swa", ["swh"]),  # Tatoeba (XTREME) uses swh
        ("zh", "zho", ["cmn"]),  # Tatoeba uses cmn
        ("fa", "fas", ["pes"]),  # Tatoeba uses pes
        ("qu", "que", ["quz"]),
        ("he", "heb", []),
    ],
)
def test_code_mapping(iso1: str, iso3: str, aliases: list[str]) -> None:
    assert to_iso639_3(iso1) == iso3
    assert to_iso639_1(iso3) == iso1
    assert to_iso639_1(iso1.upper()) == iso1
    for alias in aliases:
        assert to_iso639_1(alias) == iso1
        assert to_iso639_3(alias) == iso3
        assert language(alias).iso639_1 == iso1


def test_unknown_language_lists_known_codes() -> None:
    with pytest.raises(XstiltsError, match=r"unknown language 'xx'; known: af, ar, "):
        language("xx")
    with pytest.raises(XstiltsError, match="unknown language"):
        to_iso639_3("klingon")


def test_builtin_volume_sources() -> None:
    cc100 = pretraining_volume()
    assert cc100.name == "cc100_gib"
    assert cc100["en"] == pytest.approx(300.8)
    assert len(cc100) == 51
    wiki = pretraining_volume("wikipedia")
    assert wiki.name == "wiki_tokens_m"
    assert wiki["de"] == pytest.approx(946.132694)
    assert pretraining_volume("wikipedia_articles")["de"] == 2_488_262
    assert math.isnan(pretraining_volume("cc100_tokens")["uk"])
    with pytest.raises(XstiltsError, match="unknown pretraining-volume source 'cc-100'"):
        pretraining_volume("cc-100")


def test_user_volume_csv(tmp_path: Path) -> None:
    path = tmp_path / "volumes.csv"
    path.write_text("language,volume\ndeu,12.5\nsw,0.3\nmi,0.01\n\n", encoding="utf-8")
    volumes = pretraining_volume(path)
    assert volumes.to_dict() == {"de": 12.5, "sw": 0.3, "mi": 0.01}
    assert volumes.dtype == "float64"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("lang,size\nde,1\n", 1, "expected header"),
        ("language,volume\nde,1\nfr,lots\n", 3, "is not a number"),
        ("language,volume\nde,-1\n", 2, "finite value >= 0"),
        ("language,volume\nde,1\ndeu,2\n", 3, "already given on line 2"),
        ("language,volume\nde,1,2\n", 2, "expected 2 fields"),
    ],
)
def test_bad_user_volume_csv_names_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message) as caught:
        pretraining_volume(path)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_missing_user_volume_csv(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        pretraining_volume(tmp_path / "nope.csv")


def test_table_validation_rejects_duplicate_codes(tmp_path: Path) -> None:
    source = Path(__file__).parents[2] / "src/xstilts/languages/languages.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    duplicate = lines[1].replace("af,afr,", "ag,afr,", 1)
    path = tmp_path / "languages.csv"
    path.write_text("\n".join([*lines[:2], duplicate]) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="code 'afr' already used on line 2"):
        read_language_table(path)


def test_load_languages_returns_a_copy() -> None:
    table = load_languages()
    table.loc["en", "cc100_gib"] = -1.0
    assert load_languages().loc["en", "cc100_gib"] == pytest.approx(300.8)
