"""SQuAD-layout reader: v1.1 (several gold answers), v2.0 (unanswerable), XQuAD, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from xstilts.data.squad_format import read_squad
from xstilts.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures" / "squad"


def _write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _one_question(context: str, answer: str, start: int) -> dict:
    return {
        "version": "1.1",
        "data": [
            {
                "title": "t",
                "paragraphs": [
                    {
                        "context": context,
                        "qas": [
                            {
                                "id": "q-1",
                                "question": "Where?",
                                "answers": [{"answer_start": start, "text": answer}],
                            }
                        ],
                    }
                ],
            }
        ],
    }


def test_v11_keeps_every_gold_answer_in_file_order() -> None:
    examples = read_squad(FIXTURES / "dev-v1.1.json")
    assert [e.id for e in examples] == [
        "5733be284776f41900661182",
        "5733be284776f41900661183",
        "5733be284776f41900661184",
        "5733be284776f41900661185",
    ]
    first = examples[0]
    assert first.question == "Where does the Rhine rise?"
    assert first.answer_texts == ("the Swiss Alps", "Swiss Alps", "the Swiss Alps")
    for text, start in zip(first.answer_texts, first.answer_starts, strict=True):
        assert first.context[start : start + len(text)] == text
    assert not any(e.is_impossible for e in examples)
    assert examples[3].context.startswith("Basel, Strasbourg and Cologne")


def test_v20_marks_unanswerable_questions_and_ignores_plausible_answers() -> None:
    examples = read_squad(FIXTURES / "train-v2.0.json")
    impossible = [e for e in examples if e.is_impossible]
    assert [e.id for e in impossible] == ["5ad39d53604f3c001a3fe8d1"]
    assert impossible[0].answer_texts == ()
    assert impossible[0].answer_starts == ()
    assert examples[0].answer_texts == ("1894",)


def test_xquad_file_with_non_ascii_context() -> None:
    examples = read_squad(FIXTURES / "xquad.de.json")
    assert len(examples) == 3
    second = examples[1]
    assert second.answer_texts == ("die Nordsee",)
    assert second.context[second.answer_starts[0] :].startswith("die Nordsee")


def test_xtreme_hidden_test_answers_read_as_unlabelled(tmp_path: Path) -> None:
    # XTREME's download replaces test answers with {"answer_start": 0, "text": ""}.
    path = _write(tmp_path / "test-de.json", _one_question("Der Rhein.", "", 0))
    (example,) = read_squad(path)
    assert example.answer_texts == ()
    assert not example.is_impossible


def test_offset_mismatch_names_file_and_question(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.json", _one_question("The Rhine rises in the Alps.", "Alps", 3))
    with pytest.raises(DataError, match=re.escape(f"{path}: question 'q-1': answer 'Alps'")):
        read_squad(path)


def test_offset_mismatch_can_be_dropped_with_a_warning(tmp_path: Path) -> None:
    document = _one_question("The Rhine rises in the Alps.", "Alps", 3)
    qas = document["data"][0]["paragraphs"][0]["qas"]
    qas.append(
        {"id": "q-2", "question": "Which river?", "answers": [{"answer_start": 4, "text": "Rhine"}]}
    )
    path = _write(tmp_path / "bad.json", document)
    with pytest.warns(UserWarning, match="q-1"):
        examples = read_squad(path, on_bad_offset="warn")
    assert [e.id for e in examples] == ["q-2"]


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"data": [\n  {"paragraphs": [}\n]}', encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{path}:2: not valid json")):
        read_squad(path)


def test_missing_field_names_the_json_path(tmp_path: Path) -> None:
    path = _write(tmp_path / "nocontext.json", {"data": [{"paragraphs": [{"qas": []}]}]})
    with pytest.raises(
        DataError, match=re.escape("data[0].paragraphs[0]: missing field 'context'")
    ):
        read_squad(path)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        read_squad(tmp_path / "absent.json")
    empty = tmp_path / "empty.json"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="empty file"):
        read_squad(empty)


def test_duplicate_question_ids_are_rejected(tmp_path: Path) -> None:
    document = _one_question("The Rhine.", "Rhine", 4)
    paragraph = document["data"][0]["paragraphs"][0]
    paragraph["qas"].append(dict(paragraph["qas"][0]))
    path = _write(tmp_path / "dup.json", document)
    with pytest.raises(DataError, match="'q-1' appears twice"):
        read_squad(path)
