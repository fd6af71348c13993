"""Multiple-choice releases → :class:`MultipleChoiceExample` (COPA/XCOPA, SIQA, HellaSwag, ...).

Each reader keeps ``context`` and ``question`` apart and leaves joining them to the featurizer.
The fields are chosen so that the first segment ``" ".join(p for p in (context, question) if p)``,
paired with each choice, reproduces the reference recipes:

* **COPA / XCOPA** (SuperGLUE ``COPA/{train,val,test}.jsonl``; ``cambridgeltl/xcopa``
  ``data/{lang}/{val,test}.{lang}.jsonl``): ``premise``, ``choice1``, ``choice2``, ``question``
  (``cause``/``effect``), ``label`` (0/1), ``idx``. The question becomes ``"What was the cause?"``
  / ``"What was the effect?"``, XTREME's ``third_party/run_xcopa.py`` template
  (``f"{premise} What was the {question}?"``); jiant's COPA task words it differently.
* **SIQA**: XTREME downloads ``socialIQa_v1.4_{trn,dev,tst}.jsonl``, whose lines carry the
  answer letter in ``correct`` (``third_party/siqa_data``); the AI2 leaderboard release puts the
  labels in a separate ``{split}-labels.lst`` with ``1``/``2``/``3``. Both are read.
* **HellaSwag** (``rowanz/hellaswag`` ``data/hellaswag_{train,val,test}.jsonl``): context
  ``ctx_a``; each choice is ``ctx_b`` followed by an ending, as in jiant's ``hellaswag.py``.
* **Cosmos QA** (``train.csv``, ``valid.csv``, ``test.jsonl``): ``id, context, question,
  answer0..answer3, label``, as in jiant's ``cosmosqa.py``.
* **CommonsenseQA** (``{train,dev}_rand_split.jsonl``, ``test_rand_split_no_answers.jsonl``):
  ``question.stem``, ``question.choices[{label, text}]``, ``answerKey``; the stem is the question
  and the context is empty, as in jiant's ``commonsenseqa.py``.

Labels are 0-based choice indices; a release without labels (test splits) gives ``None``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from xstilts.data.examples import MultipleChoiceExample
from xstilts.data.json_records import iter_jsonl_records, require
from xstilts.data.readers import headed_rows, open_text, parse_ascii_int, shown
from xstilts.errors import DataError

COPA_QUESTIONS: dict[str, str] = {
    "cause": "What was the cause?",
    "effect": "What was the effect?",
}

_SIQA_LETTERS = ("A", "B", "C")
_COSMOS_COLUMNS = ("id", "context", "question", "answer0", "answer1", "answer2", "answer3")


def read_copa_jsonl(path: str | Path) -> list[MultipleChoiceExample]:
    """Read COPA or XCOPA jsonl; the example id is the release's ``idx``."""
    examples: list[MultipleChoiceExample] = []
    for line, record in iter_jsonl_records(path):
        question_type = require(record, "question", str, path, line)
        if question_type not in COPA_QUESTIONS:
            raise DataError(
                path, line, f"question should be 'cause' or 'effect', not {shown(question_type)}"
            )
        examples.append(
            MultipleChoiceExample(
                id=str(require(record, "idx", (int, str), path, line)),
                context=require(record, "premise", str, path, line),
                question=COPA_QUESTIONS[question_type],
                choices=(
                    require(record, "choice1", str, path, line),
                    require(record, "choice2", str, path, line),
                ),
                label=_optional_index(record, "label", 2, path, line),
            )
        )
    return examples


def read_siqa_jsonl(
    path: str | Path, labels_path: str | Path | None = None
) -> list[MultipleChoiceExample]:
    """Read Social IQa: labels from ``labels_path`` (1-based lines), else each line's ``correct``.

    Lines have ``context``, ``question``, ``answerA``, ``answerB``, ``answerC``. The release has
    no ids, so the id is the record's 0-based position.
    """
    labels_file = Path(labels_path) if labels_path is not None else None
    labels = _read_siqa_labels(labels_file) if labels_file is not None else None
    examples: list[MultipleChoiceExample] = []
    for line, record in iter_jsonl_records(path):
        index = len(examples)
        if labels is not None:
            label: int | None = labels[index] if index < len(labels) else None
        elif "correct" in record:
            letter = require(record, "correct", str, path, line)
            if letter not in _SIQA_LETTERS:
                raise DataError(path, line, f"correct should be A, B or C, not {shown(letter)}")
            label = _SIQA_LETTERS.index(letter)
        else:
            label = None
        examples.append(
            MultipleChoiceExample(
                id=str(index),
                context=require(record, "context", str, path, line),
                question=require(record, "question", str, path, line),
                choices=tuple(
                    require(record, f"answer{letter}", str, path, line) for letter in _SIQA_LETTERS
                ),
                label=label,
            )
        )
    if labels_file is not None and labels is not None and len(labels) != len(examples):
        raise DataError(
            labels_file, None, f"has {len(labels)} labels but {path} has {len(examples)} records"
        )
    return examples


