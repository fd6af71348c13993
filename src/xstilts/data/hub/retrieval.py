"""Sentence retrieval: Hub ``tatoeba.{xxx}`` and ``bucc18.{l}`` rows → line-aligned text files.

Tatoeba sentences keep the file's line ending on the Hub, which is stripped here.

The Hub's ``bucc18`` holds only the *gold pairs* of each split, not the two monolingual
corpora: the mining task then has no distractors and its F1 is not BUCC's, which is why
:func:`~xstilts.data.hub.fetch` refuses it unless asked explicitly (``allow_bucc_gold_only``).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.hub.configs import TATOEBA_HUB_CODES
from xstilts.data.hub.rows import Conversion, Row, write_lines

#: A BUCC row's two sides: the field holding the sentence id, the one holding the sentence.
_BUCC_SIDES = (("source_lang", "source_sentence"), ("target_lang", "target_sentence"))


def write_tatoeba(job: Conversion, rows: list[Row]) -> list[Path]:
    """``tatoeba.{xxx}-eng.{xxx}`` and ``tatoeba.{xxx}-eng.eng``, aligned line by line."""
    code = TATOEBA_HUB_CODES[job.language]
    source = [_sentence(job, row, index, "source_sentence") for index, row in enumerate(rows)]
    target = [_sentence(job, row, index, "target_sentence") for index, row in enumerate(rows)]
    stem = job.task_dir / f"tatoeba.{code}-eng"
    return [write_lines(Path(f"{stem}.{code}"), source), write_lines(Path(f"{stem}.eng"), target)]


def write_bucc(job: Conversion, rows: list[Row]) -> list[Path]:
    """``{l}-en.{split}.{l}``, ``.en`` (``id<TAB>sentence``) and ``.gold`` (``id<TAB>id``).
    The script names the sentence *ids* ``source_lang``/``target_lang`` (``de-000000001``)."""
    language = job.language
    sides: tuple[dict[str, str], dict[str, str]] = ({}, {})
    gold: list[str] = []
    for index, row in enumerate(rows):
        pair = [
            _bucc_sentence_id(job, row, index, side, id_field, text_field)
            for side, (id_field, text_field) in zip(sides, _BUCC_SIDES, strict=True)
        ]
        gold.append("\t".join(pair))
    stem = job.task_dir / f"{language}-en.{job.our_split}"
    source, target = sides
    return [
        write_lines(Path(f"{stem}.{language}"), (f"{i}\t{s}" for i, s in source.items())),
        write_lines(Path(f"{stem}.en"), (f"{i}\t{s}" for i, s in target.items())),
        write_lines(Path(f"{stem}.gold"), gold),
    ]


def _bucc_sentence_id(
    job: Conversion, row: Row, index: int, side: dict[str, str], id_field: str, text_field: str
) -> str:
    """The id of one side of a gold pair, its sentence recorded in ``side`` (id → sentence)."""
    sentence_id = job.text(row, index, id_field).strip()
    sentence = _sentence(job, row, index, text_field)
    if not sentence_id:
        raise job.error(index, f"{id_field} (the sentence id) is empty")
    if side.setdefault(sentence_id, sentence) != sentence:
        raise job.error(index, f"id {sentence_id!r} names two different sentences")
    return sentence_id


def _sentence(job: Conversion, row: Row, index: int, name: str) -> str:
    """One sentence of a line-based file: the script kept the line ending; inner breaks are
    impossible in such files, and an empty line would shift the alignment."""
    value = job.one_line(job.text(row, index, name).rstrip("\r\n"))
    if not value.strip():
        raise job.error(index, f"{name} is empty; line-aligned files cannot hold it")
    return value
