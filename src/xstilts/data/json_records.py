"""Reading official json and jsonl releases with errors that name file and line.

The tsv counterpart lives in :mod:`xstilts.data.readers`. Both exist so that every format reader
reports a broken download the same way: one :class:`~xstilts.errors.DataError` line saying which
file, which line and what was expected, instead of a ``KeyError`` deep inside a featurizer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from xstilts.data.readers import open_text, shown
from xstilts.errors import DataError


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a json number")


def parse_json(text: str, path: str | Path, line: int | None) -> Any:
    """``json.loads`` for data files: every way a text can fail is one DataError naming the place.

    Standard json has no ``NaN``/``Infinity`` (Python accepts them by default); integers of
    thousands of digits hit Python's int-conversion limit (a ``ValueError``); nesting thousands
    deep exhausts the recursion limit. None of them may escape as a traceback.
    """
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        where = line if line is not None else error.lineno
        raise DataError(path, where, f"not valid json ({error.msg})") from None
    except RecursionError:
        raise DataError(path, line, "not valid json here (nested too deeply)") from None
    except ValueError as error:
        reason = str(error).split(";")[0].split(":")[0]
        raise DataError(path, line, f"not valid json here ({shown(reason, 80)})") from None


def read_json_document(path: str | Path) -> Any:
    """Parse a whole-file json document (SQuAD-style releases); syntax errors name the line."""
    path = Path(path)
    text = "\n".join(open_text(path))
    if not text.strip():
        raise DataError(path, None, "empty file; expected a json document")
    return parse_json(text, path, None)


def iter_jsonl_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line of a jsonl file.

    Every line must hold one json object; a file without any record is an error, because an
    empty split silently scores 0 or trains on nothing.
    """
    found = False
    for line_number, line in enumerate(open_text(path), start=1):
        if not line.strip():
            continue
        record = parse_json(line, path, line_number)
        if not isinstance(record, dict):
            raise DataError(
                path, line_number, f"expected a json object, found {type(record).__name__}"
            )
        found = True
        yield line_number, record
    if not found:
        raise DataError(path, None, "empty file; expected one json object per line")


def require(
    record: dict[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    path: str | Path,
    line: int | None,
    where: str = "",
) -> Any:
    """Return ``record[key]`` if present with the expected json type, else a DataError.

    ``where`` prefixes the message (a json path or an id) for documents whose line is unknown.
    """
    prefix = f"{where}: " if where else ""
    if not isinstance(record, dict):
        raise DataError(path, line, f"{prefix}expected a json object with {key!r}")
    if key not in record:
        raise DataError(path, line, f"{prefix}missing field {key!r}")
    value = record[key]
    # bool is an int subclass; a json true must not pass for an integer label or offset.
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        expected = " or ".join(_json_type_name(k) for k in kinds)
        raise DataError(
            path, line, f"{prefix}field {key!r} should be {expected}, found {shown(value)}"
        )
    return value


def _json_type_name(kind: type) -> str:
    return {
        str: "a string",
        int: "an integer",
        list: "a list",
        dict: "an object",
        bool: "a boolean",
        float: "a number",
    }.get(kind, kind.__name__)
