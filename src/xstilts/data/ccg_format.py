"""CCG supertagging files: jiant's ``ccg.{split}`` + ``tags_to_id.json`` layout and CCGbank AUTO.

As read by jiant's CCG task (``nyu-mll/jiant`` ``jiant/tasks/lib/ccg.py``): files
``ccg.{train,dev,test}`` with one sentence per line, ``space-joined tokens<TAB>space-joined
categories``, plus ``tags_to_id.json``. jiant v1 built them from CCGbank's ``AUTO`` files
(``scripts/ccg/ccg_proc.py``: leaves ``(<L category pos pos word pred-arg-category>)``);
:func:`read_ccgbank_auto` reads those directly for users holding the LDC release. Readers only;
the task folder layout is :mod:`xstilts.tasks.catalog.ccg`'s.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from xstilts.data.examples import TaggingExample
from xstilts.data.json_records import read_json_document, require
from xstilts.data.readers import open_text, shown
from xstilts.errors import DataError


def read_ccg_tags_to_id(path: str | Path) -> dict[str, int]:
    """Read jiant's ``tags_to_id.json`` (``{"N/N": 0, ...}``), the closed CCG category set."""
    mapping = read_json_document(path)
    if not isinstance(mapping, dict) or not mapping:
        raise DataError(path, None, "expected a non-empty json object mapping category to id")
    return {tag: require(mapping, tag, int, path, None, "tags_to_id") for tag in mapping}


def read_ccg(
    path: str | Path, *, tags_to_id: Mapping[str, int] | str | Path | None = None
) -> list[TaggingExample]:
    """Read jiant's ``ccg.{train,dev,test}``: ``tokens<TAB>categories`` per line, space-joined.

    Tokens are split on single spaces, as jiant does (``text.split(" ")``); the counts of tokens
    and categories must agree. Given ``tags_to_id`` (a mapping or the json path), a category
    outside it is an error, because jiant would fail on it only at featurization time.
    Example ids are line indices (``0``-based), matching jiant's ``{split}-{i}`` numbering.
    """
    path = Path(path)
    known = read_ccg_tags_to_id(tags_to_id) if isinstance(tags_to_id, str | Path) else tags_to_id
    examples: list[TaggingExample] = []
    for line_number, line in enumerate(open_text(path), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise DataError(
                path, line_number, f"expected tokens<TAB>categories, found {len(fields)} fields"
            )
        tokens = fields[0].strip().split(" ")
        tags = fields[1].split()
        if len(tokens) != len(tags):
            raise DataError(path, line_number, f"{len(tokens)} tokens but {len(tags)} categories")
        if known is not None:
            unknown = [tag for tag in tags if tag not in known]
            if unknown:
                unknown_tag = shown(unknown[0])
                raise DataError(path, line_number, f"category {unknown_tag} is not in tags_to_id")
        examples.append(
            TaggingExample(id=str(line_number - 1), tokens=tuple(tokens), tags=tuple(tags))
        )
    if not examples:
        raise DataError(path, None, "empty file; expected tokens<TAB>categories lines")
    return examples


_AUTO_LEAF = re.compile(r"\(<L (\S+) (\S+) (\S+) (\S+) (\S+)>\)")


def read_ccgbank_auto(path: str | Path) -> list[TaggingExample]:
    """Read a CCGbank ``AUTO`` file (``data/AUTO/{section}/wsj_*.auto``) into supertag examples.

    Each derivation follows a header line ``ID=wsj_0001.1 PARSER=GOLD NUMPARSE=1``; its leaves
    ``(<L category modified-pos original-pos word predicate-argument-category>)`` give one token
    and its lexical category, in sentence order. This is what jiant's ``ccg_proc.py`` extracted
    to build ``ccg.*``; the id is the CCGbank sentence id.
    """
    path = Path(path)
    examples: list[TaggingExample] = []
    sentence_id: str | None = None
    for line_number, line in enumerate(open_text(path), start=1):
        if not line.strip():
            continue
        if line.startswith("ID="):
            sentence_id = line.split()[0][len("ID=") :]
            continue
        leaves = _AUTO_LEAF.findall(line)
        if not leaves:
            raise DataError(
                path,
                line_number,
                "expected a derivation with (<L category pos pos word cat>) leaves",
            )
        if sentence_id is None:
            raise DataError(path, line_number, "derivation without a preceding ID= line")
        examples.append(
            TaggingExample(
                id=sentence_id,
                tokens=tuple(leaf[3] for leaf in leaves),
                tags=tuple(leaf[0] for leaf in leaves),
            )
        )
        sentence_id = None
    if not examples:
        raise DataError(path, None, "empty file; expected CCGbank AUTO derivations")
    return examples
