"""Hub QA rows → SQuAD v1.1 json (``xstilts.data.hub.span_qa``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hub_helpers import FIXTURES, found, hub_source, load, squad_row

from xstilts.data.hub import HubConversionWarning, convert_rows
from xstilts.data.squad_format import read_squad
from xstilts.errors import DataError, XstiltsError


def _hub_rows_from_squad(path: Path, *, title: bool = True) -> list[dict]:
    """The loading script's QA generator: contexts, questions and answer texts stripped."""
    document = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for article in document["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = [(a["answer_start"], a["text"].strip()) for a in qa["answers"]]
                rows.append(
                    squad_row(
                        qa["id"],
                        paragraph["context"].strip(),
                        qa["question"].strip(),
                        answers,
                        article.get("title", "").strip() if title else None,
                    )
                )
    return rows


def test_xquad_round_trip_with_squad_train_and_dev(tmp_path: Path) -> None:
    squad_dev = FIXTURES / "squad" / "dev-v1.1.json"
    squad_rows = _hub_rows_from_squad(squad_dev)
    convert_rows(hub_source("xquad"), "SQuAD", "train", squad_rows, tmp_path)
    convert_rows(hub_source("xquad"), "SQuAD", "validation", squad_rows, tmp_path)
    xquad_rows = _hub_rows_from_squad(FIXTURES / "squad" / "xquad.de.json", title=False)
    convert_rows(hub_source("xquad"), "XQuAD.de", "validation", xquad_rows, tmp_path)
    assert load("xquad", tmp_path, "train", "en") == read_squad(squad_dev)
    assert load("xquad", tmp_path, "dev", "en") == read_squad(squad_dev)
    assert load("xquad", tmp_path, "test", "de") == read_squad(FIXTURES / "squad" / "xquad.de.json")
    assert found("xquad", tmp_path, "test") == ["de"]


def test_stripped_context_offsets_are_repaired_or_dropped(tmp_path: Path) -> None:
    # The release had "  Paris is ..." with answer_start 2; the script stripped the context.
    rows = [
        squad_row("q1", "Paris is the capital.", "Capital?", [(2, "Paris")]),
        squad_row("q2", "Paris is the capital.", "What?", [(0, "capital"), (0, "Paris")]),
    ]
    with pytest.warns(HubConversionWarning) as caught:
        convert_rows(hub_source("squad"), "SQuAD", "validation", rows, tmp_path)
    messages = " ".join(str(w.message) for w in caught)
    assert "2 answer offset(s)" in messages  # q1 "Paris" 2 -> 0; q2 "capital" 0 -> 13
    assert "dropped" not in messages
    examples = load("squad", tmp_path, "dev", "en")
    assert examples[0].answer_starts == (0,)
    assert examples[1].answer_texts == ("capital", "Paris")
    assert examples[1].answer_starts == (13, 0)
    far = [
        squad_row("q3", "x" * 100 + " Paris", "Where?", [(0, "Paris")]),
        squad_row("q4", "x" * 100 + " Paris", "Where?", [(0, "Rome"), (0, "xx")]),
    ]
    with pytest.warns(HubConversionWarning, match=r"dropped 2 answer.*q3, q4.*1 question"):
        convert_rows(hub_source("squad"), "SQuAD", "train", far, tmp_path)
    (kept,) = load("squad", tmp_path, "train", "en")  # q3 had no answer left
    assert (kept.id, kept.answer_texts, kept.answer_starts) == ("q4", ("xx",), (0,))


def test_mlqa_same_language_configs(tmp_path: Path) -> None:
    rows = [
        squad_row("m1", "Der Rhein fließt in die Nordsee.", "Wohin?", [(20, "die Nordsee")], "R"),
        squad_row("m2", "Der Rhein fließt in die Nordsee.", "Was?", [(4, "Rhein")], "R"),
        squad_row("m3", "Die Elbe ist lang.", "Welcher?", [(4, "Elbe")], "E"),
    ]
    for split in ("validation", "test"):
        convert_rows(hub_source("mlqa"), "MLQA.de.de", split, rows, tmp_path)
    squad = _hub_rows_from_squad(FIXTURES / "squad" / "dev-v1.1.json")
    convert_rows(hub_source("mlqa"), "SQuAD", "train", squad, tmp_path)
    assert found("mlqa", tmp_path, "dev") == ["de"]
    assert found("mlqa", tmp_path, "train") == ["en"]
    test = load("mlqa", tmp_path, "test", "de")
    assert [e.id for e in test] == ["m1", "m2", "m3"]
    assert test[0].answer_texts == ("die Nordsee",)
    document = json.loads((tmp_path / "mlqa/dev/dev-context-de-question-de.json").read_text())
    assert [len(a["paragraphs"]) for a in document["data"]] == [1, 1]  # shared context grouped
    with pytest.raises(XstiltsError, match="only same-language MLQA"):
        convert_rows(hub_source("mlqa"), "MLQA.de.en", "test", rows, tmp_path)


def test_tydiqa_split_by_id_prefix(tmp_path: Path) -> None:
    rows = [
        squad_row("english-1-1", "Paris is in France.", "Where?", [(12, "France")], "P"),
        squad_row("arabic-2-1", "باريس في فرنسا", "أين؟", [(9, "فرنسا")], "P"),
        squad_row("swahili-3-1", "Nairobi ni mji.", "Nini?", [(0, "Nairobi")], "N"),
    ]
    convert_rows(hub_source("tydiqa"), "tydiqa", "train", rows, tmp_path, languages=["en", "ar"])
    convert_rows(hub_source("tydiqa"), "tydiqa", "validation", rows, tmp_path)
    assert [e.id for e in load("tydiqa", tmp_path, "train", "en")] == ["english-1-1"]
    assert not (tmp_path / "tydiqa/tydiqa-goldp-v1.1-train/tydiqa.sw.train.json").exists()
    assert found("tydiqa", tmp_path, "test") == ["en", "ar", "sw"]
    assert load("tydiqa", tmp_path, "test", "ar")[0].answer_texts == ("فرنسا",)
    with pytest.raises(DataError, match=r"tydiqa\[train\]:1: id 'klingon-1'"):
        convert_rows(
            hub_source("tydiqa"), "tydiqa", "train", [{**rows[0], "id": "klingon-1"}], tmp_path
        )


def test_a_moved_answer_goes_to_its_nearest_occurrence(tmp_path: Path) -> None:
    # "Paris" at 0, 10 and 60. From 8: 10 (2 away) beats 0 (8 away). From 40: 60 (20 away)
    # beats 10 (30 away); 0 lies outside the window of MAX_OFFSET_SHIFT = 32.
    context = "Paris and Paris" + " " * 45 + "Paris"
    rows = [
        squad_row("q1", context, "Which?", [(8, "Paris")]),
        squad_row("q2", context, "Which?", [(40, "Paris")]),
    ]
    with pytest.warns(HubConversionWarning, match="2 answer offset"):
        convert_rows(hub_source("squad"), "SQuAD", "validation", rows, tmp_path)
    assert [e.answer_starts for e in load("squad", tmp_path, "dev", "en")] == [(10,), (60,)]
