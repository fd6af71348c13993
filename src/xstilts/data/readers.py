"""Shared helpers for reading official tsv releases with errors that name file and line.

The format-specific readers (``classification_format``, ``tagging_format``, ...) build on
:func:`read_tsv_records`, which reads by *header name* rather than by position: GLUE and XNLI
files carry many parse columns we do not need, and reading by name keeps a reordered release from
silently feeding the wrong column to the model.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

from xstilts.errors import DataError


def open_text(path: str | Path) -> Iterator[str]:
    """Yield lines of a UTF-8 file without line endings; unreadable files are DataErrors."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, "file not found")
    with path.open(encoding="utf-8", newline="") as handle:
        line_number = 0
        try:
            for line_number, line in enumerate(handle, start=1):  # noqa: B007
                yield line.rstrip("\r\n")
        except UnicodeDecodeError as error:
            raise DataError(path, line_number + 1, f"not valid UTF-8 ({error.reason})") from None


def read_tsv_records(
    path: str | Path, required: Sequence[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, {column: value})`` for each data row of a headed tsv file.

    Quotes are not special (GLUE/XNLI tsv are unquoted and contain bare ``"``), so ``csv`` is
    used with ``QUOTE_NONE``. A row with the wrong number of fields is a DataError naming the line.
    """
    lines = open_text(path)
    header_line = next(lines, None)
    if header_line is None:
        raise DataError(path, 1, "empty file; expected a header line")
    header = header_line.split("\t")
    missing = [name for name in required if name not in header]
    if missing:
        raise DataError(
            path, 1, f"header lacks column(s) {', '.join(missing)}; found {', '.join(header)}"
        )
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    for offset, fields in enumerate(reader, start=2):
        if not fields or fields == [""]:
            continue
        if len(fields) != len(header):
            raise DataError(
                path, offset, f"expected {len(header)} tab-separated fields, found {len(fields)}"
            )
        yield offset, dict(zip(header, fields, strict=True))
