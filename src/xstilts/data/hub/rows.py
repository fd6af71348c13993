"""Reading Hub rows and writing official files: what every converter shares.

Rows come from parquet files we do not control, so every field access names the config, split
and row of a problem (``PAN-X.de[test]:3: ...``), and what had to change to fit an official
layout is counted and reported once per config and split rather than per row.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xstilts.data.hub.configs import config_language
from xstilts.errors import DataError

Row = Mapping[str, Any]

#: Hub split → the split name of the official file names.
OUR_SPLIT = {"train": "train", "validation": "dev", "test": "test"}

_BREAKS = re.compile(r"[\t\r\n]")


class HubConversionWarning(UserWarning):
    """Something in the Hub rows had to be changed or dropped to fit the official layout."""


@dataclass
class Conversion:
    """One Hub ``config``/``split`` on its way into ``task_dir``: where its rows come from (for
    error messages such as ``PAN-X.de[test]:3: ...``) and what had to change on the way."""

    config: str
    split: str
    task_dir: Path
    wanted: set[str] | None = None  # languages kept from a multi-language config; None: all
    replaced: int = 0  # text fields whose tabs/line breaks became spaces
    moved: int = 0  # QA answers moved to the nearest match
    dropped: list[str] = field(default_factory=list)  # ids of questions that lost an answer
    unanswered: list[str] = field(default_factory=list)  # ids of questions dropped: no answer left

    @property
    def where(self) -> str:
        return f"{self.config}[{self.split}]"

    @property
    def language(self) -> str:
        """The language of a single-language config (a user error for any other config)."""
        return config_language(self.config)

    @property
    def our_split(self) -> str:
        return OUR_SPLIT[self.split]

    def error(self, index: int, message: str) -> DataError:
        """A user-facing error at row ``index`` (counted from 1 in the message, as lines are)."""
        return DataError(self.where, index + 1, message)

    def get(self, row: Row, index: int, name: str) -> Any:
        """Field ``name``; when it is missing, the error lists the fields the row has (a schema
        change on the Hub then reads as one)."""
        try:
            return row[name]
        except (KeyError, TypeError):
            found = ", ".join(sorted(row)) if isinstance(row, Mapping) else type(row).__name__
            raise self.error(index, f"row lacks field {name!r} (found: {found})") from None

    def text(self, row: Row, index: int, name: str) -> str:
        """A string field (a ``None`` or a number would otherwise be written as text)."""
        value = self.get(row, index, name)
        if not isinstance(value, str):
            raise self.error(index, f"field {name!r} should be a string, got {value!r}")
        return value

    def integer(self, row: Row, index: int, name: str, choices: int | None = None) -> int:
        """An integer field (a bool is not one); with ``choices``, an answer index
        ``0 .. choices - 1`` (the hidden test splits' ``-1`` is refused)."""
        value = self.get(row, index, name)
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not (choices is None or 0 <= value < choices)
        ):
            indices = [str(choice) for choice in range(choices or 0)]
            expected = f"{', '.join(indices[:-1])} or {indices[-1]}" if choices else "an integer"
            raise self.error(index, f"{name} should be {expected}, got {value!r}")
        return value

    def one_line(self, value: str) -> str:
        """A tsv field: tabs and line breaks cannot be written, so they become spaces
        (counted)."""
        if _BREAKS.search(value):
            self.replaced += 1
            return _BREAKS.sub(" ", value)
        return value

    def field_line(self, row: Row, index: int, name: str) -> str:
        """A text field made fit for one tsv field (see :meth:`one_line`)."""
        return self.one_line(self.text(row, index, name))

    def class_names(self, index: int, name: str, values: Any, names: Sequence[str]) -> list[str]:
        """A ClassLabel sequence as names; ids index ``names`` (their order on the Hub)."""
        if not isinstance(values, Sequence) or isinstance(values, str):
            raise self.error(index, f"field {name!r} should be a list, got {values!r}")
        return [self._class_name(index, name, value, names) for value in values]

    def _class_name(self, index: int, name: str, value: Any, names: Sequence[str]) -> str:
        if isinstance(value, bool):
            raise self.error(index, f"{name}: {value!r} is not a label")
        if isinstance(value, int):
            if not 0 <= value < len(names):
                raise self.error(index, f"{name}: id {value} outside 0..{len(names) - 1}")
            return names[value]
        if isinstance(value, str) and value in names:
            return value
        raise self.error(index, f"{name}: {value!r} is not one of {', '.join(names)}")

    def warn_changes(self) -> None:
        """One warning per kind of change; ``stacklevel`` points at the caller of
        :func:`~xstilts.data.hub.convert_rows`, which calls this directly."""
        if self.replaced:
            warnings.warn(
                f"{self.where}: {self.replaced} text field(s) held tabs or line breaks, "
                "replaced by spaces",
                HubConversionWarning,
                stacklevel=3,
            )
        if self.moved:
            warnings.warn(
                f"{self.where}: {self.moved} answer offset(s) no longer matched the stripped "
                "context and were moved to the nearest occurrence of the answer",
                HubConversionWarning,
                stacklevel=3,
            )
        if self.dropped:
            warnings.warn(
                f"{self.where}: dropped {len(self.dropped)} answer(s) whose text is not in the "
                f"context near answer_start (questions {_some(self.dropped)}); "
                f"{len(self.unanswered)} question(s) left without answers were dropped too",
                HubConversionWarning,
                stacklevel=3,
            )


def _some(ids: Sequence[str]) -> str:
    return ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")


def write_text(path: Path, text: str) -> Path:
    """Atomic and idempotent: a temporary file renamed over ``path``, only if content differs,
    so converting the same rows twice is a no-op."""
    data = text.encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def write_lines(path: Path, lines: Iterable[str]) -> Path:
    """:func:`write_text` of ``lines``, each ended by a line break."""
    return write_text(path, "".join(f"{line}\n" for line in lines))
