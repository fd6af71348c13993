"""Classification readers: PAWS-X, QQP, SST-2, MNLI, XNLI, XNLI-MT, SNLI, ANLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xstilts.data.classification_format import (
    NLI_LABELS,
    read_anli_jsonl,
    read_mnli_tsv,
    read_pawsx_tsv,
    read_qqp_tsv,
    read_snli_jsonl,
    read_sst2_tsv,
    read_xnli_mt_tsv,
    read_xnli_tsv,
)
from xstilts.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures"


def test_pawsx_keeps_bare_quotes() -> None:
    examples = read_pawsx_tsv(FIXTURES / "pawsx" / "de" / "dev_2k.tsv")
    assert [e.label for e in examples] == ["0", "1", "1"]
    assert examples[2].text_a == 'Das Museum liegt am "Alten Markt".'


def test_qqp_with_and_without_labels() -> None:
    dev = read_qqp_tsv(FIXTURES / "qqp" / "dev.tsv")
    assert [(e.id, e.label) for e in dev] == [("201359", "1"), ("263843", "0"), ("172974", "1")]
    assert dev[0].text_b == "What is the best way to cook rice?"
    assert [e.label for e in read_qqp_tsv(FIXTURES / "qqp" / "test.tsv")] == [None, None]


def test_sst2_single_sentences() -> None:
    dev = read_sst2_tsv(FIXTURES / "sst2" / "dev.tsv")
    assert [(e.id, e.label, e.text_b) for e in dev] == [
        ("0", "1", None),
        ("1", "0", None),
        ("2", "1", None),
    ]
    test = read_sst2_tsv(FIXTURES / "sst2" / "test.tsv")
    assert [(e.id, e.label) for e in test] == [("0", None), ("1", None)]


def test_mnli_reads_by_header_name_not_position() -> None:
    dev = read_mnli_tsv(FIXTURES / "mnli" / "dev_matched.tsv")
    assert [e.id for e in dev] == ["12345e", "23456c", "34567n"]
    assert dev[0].text_a == "The museum opens at nine ."  # not a parse column
    assert [e.label for e in dev] == ["entailment", "contradiction", "neutral"]
    assert [e.label for e in read_mnli_tsv(FIXTURES / "mnli" / "test_matched.tsv")] == [None, None]


def test_xnli_filters_one_language() -> None:
    german = read_xnli_tsv(FIXTURES / "xnli" / "xnli.dev.tsv", "de")
    english = read_xnli_tsv(FIXTURES / "xnli" / "xnli.dev.tsv", "en")
    assert [e.id for e in german] == [e.id for e in english] == ["1", "2", "3"]
    assert german[1].text_a == "Das Museum öffnet um neun."
    assert [e.label for e in german] == ["contradiction", "entailment", "neutral"]
    with pytest.raises(DataError, match="no rows for language 'sw'; languages found: de, en"):
        read_xnli_tsv(FIXTURES / "xnli" / "xnli.dev.tsv", "sw")


def test_xnli_mt_maps_contradictory() -> None:
    examples = read_xnli_mt_tsv(FIXTURES / "xnli_mt" / "multinli.train.de.tsv")
    assert [e.label for e in examples] == ["entailment", "contradiction", "neutral"]
    assert examples[0].text_b == "Das Museum öffnet am Morgen ."


def test_snli_drops_no_majority_rows() -> None:
    examples = read_snli_jsonl(FIXTURES / "snli" / "snli_1.0_dev.jsonl")
    assert [e.id for e in examples] == ["4705552913.jpg#2r1n", "3016040007.jpg#1r1c"]
    assert [e.label for e in examples] == ["neutral", "contradiction"]


def test_anli_letters_map_to_the_nli_label_set() -> None:
    examples = read_anli_jsonl(FIXTURES / "anli" / "R1" / "dev.jsonl")
    assert [e.label for e in examples] == ["entailment", "contradiction", "neutral"]
    assert all(e.label in NLI_LABELS for e in examples)
    assert examples[0].text_b == "The Rhine is longer than 1,000 km."


def test_ragged_row_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "dev_2k.tsv"
    path.write_text("id\tsentence1\tsentence2\tlabel\n1\ta\tb\t0\n2\ta\tb\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{path}:3: expected 4 tab-separated fields")):
        read_pawsx_tsv(path)


def test_label_outside_set_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "multinli.train.de.tsv"
    path.write_text("premise\thypo\tlabel\na\tb\tentailment\na\tb\tmaybe\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{path}:3: label 'maybe' is not an NLI label")):
        read_xnli_mt_tsv(path)
    path = tmp_path / "dev.tsv"
    path.write_text("sentence\tlabel\ngood .\t2\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{path}:2: label '2' should be 0 or 1")):
        read_sst2_tsv(path)


def test_missing_header_column_empty_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "dev.tsv"
    path.write_text("id\tquestion1\tquestion2x\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{path}:1: header lacks column(s) question2")):
        read_qqp_tsv(path)
    path.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="empty file"):
        read_qqp_tsv(path)
    path.write_text("id\tquestion1\tquestion2\n", encoding="utf-8")
    with pytest.raises(DataError, match="no examples found"):
        read_qqp_tsv(path)
    with pytest.raises(DataError, match="file not found"):
        read_snli_jsonl(tmp_path / "absent.jsonl")
