"""Shared helpers for reading official tsv releases with errors that name file and line.

The format-specific readers (``classification_format``, ``tagging_format``, ...) build on
:func:`read_tsv_records`, which reads by *header name* rather than by position: GLUE and XNLI
files carry many parse columns we do not need, and reading by name keeps a reordered release from
silently feeding the wrong column to the model.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from xstilts.errors import DataError, counted, short_repr

log = logging.getLogger("xstilts")

# The csv module refuses fields over 128 KiB by default; a long document (a Cosmos QA context, a
# Mewsli-X article in a tsv dump) is legitimate, so the cap is raised to what a C long holds on
# every platform (2**31 - 1) instead of letting csv.Error escape as a traceback.
FIELD_SIZE_LIMIT = 2**31 - 1
csv.field_size_limit(FIELD_SIZE_LIMIT)

_ASCII_INTEGER = re.compile(r"-?[0-9]{1,18}")


def open_text(path: str | Path) -> Iterator[str]:
    """Yield lines of a UTF-8 file without line endings; unreadable files are DataErrors.

    Lines are decoded one by one (a text-mode file decodes in chunks), so a byte that is not
    UTF-8 is reported on its own line.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, "file not found")
    try:
        handle = path.open("rb")
    except OSError as error:
        raise DataError(path, None, f"cannot read file ({error.strerror})") from None
    with handle:
        for line_number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise DataError(path, line_number, f"not valid UTF-8 ({error.reason})") from None
            yield line.rstrip("\r\n")


def parse_ascii_int(raw: str) -> int | None:
    """``raw`` as an integer if it is written with ASCII digits only (at most 18), else None.

    ``str.isdigit``/``int`` accept Arabic-Indic or superscript digits and thousands of digits;
    an official label or offset never looks like that, so such a value must be an error.
    """
    value = raw.strip()
    return int(value) if _ASCII_INTEGER.fullmatch(value) else None


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, so an error never echoes a megabyte."""
    return short_repr(value, limit)


def clipped(text: str, limit: int = 40) -> str:
    """``text`` itself (no quotes) cut to ``limit`` characters, for ids inside a message."""
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def log_skipped(path: str | Path, count: int, noun: str, reason: str) -> None:
    """Say how many rows a format-sanctioned rule skipped: skipping is never silent
    (``skipped 1 row with ...``, ``skipped 2 rows with ...``)."""
    if count:
        log.info("%s: skipped %s %s", path, counted(count, noun), reason)


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
        found = shown(", ".join(header), 200)
        raise DataError(path, 1, f"header lacks column(s) {', '.join(missing)}; found {found}")
    if len(set(header)) != len(header):
        raise DataError(path, 1, "header names a column twice")
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    yield from headed_rows(reader, header, path, "tsv", lines_before=1)


class RowReader(Protocol):
    """What :func:`headed_rows` needs of a ``csv.reader``: rows, and the source lines read."""

    @property
    def line_num(self) -> int: ...

    def __next__(self) -> list[str]: ...


def headed_rows(
    reader: RowReader,
    header: Sequence[str],
    path: str | Path,
    kind: str,
    lines_before: int = 0,
) -> Iterator[tuple[int, dict[str, str]]]:
    """``(first line, {column: value})`` of each non-empty row of a ``csv.reader`` (``kind``
    "csv" or "tsv") whose header has been read; a malformed or undecodable row, or one with the
    wrong number of fields, is a DataError naming its first line (a quoted csv field may span
    lines). ``lines_before``: lines of the file the reader was not given (a header read apart).
    """
    fields = "tab-separated" if kind == "tsv" else kind
    while True:
        first_line = reader.line_num + 1 + lines_before
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise DataError(path, first_line, f"malformed {kind} ({error})") from None
        except UnicodeDecodeError as error:
            raise DataError(path, first_line, f"not valid UTF-8 ({error.reason})") from None
        if not row:
            continue
        if len(row) != len(header):
            raise DataError(
                path, first_line, f"expected {len(header)} {fields} fields, found {len(row)}"
            )
        yield first_line, dict(zip(header, row, strict=True))
