"""Pretraining corpora with an exact per-language token budget.

The treatment of the controlled design is *how much text of a language the encoder saw*. A budget
is counted in the encoder's own tokens (not lines or bytes, which differ between languages with
the same content), without the ``<s>``/``</s>`` each line also gets, and the corpus builder
records the exact count it reached: whole lines are taken in order while they fit, so a corpus
holds ``budget - (length of one line) < tokens <= budget`` — exact to one line, which is finer than
one training batch.

Every language draws its own sentences (a seed derived from the language code), so two languages
never share a line and a larger budget is a strict superset of a smaller one of the same language
(the first lines are the same): the dose changes, nothing else does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from xstilts.pretraining import grammar
from xstilts.pretraining.synthetic import SyntheticLanguage

ENGLISH = "en"
Counter = Callable[[str], int]  # tokens of one line, special tokens excluded


def language_seed(code: str, seed: int, purpose: str) -> int:
    """A stable seed per (language, corpus seed, purpose): train and held-out text never overlap."""
    digest = hashlib.blake2b(f"{purpose}:{code}:{seed}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 2**31


@dataclass(frozen=True)
class Corpus:
    """One language's pretraining text and its exact size."""

    language: str
    lines: tuple[str, ...]
    tokens: int  # encoder tokens, special tokens excluded
    budget: int


def english_lines(code: str, count: int, seed: int, purpose: str = "train") -> list[str]:
    """``count`` grammar sentences drawn for language ``code`` (before its transformation)."""
    return grammar.sentences(count, language_seed(code, seed, purpose))


def budgeted_corpus(
    language: SyntheticLanguage | None, budget: int, count_tokens: Counter, seed: int
) -> Corpus:
    """Lines of ``language`` (None = English) in order while the total stays within ``budget``.

    Sentences are drawn in chunks until the next line would not fit; at ~10 tokens per line the
    first chunk usually suffices.
    """
    code = language.code if language is not None else ENGLISH
    if budget < 0:
        raise ValueError(f"{code}: budget must be >= 0 tokens, got {budget}")
    lines: list[str] = []
    total = 0
    chunk = max(16, budget // 8)
    drawn = 0
    while True:
        batch = english_lines(code, drawn + chunk, seed)[drawn:]
        drawn += chunk
        for sentence in batch:
            line = language.apply(sentence) if language is not None else sentence
            size = count_tokens(line)
            if total + size > budget:
                return Corpus(code, tuple(lines), total, budget)
            lines.append(line)
            total += size
        chunk *= 2


def held_out_lines(language: SyntheticLanguage | None, count: int, seed: int) -> list[str]:
    """Held-out text of a language for the manipulation check (never in any training corpus)."""
    code = language.code if language is not None else ENGLISH
    sentences = english_lines(code, count, seed, purpose="held-out")
    return [language.apply(s) for s in sentences] if language is not None else sentences


def write_corpora(folder: Path, corpora: Sequence[Corpus], held_out: dict[str, list[str]]) -> None:
    """The ``mlm`` task layout (``{lang}.txt`` and ``dev/{lang}.txt``), readable by xstilts."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dev").mkdir(exist_ok=True)
    for corpus in corpora:
        if corpus.lines:
            (folder / f"{corpus.language}.txt").write_text(
                "\n".join(corpus.lines) + "\n", encoding="utf-8"
            )
    for code, lines in held_out.items():
        (folder / "dev" / f"{code}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
