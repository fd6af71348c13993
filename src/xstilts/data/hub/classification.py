"""Sentence-pair classification: Hub ``XNLI`` and ``PAWS-X.{l}`` rows → the release tsv files.

The Hub dropped what the release files identify rows by (XNLI's ``pairID``, PAWS-X's ``id``),
so both are rebuilt from row positions: the loaders need an id (and PAWS-X's release ids are
1..n in file order as well).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.classification_format import BINARY_LABELS, NLI_LABELS
from xstilts.data.hub.rows import Conversion, Row, write_lines

# XNLI-1.0's own column names, in its order (the Hub keeps these four; pairID is rebuilt).
_XNLI_COLUMNS = ("language", "gold_label", "sentence1", "sentence2", "pairID")

_PAWSX_HEADER = "id\tsentence1\tsentence2\tlabel"


def write_xnli(job: Conversion, rows: list[Row]) -> list[Path]:
    """``xnli.dev.tsv`` / ``xnli.test.tsv``; ``pairID`` is the row's position among its
    language's rows (the Hub config has no ``pairID`` column)."""
    position: dict[str, int] = {}
    lines = ["\t".join(_XNLI_COLUMNS)]
    for index, row in enumerate(rows):
        language = job.text(row, index, "language")
        if job.wanted is not None and language not in job.wanted:
            continue
        label = job.text(row, index, "gold_label")
        if label not in NLI_LABELS:
            raise job.error(index, f"gold_label {label!r} not in {', '.join(NLI_LABELS)}")
        position[language] = position.get(language, 0) + 1
        fields = [
            language,
            label,
            job.field_line(row, index, "sentence1"),
            job.field_line(row, index, "sentence2"),
            str(position[language]),
        ]
        lines.append("\t".join(fields))
    name = {"validation": "xnli.dev.tsv", "test": "xnli.test.tsv"}[job.split]
    return [write_lines(job.task_dir / name, lines)]


def write_pawsx(job: Conversion, rows: list[Row]) -> list[Path]:
    """``{l}/train.tsv`` (English) or ``{l}/translated_train.tsv``, ``dev_2k.tsv``,
    ``test_2k.tsv``. The Hub rows have no ``id``: it is written as the row position, from 1.
    The loading script parsed the tsv with quote handling and dropped rows that did not split
    into 4 fields, so the English training set has 49,175 rows on the Hub against 49,401 in
    the release (dev/test keep their 2,000)."""
    language = job.language
    lines = [_PAWSX_HEADER]
    for index, row in enumerate(rows):
        label = _binary_label(job, row, index)
        sentence1 = job.field_line(row, index, "sentence1")
        sentence2 = job.field_line(row, index, "sentence2")
        lines.append(f"{index + 1}\t{sentence1}\t{sentence2}\t{label}")
    if job.split == "train":
        name = "train.tsv" if language == "en" else "translated_train.tsv"
    else:
        name = {"validation": "dev_2k.tsv", "test": "test_2k.tsv"}[job.split]
    return [write_lines(job.task_dir / language / name, lines)]


def _binary_label(job: Conversion, row: Row, index: int) -> str:
    """The ``label`` ClassLabel as the release writes it (``"0"``/``"1"``), from id or name."""
    label = job.get(row, index, "label")
    label = str(label) if isinstance(label, int) and not isinstance(label, bool) else label
    if label not in BINARY_LABELS:
        raise job.error(index, f"label {label!r} not in {', '.join(BINARY_LABELS)}")
    return label
