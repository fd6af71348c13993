"""Universal Dependencies ``*.conllu`` files → :class:`TaggingExample` (the tagging family's
UD-POS input; XTREME's tsv and raw PAN-X: :mod:`xstilts.data.tagging_format`).

UD v2.5 for XTREME, v2.7 for the XTREME-R additions (``google-research/xtreme``
``scripts/download_data.sh`` ``download_treebank``). We read UPOS.

UD preprocessing follows XTREME's ``udpos_preprocess`` so that test sets match the published ones:

* a sentence is dropped when all of its tokens, or all but one, are ``_`` (treebanks released
  without word forms, e.g. those whose text needs a separate licence). XTREME's rule is
  ``keep if n_underscore == 0 or n_underscore < len - 1``;
* ZWNJ (U+200C) and spaces inside a token are removed (``''.join(w.replace('\\u200c', '')
  .split(' '))``), which joins e.g. Vietnamese multi-syllable words.

Multiword tokens (``1-2 del``) are a choice, :data:`Multiword`:

* ``"words"`` (default) keeps the syntactic words (``de``, ``el``) with their own UPOS, skipping
  the range line — the UD-native reading.
* ``"fused"`` reproduces XTREME: its download runs ``third_party/ud-conversion-tools/
  conllu_to_conll.py --replace_subtokens_with_fused_forms``, which keeps one token per range with
  the *surface* form (``del``) and the UPOS of the range's head word. The head is the word with
  the fewest ancestors in the graph of basic plus enhanced dependencies; ties go to the UPOS that
  comes first in a per-language precedence list (``POSRANKPRECEDENCEDICT``, keyed by the file
  name's language prefix). Use ``"fused"`` to compare with published XTREME POS numbers.

Empty nodes (``8.1``) are always skipped: they have no surface form.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from conllu.exceptions import ParseException
from conllu.parser import (
    parse_comment_line,
    parse_id_value,
    parse_int_value,
    parse_paired_list_value,
)

from xstilts.data.examples import TaggingExample
from xstilts.data.readers import clipped, log_skipped, open_text, shown
from xstilts.errors import DataError

Multiword = Literal["words", "fused"]

#: The 17 UD v2 universal POS tags (universaldependencies.org/u/pos).
UPOS_TAGS: frozenset[str] = frozenset(
    {
        "ADJ",
        "ADP",
        "ADV",
        "AUX",
        "CCONJ",
        "DET",
        "INTJ",
        "NOUN",
        "NUM",
        "PART",
        "PRON",
        "PROPN",
        "PUNCT",
        "SCONJ",
        "SYM",
        "VERB",
        "X",
    }
)

ZWNJ = "\u200c"

# XTREME's span-head tie-break lists (ud-conversion-tools/conllu_to_conll.py). The default list
# has no SYM; tags missing from a list rank last here (the original tool would crash instead).
_FUSED_POS_PRECEDENCE: dict[str, tuple[str, ...]] = {
    "default": (
        "VERB",
        "NOUN",
        "PROPN",
        "PRON",
        "ADJ",
        "NUM",
        "ADV",
        "INTJ",
        "AUX",
        "ADP",
        "DET",
        "PART",
        "CCONJ",
        "SCONJ",
        "X",
        "PUNCT",
    ),
    "es": ("VERB", "AUX", "PRON", "ADP", "DET"),
    "fr": ("VERB", "AUX", "PRON", "NOUN", "ADJ", "ADV", "ADP", "DET", "PART", "SCONJ", "CONJ"),
    "it": ("VERB", "AUX", "ADV", "PRON", "ADP", "DET", "INTJ"),
}

_CONLLU_FIELDS = 10


# --------------------------------------------------------------------------------------------
# Universal Dependencies CoNLL-U
# --------------------------------------------------------------------------------------------


@dataclass
class _Word:
    index: int
    form: str
    upos: str
    heads: set[int] = field(default_factory=set)


@dataclass
class _Sentence:
    first_line: int
    sent_id: str | None = None
    words: list[_Word] = field(default_factory=list)
    ranges: list[tuple[int, int, str]] = field(default_factory=list)


def read_conllu(
    path: str | Path, *, multiword: Multiword = "words", language: str | None = None
) -> list[TaggingExample]:
    """Read a UD ``.conllu`` file into one UPOS-tagged example per kept sentence.

    Fields are split on tabs here (the CoNLL-U rule; ``conllu.parse`` would also split on runs
    of two spaces and accept short rows), and each value is decoded with the ``conllu`` package's
    field parsers. ``language`` only matters for ``multiword="fused"``; by default it is the file
    name's prefix before ``_`` (``es_ancora-ud-test.conllu`` → ``es``), as in XTREME's download.
    The example id is the sentence's ``# sent_id`` or, without one, its index in the file.
    """
    path = Path(path)
    if multiword not in ("words", "fused"):
        raise ValueError(f"multiword must be 'words' or 'fused', not {multiword!r}")
    if language is None:
        language = path.name.split("_", 1)[0]
    precedence = _FUSED_POS_PRECEDENCE.get(language, _FUSED_POS_PRECEDENCE["default"])
    examples: list[TaggingExample] = []
    sentence_count = skipped = 0
    for sentence in _iter_conllu_sentences(path):
        if multiword == "fused":
            tokens, tags = _fused_tokens(sentence, precedence)
        else:
            tokens = [word.form for word in sentence.words]
            tags = [word.upos for word in sentence.words]
        sentence_id = sentence.sent_id or str(sentence_count)
        sentence_count += 1
        if _mostly_underscores(tokens):
            skipped += 1
            continue
        tokens = ["".join(token.replace(ZWNJ, "").split(" ")) for token in tokens]
        examples.append(TaggingExample(id=sentence_id, tokens=tuple(tokens), tags=tuple(tags)))
    if sentence_count == 0:
        raise DataError(path, None, "empty file; expected CoNLL-U sentences")
    log_skipped(path, skipped, "sentence", "without word forms ('_' tokens; XTREME's rule)")
    return examples


def _mostly_underscores(tokens: list[str]) -> bool:
    """XTREME drops sentences with every token, or all but one, equal to ``_``."""
    underscores = sum(token == "_" for token in tokens)
    return underscores > 0 and underscores >= len(tokens) - 1


def _iter_conllu_sentences(path: Path) -> Iterator[_Sentence]:
    sentence: _Sentence | None = None
    for line_number, line in enumerate(open_text(path), start=1):
        if not line.strip():
            if sentence is not None:
                yield _checked(path, sentence)
                sentence = None
            continue
        if sentence is None:
            sentence = _Sentence(first_line=line_number)
        if line.startswith("#"):
            for key, value in parse_comment_line(line):
                if key == "sent_id" and isinstance(value, str):
                    sentence.sent_id = value
            continue
        _add_conllu_line(path, line_number, line, sentence)
    if sentence is not None:
        yield _checked(path, sentence)


def _add_conllu_line(path: Path, line_number: int, line: str, sentence: _Sentence) -> None:
    fields = line.split("\t")
    if len(fields) != _CONLLU_FIELDS:
        raise DataError(
            path,
            line_number,
            f"expected {_CONLLU_FIELDS} tab-separated CoNLL-U fields, found {len(fields)}",
        )
    try:
        token_id = parse_id_value(fields[0])
        head = parse_int_value(fields[6])
        deps = parse_paired_list_value(fields[8])
    except ParseException as error:
        raise DataError(
            path, line_number, f"bad CoNLL-U field ({clipped(str(error), 120)})"
        ) from None
    if isinstance(token_id, tuple):
        if token_id[1] == "-":
            sentence.ranges.append((token_id[0], token_id[2], fields[1]))
        return  # empty nodes ("8.1") have no surface form
    if token_id is None:
        raise DataError(path, line_number, "expected a word id in the first field, found '_'")
    upos = fields[3]
    if upos not in UPOS_TAGS:
        raise DataError(
            path,
            line_number,
            f"UPOS {shown(upos)} is not one of the 17 UD tags ({' '.join(sorted(UPOS_TAGS))})",
        )
    heads = set() if head is None else {head}
    if isinstance(deps, list):
        # Enhanced heads count as ancestors in XTREME's span-head heuristic; heads on empty
        # nodes (tuples) do not, as in ud-conversion-tools' parse_deps.
        heads.update(dep_head for _, dep_head in deps if isinstance(dep_head, int))
    sentence.words.append(_Word(index=token_id, form=fields[1], upos=upos, heads=heads))


def _checked(path: Path, sentence: _Sentence) -> _Sentence:
    expected = list(range(1, len(sentence.words) + 1))
    if [word.index for word in sentence.words] != expected:
        raise DataError(
            path, sentence.first_line, "word ids of this sentence are not 1, 2, 3, ... in order"
        )
    if not sentence.words:
        raise DataError(path, sentence.first_line, "sentence has no word lines")
    for start, end, _ in sentence.ranges:
        if end > len(sentence.words):
            raise DataError(
                path, sentence.first_line, f"multiword range {start}-{end} runs past the last word"
            )
    return sentence


def _fused_tokens(sentence: _Sentence, precedence: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Replace each multiword range by its surface form tagged with its head word's UPOS."""
    heads_of = {word.index: word.heads for word in sentence.words}
    ancestor_counts = {index: len(_ancestors(index, heads_of)) for index in heads_of}
    range_by_start = {start: (start, end, form) for start, end, form in sentence.ranges}
    tokens: list[str] = []
    tags: list[str] = []
    index = 1
    while index <= len(sentence.words):
        if index in range_by_start:
            start, end, form = range_by_start[index]
            span = range(start, end + 1)
            head = _span_head(span, ancestor_counts, sentence, precedence)
            tokens.append(form)
            tags.append(sentence.words[head - 1].upos)
            index = end + 1
        else:
            word = sentence.words[index - 1]
            tokens.append(word.form)
            tags.append(word.upos)
            index += 1
    return tokens, tags


def _ancestors(index: int, heads_of: Mapping[int, set[int]]) -> set[int]:
    """All nodes with a path to ``index`` (the root 0 included), as ``networkx.ancestors``."""
    seen: set[int] = set()
    frontier = list(heads_of.get(index, ()))
    while frontier:
        node = frontier.pop()
        if node in seen:
            continue
        seen.add(node)
        frontier.extend(heads_of.get(node, ()))
    seen.discard(index)  # a cycle through the node itself does not make it its own ancestor
    return seen


def _span_head(
    span: range,
    ancestor_counts: Mapping[int, int],
    sentence: _Sentence,
    precedence: tuple[str, ...],
) -> int:
    """XTREME's span head: the unique highest word, else the best-ranked UPOS among the highest."""
    depth = min(ancestor_counts[index] for index in span)
    highest = [index for index in span if ancestor_counts[index] == depth]
    if len(highest) == 1:
        return highest[0]

    def rank(index: int) -> int:
        upos = sentence.words[index - 1].upos
        return precedence.index(upos) if upos in precedence else len(precedence)

    return min(highest, key=rank)  # min keeps the first of equal ranks, as the original loop
