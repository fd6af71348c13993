"""Retrieval readers: BUCC 2018, Tatoeba, LAReQA (XQuAD-R), Mewsli-X."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from xstilts.data.retrieval_format import (
    read_bucc2018,
    read_lareqa,
    read_mewslix_entities,
    read_mewslix_mentions,
    read_mewslix_pairs,
)
from xstilts.errors import DataError
from xstilts.tasks.registry import get_task

FIXTURES = Path(__file__).parent / "fixtures"


# -------------------------------------------------------------------- BUCC


def test_bucc_dev_with_gold() -> None:
    pair = read_bucc2018(FIXTURES / "bucc2018", "de", "dev")
    assert pair.language == "de"
    assert pair.source_ids[0] == "de-000000001"
    assert pair.source[0] == "Die Brücke wurde am Montag gesperrt."
    assert len(pair.target) == 5
    assert pair.gold == (
        ("de-000000001", "en-000000003"),
        ("de-000000002", "en-000000001"),
        ("de-000000004", "en-000000004"),
    )
    target = dict(zip(pair.target_ids, pair.target, strict=True))
    assert target["en-000000003"] == "The bridge was closed on Monday."


def test_bucc_test_without_gold() -> None:
    pair = read_bucc2018(FIXTURES / "bucc2018", "de", "test")
    assert pair.gold == ()
    assert pair.target_ids == ("en-000000101", "en-000000102", "en-000000103")


def test_bucc_gold_with_unknown_id_names_the_line(tmp_path: Path) -> None:
    for name in ("de-en.dev.de", "de-en.dev.en"):
        shutil.copy(FIXTURES / "bucc2018" / name, tmp_path / name)
    gold = tmp_path / "de-en.dev.gold"
    gold.write_text("de-000000001\ten-000000003\nde-000000009\ten-000000001\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{gold}:2: gold pair de-000000009/")):
        read_bucc2018(tmp_path, "de", "dev")


def test_bucc_line_without_tab_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "fr-en.dev.fr").write_text("fr-000000001\tBonjour.\nfr-000000002 Salut.\n")
    (tmp_path / "fr-en.dev.en").write_text("en-000000001\tHello.\n")
    with pytest.raises(
        DataError, match=re.escape(f"{tmp_path / 'fr-en.dev.fr'}:2: expected id<TAB>")
    ):
        read_bucc2018(tmp_path, "fr", "dev")
    with pytest.raises(DataError, match="file not found"):
        read_bucc2018(tmp_path, "ru", "dev")


# -------------------------------------------------------------------- Tatoeba


def test_tatoeba_aligned_lines() -> None:
    """The one Tatoeba reader is the task's loader (LASER layout: line i pairs with line i)."""
    (pair,) = get_task("tatoeba").load(FIXTURES / "tatoeba", "test", "de")
    assert pair.language == "de"
    assert pair.source[1] == "Wo ist der Bahnhof?"
    assert pair.target[1] == "Where is the train station?"
    assert pair.gold == (("0", "0"), ("1", "1"), ("2", "2"), ("3", "3"))


def test_tatoeba_line_count_mismatch(tmp_path: Path) -> None:
    source, target = tmp_path / "tatoeba.fra-eng.fra", tmp_path / "tatoeba.fra-eng.eng"
    source.write_text("Bonjour.\nMerci.\nSalut.\n", encoding="utf-8")
    target.write_text("Hello.\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{target}: 1 lines but")):
        get_task("tatoeba").load(tmp_path, "test", "fr")


# -------------------------------------------------------------------- LAReQA


def test_lareqa_pool_ids_and_gold_follow_xtreme() -> None:
    pool = read_lareqa(FIXTURES / "lareqa" / "xquad-r")
    assert [q.id for q in pool.questions[:3]] == [
        "56beb4343aeaaa14008c925b_de",
        "56beb4343aeaaa14008c925c_de",
        "56beb4343aeaaa14008c925d_de",
    ]
    assert len(pool.candidates) == 10  # 5 sentences per language
    assert pool.candidates[0].id == "de_1_0"
    assert pool.candidates[0].sentence == "Der Rhein entspringt in den Schweizer Alpen."
    assert pool.candidates[0].context.startswith(pool.candidates[0].sentence)
    gold = {}
    for xling_id, candidate_id in pool.gold:
        gold.setdefault(xling_id, []).append(candidate_id)
    # One correct answer per language, in both languages.
    assert gold["56beb4343aeaaa14008c925c"] == ["de_1_2", "en_1_2"]
    assert gold["56beb4343aeaaa14008c925d"] == ["de_2_1", "en_2_1"]


