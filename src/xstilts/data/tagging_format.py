"""Tagging files → :class:`TaggingExample`: XTREME's token/label tsv (UD CoNLL-U:
:mod:`xstilts.data.conllu_format`; CCG supertags: :mod:`xstilts.data.ccg_format`).

**XTREME tsv**: one ``token<TAB>label`` line per token, a blank line between sentences, test
files with the token only (``utils_preprocess.py`` ``udpos_preprocess``/``panx_preprocess``,
read back by ``third_party/utils_tag.py`` ``read_examples_from_file``). The raw PAN-X files
(``{lang}.tar.gz`` → ``train``/``dev``/``test``) prefix every token with its language,
``en:Paris<TAB>B-LOC``; XTREME strips that prefix, and so do we.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from xstilts.data.examples import TaggingExample
from xstilts.data.readers import open_text, shown
from xstilts.errors import DataError

#: WikiANN / PAN-X entity labels in IOB2 (XTREME ``panx`` label set).
PANX_LABELS: tuple[str, ...] = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")

_LANGUAGE_PREFIX = re.compile(r"[a-z]{2,3}:")


# --------------------------------------------------------------------------------------------
# XTREME token<TAB>label tsv (UD-POS, PAN-X)
# --------------------------------------------------------------------------------------------


def read_tagging_tsv(
    path: str | Path,
    *,
    labels: Collection[str] | None = None,
    strip_language_prefix: bool | None = None,
) -> list[TaggingExample]:
    """Read XTREME's ``token<TAB>label`` tsv (or the raw PAN-X files) into one example per sentence.

    A file whose lines all hold one field is a test file without labels: its examples have
    ``tags=None``. ``labels`` restricts the tag set (e.g. :data:`PANX_LABELS`, :data:`UPOS_TAGS`).
    ``strip_language_prefix=None`` strips a ``xx:`` prefix only when every token carries the
    same one, which is how the raw PAN-X release marks them; tokens such as ``re:`` in an
    already processed file are left alone. ``-DOCSTART-`` lines separate sentences, as in
    ``utils_tag.read_examples_from_file``. Example ids are sentence indices.
    """
    path = Path(path)
    rows = _read_tagging_rows(path)
    if not rows:
        raise DataError(path, None, "empty file; expected token<TAB>label lines")
    has_labels = len(rows[0][1]) == 2
    prefix = _language_prefix(path, rows, strip_language_prefix)
    examples: list[TaggingExample] = []
    tokens: list[str] = []
    tags: list[str] = []
    for line_number, fields in rows:
        if not fields:
            if tokens:
                examples.append(_tagging_example(len(examples), tokens, tags, has_labels))
                tokens, tags = [], []
            continue
        if (len(fields) == 2) != has_labels:
            expected = "token<TAB>label" if has_labels else "a token without a label"
            raise DataError(path, line_number, f"expected {expected}, as on the first line")
        token = fields[0][len(prefix) :] if prefix else fields[0]
        tokens.append(token)
        if has_labels:
            label = fields[1]
            if labels is not None and label not in labels:
                raise DataError(
                    path,
                    line_number,
                    f"label {shown(label)} is not in the label set {sorted(labels)}",
                )
            tags.append(label)
    if tokens:
        examples.append(_tagging_example(len(examples), tokens, tags, has_labels))
    return examples


def _read_tagging_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Lines as ``(line_number, fields)``; sentence breaks become empty field lists."""
    rows: list[tuple[int, list[str]]] = []
    for line_number, line in enumerate(open_text(path), start=1):
        if not line.strip() or line.startswith("-DOCSTART-"):
            rows.append((line_number, []))
            continue
        fields = line.split("\t")
        if len(fields) > 2:
            raise DataError(
                path, line_number, f"expected token<TAB>label, found {len(fields)} fields"
            )
        rows.append((line_number, fields))
    while rows and not rows[0][1]:
        rows.pop(0)
    return rows


def _language_prefix(path: Path, rows: list[tuple[int, list[str]]], strip: bool | None) -> str:
    if strip is False:
        return ""
    first_token = rows[0][1][0]
    match = _LANGUAGE_PREFIX.match(first_token)
    prefix = match.group(0) if match else ""
    uniform = bool(prefix) and all(fields[0].startswith(prefix) for _, fields in rows if fields)
    if strip is None:
        return prefix if uniform else ""
    for line_number, fields in rows:
        if fields and not (prefix and fields[0].startswith(prefix)):
            raise DataError(
                path, line_number, "expected a language prefix such as 'en:' on every token"
            )
    return prefix


def _tagging_example(
    index: int, tokens: list[str], tags: list[str], has_labels: bool
) -> TaggingExample:
    return TaggingExample(
        id=str(index), tokens=tuple(tokens), tags=tuple(tags) if has_labels else None
    )
