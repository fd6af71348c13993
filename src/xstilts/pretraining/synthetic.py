"""Synthetic languages: deterministic, invertible transformations of English text.

To separate pretraining *volume* from everything that comes with it in real languages (script,
family, domain, test-set quality), the controlled design builds languages whose distance to
English is set by design, as K et al. 2020 (arXiv 1912.07840, "Fake-English" with shifted token
ids and permuted word order) and Dufter & Schütze 2020 (arXiv 2005.00396, inverted word order and
shifted vocabularies) did to ablate what makes multilinguality work. Three knobs, each a bijection
on sentences so a zero-shot test set exists in every synthetic language *by construction* (the
English test set, transformed) and can be mapped back for checking:

- **script share** — a share of the English word *types* (chosen by a stable hash of the word) is
  written in an alphabet of the language's own (a–z mapped letter by letter into a private range
  of CJK ideographs), so a tokenizer sees them as tokens English — and every other synthetic
  language — never uses: the "script change" of K et al., dosed by share;
- **word order** — ``"same"``, ``"reverse"`` (Dufter & Schütze's inversion) or ``"shuffle"`` (one
  fixed permutation per sentence length, from the language's seed); the final full stop stays put;
- **suffix** — a fixed letter string appended to every word (agglutinative-looking surface forms),
  removed again by the inverse.

Each language also reports its *measured* distance to English (``measured_distance``): the share
of word tokens whose surface form differs from English, and the normalised Kendall distance of the
word order (0 = English order, 1 = reversed), so the analysis can use measured rather than
nominal diversity.
"""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

LATIN = "abcdefghijklmnopqrstuvwxyz"
# Disjoint alphabets of 26 letters each, cut from the CJK Unified Ideographs block (U+4E00-U+9FFF,
# 807 alphabets): no English text contains them, and two languages with different alphabet
# numbers never share a moved word form.
ALPHABET_BASE = 0x4E00
ALPHABETS = (0x9FFF - ALPHABET_BASE + 1) // len(LATIN)


def _alphabet(number: int) -> str:
    start = ALPHABET_BASE + number * len(LATIN)
    return "".join(chr(start + i) for i in range(len(LATIN)))


WORD_ORDERS = ("same", "reverse", "shuffle")
ORDER_TAGS = {"same": "eng", "reverse": "rev", "shuffle": "shf"}  # as they appear in codes
PUNCTUATION = frozenset(".?!")


def _unit_hash(text: str) -> float:
    """A stable hash of ``text`` in [0, 1): Python's ``hash`` changes between processes."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True)
class SyntheticLanguage:
    """One synthetic language: a name, its three knobs and the seed of its random choices."""

    code: str  # e.g. "x-s50-rev": used as the language code in files and store rows
    script_share: float = 0.0  # share of English word types moved to the disjoint alphabet
    word_order: str = "same"  # one of WORD_ORDERS
    suffix: str = ""  # appended to every word; lower-case a-z only
    seed: int = 0
    alphabet: int = 0  # which disjoint alphabet moved words are written in (0..ALPHABETS-1)

    def __post_init__(self) -> None:
        if not 0.0 <= self.script_share <= 1.0:
            raise ValueError(f"{self.code}: script_share must be in [0, 1]")
        if self.word_order not in WORD_ORDERS:
            raise ValueError(f"{self.code}: word_order must be one of {', '.join(WORD_ORDERS)}")
        if self.suffix and not set(self.suffix) <= set(LATIN):
            raise ValueError(f"{self.code}: suffix must be lower-case a-z letters")
        if not 0 <= self.alphabet < ALPHABETS:
            raise ValueError(f"{self.code}: alphabet must be in [0, {ALPHABETS})")

    @functools.cached_property
    def _to_shifted(self) -> dict[int, int]:
        return str.maketrans(LATIN, _alphabet(self.alphabet))

    @functools.cached_property
    def _from_shifted(self) -> dict[int, int]:
        return str.maketrans(_alphabet(self.alphabet), LATIN)

    # -- words ----------------------------------------------------------------------------
    def moves(self, word: str) -> bool:
        """Whether this English word type is written in the shifted alphabet (stable per word)."""
        return _unit_hash(f"{self.seed}:{word}") < self.script_share

    def word(self, english: str) -> str:
        if english in PUNCTUATION:
            return english
        surface = english + self.suffix
        return surface.translate(self._to_shifted) if self.moves(english) else surface

    def english_word(self, surface: str) -> str:
        if surface in PUNCTUATION:
            return surface
        latin = surface.translate(self._from_shifted)
        if self.suffix:
            if not latin.endswith(self.suffix):
                raise ValueError(f"{self.code}: {surface!r} does not end with {self.suffix!r}")
            latin = latin[: -len(self.suffix)]
        return latin

    # -- order ----------------------------------------------------------------------------
    def permutation(self, length: int) -> list[int]:
        """Position ``i`` of the output holds input word ``permutation[i]`` (full stop excluded)."""
        if self.word_order == "same":
            return list(range(length))
        if self.word_order == "reverse":
            return list(range(length - 1, -1, -1))
        order = list(range(length))
        random.Random(f"{self.code}:{self.seed}:{length}").shuffle(order)
        return order

    # -- sentences ------------------------------------------------------------------------
    def apply(self, sentence: str) -> str:
        """English sentence -> this language (words split on single spaces)."""
        words, stop = _split(sentence)
        order = self.permutation(len(words))
        out = [self.word(words[i]) for i in order]
        return " ".join(out + stop)

    def invert(self, sentence: str) -> str:
        """This language -> the English sentence it came from (``invert(apply(s)) == s``)."""
        words, stop = _split(sentence)
        order = self.permutation(len(words))
        english = [""] * len(words)
        for position, source in enumerate(order):
            english[source] = self.english_word(words[position])
        return " ".join(english + stop)


def _split(sentence: str) -> tuple[list[str], list[str]]:
    words = sentence.split(" ") if sentence else []
    if words and words[-1] in PUNCTUATION:
        return words[:-1], words[-1:]
    return words, []


def kendall_distance(permutation: Sequence[int]) -> float:
    """Share of word pairs whose order differs from the identity (0 = same, 1 = reversed)."""
    n = len(permutation)
    if n < 2:
        return 0.0
    discordant = sum(
        1 for i in range(n) for j in range(i + 1, n) if permutation[i] > permutation[j]
    )
    return discordant / (n * (n - 1) / 2)


def measured_distance(language: SyntheticLanguage, english: Iterable[str]) -> dict[str, float]:
    """Distance of ``language`` to English measured on ``english`` sentences.

    ``lexical``: share of word tokens (full stops excluded) whose surface form differs from the
    English word — 1.0 whenever there is a suffix; ``script``: share of word tokens in the shifted
    alphabet; ``order``: mean normalised Kendall distance of the sentence permutations.
    """
    tokens = changed = shifted = 0
    order_sum = 0.0
    sentences = 0
    for sentence in english:
        words, _ = _split(sentence)
        sentences += 1
        order_sum += kendall_distance(language.permutation(len(words)))
        for word in words:
            tokens += 1
            surface = language.word(word)
            changed += surface != word
            shifted += language.moves(word)
    if tokens == 0:
        raise ValueError("measured_distance needs at least one English word")
    return {
        "lexical": changed / tokens,
        "script": shifted / tokens,
        "order": order_sum / sentences,
    }
