"""Hub ``XNLI`` and ``PAWS-X`` rows → the release tsv files (``data.hub.classification``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hub_helpers import FIXTURES, found, hub_source, load

from xstilts.data.hub import convert_rows
from xstilts.data.readers import read_tsv_records
from xstilts.tasks.registry import get_task


def _xnli_rows_from_release(path: Path) -> list[dict[str, str]]:
    """What the loading script yields from XNLI-1.0: four columns, pairID dropped."""
    return [
        {key: row[key] for key in ("sentence1", "sentence2", "language", "gold_label")}
        for _, row in read_tsv_records(path, ["language"])
    ]


def test_xnli_round_trip_of_the_official_fixture(tmp_path: Path) -> None:
    official = FIXTURES / "xnli"
    rows = _xnli_rows_from_release(official / "xnli.dev.tsv")
    convert_rows(hub_source("xnli"), "XNLI", "validation", rows, tmp_path)
    languages = found("xnli", tmp_path, "dev")
    assert languages == get_task("xnli").languages_found(official, "dev")
    for language in languages:
        ours = load("xnli", tmp_path, "dev", language)
        theirs = get_task("xnli").load(official, "dev", language)
        strip = [dataclasses.replace(e, id="") for e in theirs]
        assert [dataclasses.replace(e, id="") for e in ours] == strip
        assert [e.id for e in ours] == [str(i) for i in range(1, len(ours) + 1)]


def test_xnli_language_filter_and_test_split(tmp_path: Path) -> None:
    rows = [
        {"language": "en", "gold_label": "neutral", "sentence1": "A man.", "sentence2": "B."},
        {"language": "de", "gold_label": "entailment", "sentence1": "Ein Mann.", "sentence2": "B."},
        {"language": "fr", "gold_label": "contradiction", "sentence1": "Un.", "sentence2": "B."},
    ]
    convert_rows(hub_source("xnli"), "XNLI", "test", rows, tmp_path, languages=["en", "de"])
    assert found("xnli", tmp_path, "test") == ["de", "en"]
    assert [e.label for e in load("xnli", tmp_path, "test", "de")] == ["entailment"]
    header = (tmp_path / "xnli" / "xnli.test.tsv").read_text().splitlines()[0]
    assert header == "language\tgold_label\tsentence1\tsentence2\tpairID"


def test_pawsx_round_trip_and_file_names(tmp_path: Path) -> None:
    official = FIXTURES / "pawsx"
    theirs = get_task("pawsx").load(official, "dev", "de")
    rows = [{"sentence1": e.text_a, "sentence2": e.text_b, "label": e.label} for e in theirs]
    convert_rows(hub_source("pawsx"), "PAWS-X.de", "validation", rows, tmp_path)
    assert load("pawsx", tmp_path, "dev", "de") == theirs  # release ids are 1..n as well
    english = [{"sentence1": "A b.", "sentence2": "B a.", "label": "1"}]
    for split in ("train", "validation", "test"):
        convert_rows(hub_source("pawsx"), "PAWS-X.en", split, english, tmp_path)
    convert_rows(hub_source("pawsx"), "PAWS-X.de", "train", rows, tmp_path)
    assert (tmp_path / "pawsx" / "en" / "train.tsv").is_file()
    assert (tmp_path / "pawsx" / "de" / "translated_train.tsv").is_file()
    assert found("pawsx", tmp_path, "train") == ["de", "en"]
    assert [e.label for e in load("pawsx", tmp_path, "test", "en")] == ["1"]
