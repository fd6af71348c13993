"""Span QA: Hub ``SQuAD``, ``XQuAD.{l}``, ``MLQA.{l}.{l}`` and ``tydiqa`` rows → SQuAD v1.1 json.

The loading script strips contexts and answer texts, which can shift an ``answer_start`` by the
stripped whitespace; offsets that no longer match are moved to the nearest occurrence of the
answer within :data:`MAX_OFFSET_SHIFT` characters, else the answer is dropped, and so is a
question left without answers (with a warning).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from xstilts.data.hub.configs import TYDIQA_ID_LANGUAGES
from xstilts.data.hub.rows import Conversion, Row, write_text

#: How far a QA answer may have moved when the script stripped its context or its text.
MAX_OFFSET_SHIFT = 32

_SQUAD_FILES = {"train": "train-v1.1.json", "validation": "dev-v1.1.json"}


def write_squad(job: Conversion, rows: list[Row]) -> list[Path]:
    """``train-v1.1.json`` / ``dev-v1.1.json``: SQuAD itself, and the English training (and
    for XQuAD, development) data of the cross-lingual QA tasks."""
    return [_write_squad_file(job, job.task_dir / _SQUAD_FILES[job.split], enumerate(rows))]


def write_squad_v2(job: Conversion, rows: list[Row]) -> list[Path]:
    """``train-v2.0.json`` / ``dev-v2.0.json`` from ``rajpurkar/squad_v2`` (config ``squad_v2``,
    the SQuAD schema): an unanswerable question is a row with empty answer lists, written back
    with ``is_impossible: true`` as the release has it (its ``plausible_answers`` are not on the
    Hub)."""
    document = _squad_document(job, enumerate(rows))
    document["version"] = "v2.0"
    for article in document["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                qa["is_impossible"] = not qa["answers"]
    name = {"train": "train-v2.0.json", "validation": "dev-v2.0.json"}[job.split]
    return [write_text(job.task_dir / name, json.dumps(document, ensure_ascii=False) + "\n")]


def write_xquad(job: Conversion, rows: list[Row]) -> list[Path]:
    """``xquad.{l}.json`` (the SQuAD config: see :func:`write_squad`)."""
    if job.config == "SQuAD":
        return write_squad(job, rows)
    path = job.task_dir / f"xquad.{job.language}.json"
    return [_write_squad_file(job, path, enumerate(rows))]


def write_mlqa(job: Conversion, rows: list[Row]) -> list[Path]:
    """``{split}/{split}-context-{l}-question-{l}.json`` (the SQuAD config: see
    :func:`write_squad`)."""
    if job.config == "SQuAD":
        return write_squad(job, rows)
    language, split = job.language, job.our_split
    path = job.task_dir / split / f"{split}-context-{language}-question-{language}.json"
    return [_write_squad_file(job, path, enumerate(rows))]


def write_tydiqa(job: Conversion, rows: list[Row]) -> list[Path]:
    """One file per language, the language read from the id prefix (XTREME's
    ``tydiqa_preprocess`` splits the training file the same way; ids are kept whole)."""
    by_language: dict[str, list[tuple[int, Row]]] = {}
    for index, row in enumerate(rows):
        language = _tydiqa_language(job, row, index)
        if job.wanted is None or language in job.wanted:
            by_language.setdefault(language, []).append((index, row))
    if job.split == "train":
        folder, suffix = "tydiqa-goldp-v1.1-train", "train"
    else:
        folder, suffix = "tydiqa-goldp-v1.1-dev", "dev"
    return [
        _write_squad_file(
            job, job.task_dir / folder / f"tydiqa.{language}.{suffix}.json", indexed_rows
        )
        for language, indexed_rows in by_language.items()
    ]


def _tydiqa_language(job: Conversion, row: Row, index: int) -> str:
    """ISO 639-1 from the id's language-name prefix (``arabic-…``): the config has no language
    column."""
    question_id = str(job.get(row, index, "id"))
    prefix = question_id.split("-", 1)[0]
    language = TYDIQA_ID_LANGUAGES.get(prefix)
    if language is None:
        raise job.error(
            index,
            f"id {question_id!r} does not start with a TyDiQA language name "
            f"({', '.join(TYDIQA_ID_LANGUAGES)})",
        )
    return language


def _write_squad_file(job: Conversion, path: Path, indexed_rows: Iterable[tuple[int, Row]]) -> Path:
    """The SQuAD v1.1 json of the rows, on one line, non-ASCII text kept as it is."""
    document = _squad_document(job, indexed_rows)
    return write_text(path, json.dumps(document, ensure_ascii=False) + "\n")


def _squad_document(job: Conversion, indexed_rows: Iterable[tuple[int, Row]]) -> dict[str, Any]:
    """SQuAD v1.1 layout; consecutive rows sharing title and context share a paragraph.
    Rows come with their positions in the config, for error messages."""
    articles: list[dict[str, Any]] = []
    last_title: str | None = None
    last_context: str | None = None
    for index, row in indexed_rows:
        title = row.get("title", "") if isinstance(row, Mapping) else ""
        text = job.text(row, index, "context")
        qa = _squad_question(job, row, index, text)
        if qa is None:
            continue
        if not articles or title != last_title:
            articles.append({"title": title, "paragraphs": []})
        paragraphs = articles[-1]["paragraphs"]
        if not paragraphs or title != last_title or text != last_context:
            paragraphs.append({"context": text, "qas": []})
        paragraphs[-1]["qas"].append(qa)
        last_title, last_context = title, text
    return {"version": "1.1", "data": articles}


def _squad_question(job: Conversion, row: Row, index: int, text: str) -> dict[str, Any] | None:
    """The ``qas`` entry of a row, or None where every answer was dropped."""
    question_id = job.get(row, index, "id")
    if not isinstance(question_id, str | int) or isinstance(question_id, bool):
        raise job.error(index, f"id {question_id!r} is not a string")
    question_id = str(question_id)
    answers = _squad_answers(job, row, index, question_id, text)
    if not answers and question_id in job.dropped:
        # Training on it would teach "no answer"; scoring it would score against nothing.
        job.unanswered.append(question_id)
        return None
    return {"id": question_id, "question": job.text(row, index, "question"), "answers": answers}


def _squad_answers(
    job: Conversion, row: Row, index: int, question_id: str, text: str
) -> list[dict[str, Any]]:
    """The row's answers with offsets realigned to the stripped context (see the module)."""
    starts, texts = _answer_lists(job, row, index)
    out: list[dict[str, Any]] = []
    for start, answer in zip(starts, texts, strict=True):
        if not isinstance(start, int) or not isinstance(answer, str):
            raise job.error(index, f"answer ({start!r}, {answer!r}) is not (int, str)")
        aligned = _aligned_start(text, answer, start) if answer else start
        if aligned is None:
            job.dropped.append(question_id)
            continue
        if aligned != start:
            job.moved += 1
        out.append({"answer_start": aligned, "text": answer})
    return out