def test_lareqa_language_subset_and_missing_language() -> None:
    pool = read_lareqa(FIXTURES / "lareqa" / "xquad-r", languages=["en"])
    assert {q.language for q in pool.questions} == {"en"}
    with pytest.raises(DataError, match="no file for language"):
        read_lareqa(FIXTURES / "lareqa" / "xquad-r", languages=["th"])


def test_lareqa_answer_outside_every_sentence_is_skipped(tmp_path: Path) -> None:
    document = json.loads((FIXTURES / "lareqa" / "xquad-r" / "en.json").read_text("utf-8"))
    paragraph = document["data"][0]["paragraphs"][0]
    paragraph["sentence_breaks"] = paragraph["sentence_breaks"][:1]
    (tmp_path / "en.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.warns(UserWarning, match="56beb4343aeaaa14008c925c"):
        pool = read_lareqa(tmp_path)
    assert [q.xling_id for q in pool.questions] == [
        "56beb4343aeaaa14008c925b",
        "56beb4343aeaaa14008c925d",
    ]


def test_lareqa_bad_sentence_break(tmp_path: Path) -> None:
    document = json.loads((FIXTURES / "lareqa" / "xquad-r" / "en.json").read_text("utf-8"))
    document["data"][0]["paragraphs"][1]["sentence_breaks"][0] = [0, 9999]
    path = tmp_path / "en.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{path}: paragraph en_2: sentence break")):
        read_lareqa(tmp_path)


# -------------------------------------------------------------------- Mewsli-X


def test_mewslix_mentions_are_unnested_with_their_context() -> None:
    mentions = read_mewslix_mentions(FIXTURES / "mewslix" / "wikinews_mentions-dev.jsonl")
    assert [m.entity_id for m in mentions] == ["Q584", "Q365", "Q78"]
    cologne = mentions[1]
    assert cologne.text[cologne.mention_start : cologne.mention_end] == "Cologne"
    assert cologne.mention_start > cologne.text.index("Cologne")  # second occurrence
    assert cologne.language == "en"
    assert cologne.sentence_spans[0] == (0, 34)
    assert mentions[2].document_id == "de-4711"


def test_mewslix_entities_and_pairs() -> None:
    entities = read_mewslix_entities(FIXTURES / "mewslix" / "candidate_set_entities.jsonl")
    assert [e.entity_id for e in entities] == ["Q584", "Q365", "Q78"]
    assert entities[2].language == "es"
    start, end = entities[0].sentence_spans[1]
    assert entities[0].description[start:end] == "It is one of the longest rivers in Europe."
    pairs = read_mewslix_pairs(FIXTURES / "mewslix" / "wikipedia_pairs-train.jsonl")
    assert [(p.mention.entity_id, p.entity.entity_id) for p in pairs] == [
        ("Q584", "Q584"),
        ("Q490380", "Q490380"),
    ]


def test_mewslix_hidden_label_and_no_text_release(tmp_path: Path) -> None:
    line = json.loads(
        (FIXTURES / "mewslix" / "wikinews_mentions-dev.jsonl").read_text("utf-8").splitlines()[1]
    )
    line["mentions"][0]["entity_id"] = ""
    path = tmp_path / "test-de.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    assert read_mewslix_mentions(path)[0].entity_id is None
    line["context"]["text"] = ""
    path.write_text("\n" + json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{path}:2: context.text is empty")):
        read_mewslix_mentions(path)


def test_mewslix_span_text_mismatch_names_the_line(tmp_path: Path) -> None:
    line = json.loads(
        (FIXTURES / "mewslix" / "wikinews_mentions-dev.jsonl").read_text("utf-8").splitlines()[0]
    )
    line["mentions"][0]["mention_span"]["start"] += 1
    path = tmp_path / "wikinews_mentions-dev.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{path}:1: mention '3f2a9c1b")):
        read_mewslix_mentions(path)
