"""Hub ``PAN-X`` and ``udpos`` rows → ``token<TAB>tag`` files (``xstilts.data.hub.tagging``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hub_helpers import FIXTURES, found, hub_source, load

from xstilts.data.hub import convert_rows
from xstilts.data.tagging_format import PANX_LABELS, read_tagging_tsv
from xstilts.errors import XstiltsError
from xstilts.tasks.catalog.udpos import UPOS_LABELS


def test_panx_round_trip_of_the_raw_wikiann_fixture(tmp_path: Path) -> None:
    """PanxParser: ``langs`` = the prefix, ``tokens`` = the rest, ``ner_tags`` = ClassLabel ids."""
    theirs = read_tagging_tsv(FIXTURES / "panx" / "en-dev", strip_language_prefix=True)
    rows = [
        {
            "tokens": list(e.tokens),
            "ner_tags": [PANX_LABELS.index(t) for t in e.tags or ()],
            "langs": ["en"] * len(e.tokens),
        }
        for e in theirs
    ]
    convert_rows(hub_source("panx"), "PAN-X.en", "validation", rows, tmp_path)
    assert (tmp_path / "panx" / "en-dev").read_text() == (FIXTURES / "panx" / "en-dev").read_text()
    assert load("panx", tmp_path, "dev", "en") == theirs


def test_panx_test_split_keeps_tags_and_accepts_label_names(tmp_path: Path) -> None:
    rows = [
        {"tokens": ["Angela", "Merkel", "lacht"], "ner_tags": [1, 2, 0], "langs": ["de"] * 3},
        {"tokens": ["Berlin"], "ner_tags": ["B-LOC"], "langs": ["de"]},
    ]
    convert_rows(hub_source("panx"), "PAN-X.de", "test", rows, tmp_path)
    examples = load("panx", tmp_path, "test", "de")
    assert [e.tags for e in examples] == [("B-PER", "I-PER", "O"), ("B-LOC",)]
    assert examples[0].tokens == ("Angela", "Merkel", "lacht")
    assert found("panx", tmp_path, "test") == ["de"]


def test_udpos_configs_named_by_language(tmp_path: Path) -> None:
    theirs = load("udpos", FIXTURES, "train", "en")  # fixtures/udpos/train-en.tsv
    rows = [
        {"tokens": list(e.tokens), "pos_tags": [UPOS_LABELS.index(t) for t in e.tags or ()]}
        for e in theirs
    ]
    convert_rows(hub_source("udpos"), "udpos.English", "train", rows, tmp_path)
    assert load("udpos", tmp_path, "train", "en") == theirs
    thai = [{"tokens": ["แมว", "กิน"], "pos_tags": [7, 15]}]  # NOUN VERB
    convert_rows(hub_source("udpos"), "udpos.Thai", "test", thai, tmp_path)
    assert load("udpos", tmp_path, "test", "th")[0].tags == ("NOUN", "VERB")
    with pytest.raises(XstiltsError, match="has no split 'validation'"):
        convert_rows(hub_source("udpos"), "udpos.Thai", "validation", thai, tmp_path)
