"""SQuAD-layout json → :class:`SpanQAExample` (SQuAD v1.1/v2.0, XQuAD, MLQA, TyDiQA-GoldP).

All four releases share one layout (``rajpurkar/SQuAD-explorer`` ``dataset/*.json``;
``deepmind/xquad`` ``xquad.{lang}.json``; MLQA
``MLQA_V1/{dev,test}/*-context-{c}-question-{q}.json``; TyDiQA
``tydiqa-goldp-v1.1-{train.json,dev/*.json}``)::

    {"version": "1.1",
     "data": [{"title": "...",
               "paragraphs": [{"context": "...",
                               "qas": [{"id": "...", "question": "...",
                                        "answers": [{"answer_start": 34, "text": "308"}],
                                        "is_impossible": false}]}]}]}

``is_impossible`` only exists in v2.0; its unanswerable questions carry ``answers: []`` (the
``plausible_answers`` are distractors and are ignored).

Offsets are checked because every downstream step (sub-word label positions, the SQuAD/MLQA
scripts' gold strings) trusts ``context[answer_start:answer_start + len(text)] == text``; XTREME's
``utils_preprocess.py`` (``remove_qa_test_annotations``, ``tydiqa_preprocess``) asserts the same.
Answers with empty text are what XTREME's download writes in place of hidden test labels
(``{"answer_start": 0, "text": ""}``): they are dropped, so such a question reads as unlabelled
(answerable, no answers) rather than as a gold empty span.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Literal

from xstilts.data.examples import SpanQAExample
from xstilts.data.json_records import read_json_document, require
from xstilts.data.readers import shown
from xstilts.errors import DataError

OnBadOffset = Literal["error", "warn"]


def read_squad(path: str | Path, *, on_bad_offset: OnBadOffset = "error") -> list[SpanQAExample]:
    """Read a SQuAD-layout file into one example per question, in file order.

    ``on_bad_offset="warn"`` drops an answer whose offset does not match the context (with a
    warning naming the question id) instead of failing; a question left without answers is then
    dropped too, since training on it would teach the wrong span. Json documents have no useful
    line numbers, so errors name the question id or the json path instead.
    """
    path = Path(path)
    document = read_json_document(path)
    if not isinstance(document, dict):
        raise DataError(path, None, "expected a json object with a 'data' list at the top level")
    articles = require(document, "data", list, path, None)
    examples: list[SpanQAExample] = []
    seen_ids: set[str] = set()
    question_count = 0
    for article_index, article in enumerate(articles):
        where = f"data[{article_index}]"
        if not isinstance(article, dict):
            raise DataError(path, None, f"{where}: expected an object with 'paragraphs'")
        paragraphs = require(article, "paragraphs", list, path, None, where)
        for paragraph_index, paragraph in enumerate(paragraphs):
            paragraph_where = f"{where}.paragraphs[{paragraph_index}]"
            if not isinstance(paragraph, dict):
                raise DataError(path, None, f"{paragraph_where}: expected an object")
            context = require(paragraph, "context", str, path, None, paragraph_where)
            questions = require(paragraph, "qas", list, path, None, paragraph_where)
            for question_index, qa in enumerate(questions):
                qa_where = f"{paragraph_where}.qas[{question_index}]"
                if not isinstance(qa, dict):
                    raise DataError(path, None, f"{qa_where}: expected an object")
                question_count += 1
                example = _read_question(path, qa, context, qa_where, on_bad_offset)
                if example is None:
                    continue
                if example.id in seen_ids:
                    raise DataError(path, None, f"question id {shown(example.id)} appears twice")
                seen_ids.add(example.id)
                examples.append(example)
    if question_count == 0:
        raise DataError(path, None, "no questions found; expected data[].paragraphs[].qas[]")
    if not examples:
        raise DataError(
            path, None, f"all {question_count} questions were dropped for bad answer offsets"
        )
    return examples


def _read_question(
    path: Path, qa: dict[str, Any], context: str, where: str, on_bad_offset: OnBadOffset
) -> SpanQAExample | None:
    question_id = require(qa, "id", (str, int), path, None, where)
    question_id = str(question_id)
    where = f"question {shown(question_id)}"
    question = require(qa, "question", str, path, None, where)
    is_impossible = (
        require(qa, "is_impossible", bool, path, None, where) if "is_impossible" in qa else False
    )
    answers = require(qa, "answers", list, path, None, where)
    distractors = qa.get("plausible_answers", [])  # v2.0: ignored, but must be well-formed
    if not isinstance(distractors, list):
        raise DataError(path, None, f"{where}: plausible_answers should be a list")
    for plausible in distractors:
        _answer_span(path, plausible, context, where)
    texts: list[str] = []
    starts: list[int] = []
    for answer in answers:
        text, start = _answer_span(path, answer, context, where)
        if text == "":
            continue
        if context[start : start + len(text)] != text:
            found = context[start : start + len(text)]
            message = (
                f"{where}: answer {shown(text)} does not match the context at answer_start "
                f"{start} (context there reads {shown(found)})"
            )
            if on_bad_offset == "error":
                raise DataError(path, None, message)
            warnings.warn(f"{path}: {message}; answer dropped", stacklevel=3)
            continue
        texts.append(text)
        starts.append(start)
    if is_impossible and texts:
        raise DataError(path, None, f"{where}: is_impossible is true but answers are given")
    if answers and not texts and not is_impossible and any(a.get("text") for a in answers):
        return None  # every answer had a bad offset and was dropped with a warning
    return SpanQAExample(
        id=question_id,
        question=question,
        context=context,
        answer_texts=tuple(texts),
        answer_starts=tuple(starts),
        is_impossible=is_impossible,
    )


def _answer_span(path: Path, answer: Any, context: str, where: str) -> tuple[str, int]:
    """``(text, answer_start)`` of one answer object, the span inside the context."""
    if not isinstance(answer, dict):
        raise DataError(path, None, f"{where}: each answer should be an object")
    text = require(answer, "text", str, path, None, where)
    start = require(answer, "answer_start", int, path, None, where)
    if not 0 <= start <= len(context) - len(text):
        raise DataError(
            path,
            None,
            f"{where}: answer_start {shown(start)} lies outside the context "
            f"(expected 0..{max(len(context) - len(text), 0)} for answer {shown(text)})",
        )
    return text, start
