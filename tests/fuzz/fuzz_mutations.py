"""Hypothesis strategies that turn a valid file into a hostile one, and say if it must fail.

A *neutral* mutation (byte flips, dropped or repeated lines, a 200 KB field, CRLF, a BOM,
truncation) may or may not leave a valid file; an *invalidating* one (a byte that is not UTF-8,
``NaN``/``Infinity``/a 5000-digit integer/100 000-deep nesting in json, a label outside the label
set) leaves an input that every correct reader must refuse.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hypothesis import strategies as st

# Labels no release uses, for any label field of any reader: odd digits, IEEE specials, case and
# whitespace variants, a number of 5000 digits.
HOSTILE_LABELS = (
    "Infinity", "-Infinity", "NaN", "١", "²", "٣", "9" * 5000, "-1", "1e3", "0x1", "1.0",
    "ENTAILMENT", "Entailment", "B-PER ", " O", "noun", "true", "null", "\u00a0", "e\u0301",
)  # fmt: skip
# json values that no reader may accept anywhere a value stands.
HOSTILE_JSON = ("NaN", "Infinity", "-Infinity", "7" * 5000, "[" * 100_000 + "]" * 100_000)
BAD_BYTES = (b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\xe9", b"\x80abc")
_JSON_SCALAR = re.compile(rb'(?<=[:\[,]) ?(-?\d+(?:\.\d+)?|"(?:[^"\\\n]|\\.){0,200}"|true|false)')


@st.composite
def neutral(draw: st.DrawFn, data: bytes) -> tuple[str, bytes]:
    """A mutation after which the file may still be valid."""
    lines = data.split(b"\n")
    kind = draw(st.sampled_from(NEUTRAL_KINDS))
    index = draw(st.integers(0, max(len(lines) - 1, 0)))
    if kind == "flip":
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        byte = draw(st.sampled_from(b"\t\n \"'{}[],:-_0123456789aeZ#\\\r"))
        return kind, data[:position] + bytes([byte]) + data[position + 1 :]
    if kind == "insert":
        position = draw(st.integers(0, len(data)))
        text = draw(st.text(max_size=12)).encode("utf-8")
        return kind, data[:position] + text + data[position:]
    if kind == "delete_line":
        return kind, b"\n".join(lines[:index] + lines[index + 1 :])
    if kind == "repeat_line":
        return kind, b"\n".join(lines[: index + 1] + lines[index:])
    if kind == "swap_lines":
        other = draw(st.integers(0, max(len(lines) - 1, 0)))
        lines[index], lines[other] = lines[other], lines[index]
        return kind, b"\n".join(lines)
    if kind == "truncate":
        return kind, data[: draw(st.integers(0, len(data)))]
    if kind == "long_field":
        position = draw(st.integers(0, len(data)))
        return kind, data[:position] + b"a" * 200_000 + data[position:]
    if kind == "crlf":
        return kind, data.replace(b"\n", b"\r\n")
    if kind == "bom":
        return kind, b"\xef\xbb\xbf" + data
    if kind == "blank_lines":
        return kind, b"\n".join([*lines[:index], b"", b"", *lines[index:]])
    return "empty", b""


NEUTRAL_KINDS = (
    "flip", "insert", "delete_line", "repeat_line", "swap_lines", "truncate", "long_field",
    "crlf", "bom", "blank_lines", "empty",
)  # fmt: skip


@st.composite
def invalidating_bytes(draw: st.DrawFn, data: bytes) -> tuple[str, bytes]:
    """A byte sequence that is not UTF-8, anywhere in the file: every reader decodes strictly."""
    position = draw(st.integers(0, len(data)))
    bad = draw(st.sampled_from(BAD_BYTES))
    return "bad_utf8", data[:position] + bad + data[position:]


@st.composite
def invalidating_json(draw: st.DrawFn, data: bytes) -> tuple[str, bytes] | None:
    """Replace one json scalar value by something json (as Python reads it) cannot hold."""
    matches = list(_JSON_SCALAR.finditer(data))
    if not matches:
        return None
    match = draw(st.sampled_from(matches))
    value = draw(st.sampled_from(HOSTILE_JSON)).encode()
    return "json_" + value[:8].decode(), data[: match.start(1)] + value + data[match.end(1) :]


@st.composite
def hostile_field(
    draw: st.DrawFn, data: bytes, column: int, separator: bytes = b"\t", header: bool = True
) -> tuple[str, bytes] | None:
    """Replace column ``column`` of one data line by a hostile label (tab/space separated)."""
    lines = data.split(b"\n")
    first = 1 if header else 0
    rows = [i for i in range(first, len(lines)) if len(lines[i].split(separator)) > column]
    rows = [i for i in rows if lines[i].strip() and not lines[i].startswith(b"#")]
    if not rows:
        return None
    index = draw(st.sampled_from(rows))
    fields = lines[index].split(separator)
    fields[column] = draw(st.sampled_from(HOSTILE_LABELS)).encode()
    lines[index] = separator.join(fields)
    return "bad_label", b"\n".join(lines)


@st.composite
def hostile_json_key(
    draw: st.DrawFn, data: bytes, keys: Sequence[str], values: Sequence[str]
) -> tuple[str, bytes] | None:
    """Set one occurrence of a json key (a label or an offset) to a value outside its range."""
    pattern = re.compile(rb'"(' + b"|".join(k.encode() for k in keys) + rb')": ?("[^"]*"|-?\d+)')
    matches = list(pattern.finditer(data))
    if not matches:
        return None
    match = draw(st.sampled_from(matches))
    value = draw(st.sampled_from(values)).encode()
    return "bad_" + match.group(1).decode(), data[: match.start(2)] + value + data[match.end(2) :]