def _answer_lists(job: Conversion, row: Row, index: int) -> tuple[Sequence[Any], Sequence[Any]]:
    """``answers`` as the Hub stores it: ``{answer_start: [...], text: [...]}``."""
    answers = job.get(row, index, "answers")
    if not isinstance(answers, Mapping):
        raise job.error(index, f"field 'answers' should be {{answer_start, text}}: {answers!r}")
    starts, texts = answers.get("answer_start"), answers.get("text")
    if not isinstance(starts, Sequence) or not isinstance(texts, Sequence):
        raise job.error(index, "answers should hold the lists 'answer_start' and 'text'")
    if len(starts) != len(texts):
        raise job.error(index, f"{len(starts)} answer_start values for {len(texts)} texts")
    return starts, texts


def _aligned_start(context_text: str, answer: str, start: int) -> int | None:
    """``start`` if the answer is there, else its nearest occurrence within the shift window."""
    if context_text[start : start + len(answer)] == answer:
        return start
    best: int | None = None
    low = max(0, start - MAX_OFFSET_SHIFT)
    position = context_text.find(answer, low)
    while position != -1 and position <= start + MAX_OFFSET_SHIFT:
        if best is None or abs(position - start) < abs(best - start):
            best = position
        position = context_text.find(answer, position + 1)
    return best