def _read_siqa_labels(path: str | Path) -> list[int]:
    labels: list[int] = []
    for line_number, line in enumerate(open_text(path), start=1):
        value = line.strip()
        if not value:
            continue
        if value not in ("1", "2", "3"):
            raise DataError(path, line_number, f"expected a label 1, 2 or 3, found {shown(value)}")
        labels.append(int(value) - 1)
    if not labels:
        raise DataError(path, None, "empty file; expected one label (1, 2 or 3) per line")
    return labels


def read_hellaswag_jsonl(path: str | Path) -> list[MultipleChoiceExample]:
    """Read HellaSwag; the id is the release's ``ind``."""
    examples: list[MultipleChoiceExample] = []
    for line, record in iter_jsonl_records(path):
        context_b = require(record, "ctx_b", str, path, line)
        endings = require(record, "endings", list, path, line)
        if not endings or not all(isinstance(ending, str) for ending in endings):
            raise DataError(path, line, "endings should be a non-empty list of strings")
        examples.append(
            MultipleChoiceExample(
                id=str(require(record, "ind", (int, str), path, line)),
                context=require(record, "ctx_a", str, path, line),
                question="",
                choices=tuple(" ".join(p for p in (context_b, ending) if p) for ending in endings),
                label=_optional_index(record, "label", len(endings), path, line),
            )
        )
    return examples


def read_cosmosqa(path: str | Path) -> list[MultipleChoiceExample]:
    """Read Cosmos QA as released: ``train.csv``/``valid.csv`` (quoted csv) or ``test.jsonl``."""
    path = Path(path)
    if path.suffix == ".jsonl":
        records = iter_jsonl_records(path)
    elif path.suffix == ".csv":
        records = _iter_csv_records(path)
    else:
        raise DataError(path, None, "expected a Cosmos QA .csv or .jsonl file")
    examples: list[MultipleChoiceExample] = []
    for line, record in records:
        values = [require(record, column, (str, int), path, line) for column in _COSMOS_COLUMNS]
        examples.append(
            MultipleChoiceExample(
                id=str(values[0]),
                context=str(values[1]),
                question=str(values[2]),
                choices=tuple(str(value) for value in values[3:]),
                label=_optional_index(record, "label", 4, path, line),
            )
        )
    return examples


def _iter_csv_records(path: Path) -> Any:
    """Yield ``(first_line, row)`` from a headed csv whose quoted fields may span lines."""
    if not path.is_file():
        raise DataError(path, None, "file not found")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as error:
            raise DataError(path, 1, f"malformed csv header ({error})") from None
        if header is None:
            raise DataError(path, 1, "empty file; expected a csv header line")
        found = False
        for first_line, record in headed_rows(reader, header, path, "csv"):
            found = True
            yield first_line, record
        if not found:
            raise DataError(path, None, "no records after the csv header")


def read_commonsenseqa_jsonl(path: str | Path) -> list[MultipleChoiceExample]:
    """Read CommonsenseQA; choices keep the release order (A–E), the label indexes them."""
    examples: list[MultipleChoiceExample] = []
    for line, record in iter_jsonl_records(path):
        question = require(record, "question", dict, path, line)
        stem = require(question, "stem", str, path, line, "question")
        raw_choices = require(question, "choices", list, path, line, "question")
        letters: list[str] = []
        texts: list[str] = []
        for choice in raw_choices:
            if not isinstance(choice, dict):
                raise DataError(path, line, "question.choices should hold {label, text} objects")
            letters.append(require(choice, "label", str, path, line, "question.choices[]"))
            texts.append(require(choice, "text", str, path, line, "question.choices[]"))
        label: int | None = None
        if "answerKey" in record:
            answer_key = require(record, "answerKey", str, path, line)
            if answer_key not in letters:
                raise DataError(
                    path,
                    line,
                    f"answerKey {shown(answer_key)} is not a choice label ({shown(letters)})",
                )
            label = letters.index(answer_key)
        examples.append(
            MultipleChoiceExample(
                id=str(require(record, "id", str, path, line)),
                context="",
                question=stem,
                choices=tuple(texts),
                label=label,
            )
        )
    return examples


def _optional_index(
    record: dict[str, Any], key: str, choices: int, path: str | Path, line: int
) -> int | None:
    """A 0-based label that may be absent (test splits); csv labels arrive as digit strings.

    An absent key is an unlabelled record; a present one must hold an index (``null`` or ``""``
    is not how any release marks a hidden label).
    """
    if key not in record:
        return None
    value = record[key]
    if isinstance(value, str):
        parsed = parse_ascii_int(value)
        value = value if parsed is None else parsed
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < choices:
        raise DataError(
            path, line, f"{key} should be a choice index 0..{choices - 1}, found {shown(value)}"
        )
    return value
