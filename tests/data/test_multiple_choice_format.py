"""Multiple-choice readers: COPA/XCOPA, SIQA (both releases), HellaSwag, Cosmos QA, CSQA."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xstilts.data.multiple_choice_format import (
    read_commonsenseqa_jsonl,
    read_copa_jsonl,
    read_cosmosqa,
    read_hellaswag_jsonl,
    read_siqa_jsonl,
)
from xstilts.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures"


def test_copa_uses_xtreme_question_wording_and_idx() -> None:
    examples = read_copa_jsonl(FIXTURES / "copa" / "val.jsonl")
    assert [e.id for e in examples] == ["0", "1", "2"]
    assert examples[2].question == "What was the cause?"
    assert examples[0].question == "What was the effect?"
    assert examples[0].choices == ("The fridge door was left open.", "I took it off the stove.")
    assert [e.label for e in examples] == [1, 1, 0]


def test_copa_test_split_has_no_labels() -> None:
    assert [e.label for e in read_copa_jsonl(FIXTURES / "copa" / "test.jsonl")] == [None, None]


def test_xcopa_target_language_file() -> None:
    examples = read_copa_jsonl(FIXTURES / "xcopa" / "val.it.jsonl")
    assert examples[0].context == "Il bollitore iniziò a fischiare."
    assert [e.label for e in examples] == [1, 0, 1]


def test_siqa_labels_from_correct_letter_or_labels_file_agree() -> None:
    with_letters = read_siqa_jsonl(FIXTURES / "siqa" / "socialIQa_v1.4_dev.jsonl")
    with_file = read_siqa_jsonl(
        FIXTURES / "siqa" / "dev.jsonl", FIXTURES / "siqa" / "dev-labels.lst"
    )
    assert [e.label for e in with_letters] == [2, 1, 2]
    assert with_letters == with_file
    assert with_file[1].choices == ("proud", "embarrassed", "hungry")
    assert [e.label for e in read_siqa_jsonl(FIXTURES / "siqa" / "dev.jsonl")] == [None] * 3


def test_siqa_label_count_mismatch(tmp_path: Path) -> None:
    labels = tmp_path / "dev-labels.lst"
    labels.write_text("1\n2\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{labels}: has 2 labels but")):
        read_siqa_jsonl(FIXTURES / "siqa" / "dev.jsonl", labels)
    labels.write_text("1\n4\n3\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{labels}:2: expected a label 1, 2 or 3")):
        read_siqa_jsonl(FIXTURES / "siqa" / "dev.jsonl", labels)


def test_hellaswag_joins_ctx_b_to_each_ending() -> None:
    examples = read_hellaswag_jsonl(FIXTURES / "hellaswag" / "hellaswag_val.jsonl")
    first = examples[0]
    assert first.id == "24"
    assert first.context == "A man sprays a red car with a hose."
    assert first.choices[3] == "he scrubs the doors with a soapy sponge."
    assert first.label == 3
    assert examples[2].choices[0] == "The dog flies over the trees."  # empty ctx_b


def test_cosmosqa_csv_with_quotes_and_newlines_and_jsonl_test() -> None:
    examples = read_cosmosqa(FIXTURES / "cosmosqa" / "valid.csv")
    assert [e.label for e in examples] == [1, 2, 0]
    assert '"quick"' in examples[1].context
    assert "\nBy Friday" in examples[1].context
    assert len(examples[1].choices) == 4
    test = read_cosmosqa(FIXTURES / "cosmosqa" / "test.jsonl")
    assert [e.label for e in test] == [None, None]
    assert test[0].id == examples[0].id


def test_cosmosqa_ragged_csv_row_names_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "valid.csv"
    path.write_text(
        "id,context,question,answer0,answer1,answer2,answer3,label\n"
        'a,"two\nlines",q,w,x,y,z,0\n'
        "b,c,q,w,x,y,0\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=re.escape(f"{path}:4: expected 8 csv fields, found 7")):
        read_cosmosqa(path)


def test_commonsenseqa_answer_key_indexes_choices() -> None:
    examples = read_commonsenseqa_jsonl(FIXTURES / "commonsenseqa" / "dev_rand_split.jsonl")
    assert [e.label for e in examples] == [0, 4, 1]
    assert examples[0].context == ""
    assert examples[0].question == "Where would you put a kettle to boil water for tea?"
    assert examples[0].choices == ("stove", "garden", "wardrobe", "bookshelf", "bathtub")


def test_label_outside_choices_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "val.jsonl"
    path.write_text(
        '{"premise": "It rained.", "choice1": "a", "choice2": "b", "question": "effect",'
        ' "label": 0, "idx": 0}\n'
        '{"premise": "It rained.", "choice1": "a", "choice2": "b", "question": "effect",'
        ' "label": 2, "idx": 1}\n',
        encoding="utf-8",
    )
    with pytest.raises(
        DataError, match=re.escape(f"{path}:2: label should be a choice index 0..1")
    ):
        read_copa_jsonl(path)


def test_bad_json_missing_field_and_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "dev.jsonl"
    path.write_text('{"ind": 1, "ctx_a": "x"\n', encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{path}:1: not valid json")):
        read_hellaswag_jsonl(path)
    path.write_text('{"ind": 1, "ctx_a": "x", "endings": ["a"]}\n', encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{path}:1: missing field 'ctx_b'")):
        read_hellaswag_jsonl(path)
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{path}: empty file")):
        read_commonsenseqa_jsonl(path)
    with pytest.raises(DataError, match="file not found"):
        read_copa_jsonl(tmp_path / "absent.jsonl")
