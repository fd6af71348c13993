"""Budgets are exact (to one line, finer than one batch) and larger budgets extend smaller ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from xstilts.pretraining import grammar
from xstilts.pretraining.corpus import budgeted_corpus, held_out_lines, write_corpora
from xstilts.pretraining.synthetic import SyntheticLanguage
from xstilts.pretraining.tiny_encoder import build_tokenizer

LANGUAGE = SyntheticLanguage("x-s50-rev", 0.5, "reverse", suffix="ka", alphabet=3)


@pytest.fixture(scope="module")
def count():
    words = set(grammar.vocabulary()) | {LANGUAGE.word(w) for w in grammar.vocabulary()}
    tokenizer = build_tokenizer(words)
    return lambda line: len(tokenizer(line, add_special_tokens=False)["input_ids"])


@pytest.mark.parametrize("budget", [0, 1, 37, 1000, 12_345])
@pytest.mark.parametrize("language", [None, LANGUAGE])
def test_a_corpus_holds_its_budget_to_one_line(count, budget, language):
    corpus = budgeted_corpus(language, budget, count, seed=4)
    assert corpus.tokens == sum(count(line) for line in corpus.lines)
    assert corpus.tokens <= budget
    longest = max(count(s) for s in grammar.sentences(200, seed=0))
    assert budget - corpus.tokens < longest  # the next line would not have fitted


def test_a_larger_budget_extends_a_smaller_one(count):
    small = budgeted_corpus(LANGUAGE, 500, count, seed=1)
    large = budgeted_corpus(LANGUAGE, 5000, count, seed=1)
    assert large.lines[: len(small.lines)] == small.lines
    other_seed = budgeted_corpus(LANGUAGE, 500, count, seed=2)
    assert other_seed.lines != small.lines


def test_held_out_text_never_appears_in_training(count):
    train = set(budgeted_corpus(LANGUAGE, 20_000, count, seed=0).lines)
    held = held_out_lines(LANGUAGE, 200, seed=0)
    assert len(held) == 200
    assert len(set(held) & train) <= 2  # only chance collisions of short sentences


def test_negative_budget_is_refused(count):
    with pytest.raises(ValueError, match="budget"):
        budgeted_corpus(LANGUAGE, -1, count, seed=0)


def test_corpora_are_written_in_the_mlm_layout(tmp_path: Path, count):
    corpus = budgeted_corpus(LANGUAGE, 300, count, seed=0)
    empty = budgeted_corpus(None, 0, count, seed=0)
    write_corpora(tmp_path, [corpus, empty], {"en": ["a cook reads ."]})
    lines = (tmp_path / f"{LANGUAGE.code}.txt").read_text(encoding="utf-8").splitlines()
    assert tuple(lines) == corpus.lines
    assert not (tmp_path / "en.txt").exists()  # a zero budget writes no training file
    assert (tmp_path / "dev" / "en.txt").read_text(encoding="utf-8") == "a cook reads .\n"
