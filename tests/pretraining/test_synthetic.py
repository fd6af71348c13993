"""Synthetic languages: deterministic, invertible, distances that mean what they say."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xstilts.pretraining import grammar
from xstilts.pretraining.design import ControlledDesign, DiversityLevel
from xstilts.pretraining.synthetic import (
    SyntheticLanguage,
    kendall_distance,
    measured_distance,
)

LEVELS = (DiversityLevel(0.5, "shuffle", "ka"), DiversityLevel(1.0, "reverse"))
WORDS = st.lists(st.sampled_from(grammar.vocabulary()[1:]), min_size=0, max_size=14)


@settings(max_examples=200, deadline=None)
@given(
    words=WORDS,
    share=st.floats(0, 1),
    order=st.sampled_from(["same", "reverse", "shuffle"]),
    suffix=st.sampled_from(["", "ka", "lu"]),
    stop=st.booleans(),
)
def test_invert_undoes_apply(words, share, order, suffix, stop):
    sentence = " ".join([*words, "."] if stop else words)
    language = SyntheticLanguage("x-test", share, order, suffix, seed=3)
    assert language.invert(language.apply(sentence)) == sentence


def test_apply_is_deterministic_and_keeps_the_full_stop_last():
    sentences = grammar.sentences(50, seed=7)
    for language, _ in ControlledDesign(diversity=LEVELS).languages():
        first = [language.apply(s) for s in sentences]
        again = [dataclasses.replace(language).apply(s) for s in sentences]
        assert first == again
        assert all(s.endswith(" .") for s in first)


def test_reverse_and_script_change():
    language = SyntheticLanguage("x-s100-rev", 1.0, "reverse")
    out = language.apply("the cook reads a book .")
    assert out.split(" ")[-1] == "."
    assert not any(ch in "abcdefghijklmnopqrstuvwxyz" for ch in out)
    other = SyntheticLanguage("x-other", 1.0, "reverse", alphabet=1)
    assert not set(out.replace(" ", "").replace(".", "")) & set(
        other.apply("the cook reads a book .")
    )
    assert len(out.split(" ")) == 6


def test_measured_distance_follows_the_knobs():
    english = grammar.sentences(400, seed=1)
    none = measured_distance(SyntheticLanguage("x0", 0.0, "same"), english)
    assert none == {"lexical": 0.0, "script": 0.0, "order": 0.0}
    half = measured_distance(SyntheticLanguage("x50", 0.5, "same"), english)
    assert 0.3 < half["script"] < 0.7 and half["lexical"] == half["script"]
    reverse = measured_distance(SyntheticLanguage("xr", 0.0, "reverse"), english)
    assert reverse["order"] == 1.0
    suffixed = measured_distance(SyntheticLanguage("xs", 0.0, "same", "ka"), english)
    assert suffixed["lexical"] == 1.0 and suffixed["script"] == 0.0


def test_kendall_distance():
    assert kendall_distance([0, 1, 2, 3]) == 0.0
    assert kendall_distance([3, 2, 1, 0]) == 1.0
    assert kendall_distance([1, 0, 2]) == pytest.approx(1 / 3)


def test_invalid_knobs_are_refused():
    with pytest.raises(ValueError, match="script_share"):
        SyntheticLanguage("x", 1.5)
    with pytest.raises(ValueError, match="word_order"):
        SyntheticLanguage("x", 0.5, "sideways")
    with pytest.raises(ValueError, match="suffix"):
        SyntheticLanguage("x", 0.5, "same", "K1")


def test_nli_pairs_are_balanced_and_labelled_by_construction():
    pairs = grammar.nli_pairs(300, seed=5)
    labels = [label for _, _, label in pairs]
    assert {label: labels.count(label) for label in set(labels)} == dict.fromkeys(
        grammar.NLI_LABELS, 100
    )
    for premise, hypothesis, label in pairs:
        p, h = set(premise.split()), set(hypothesis.split())
        if label == "entailment":
            assert h < p  # drops modifiers, adds nothing
        elif label == "neutral":
            assert p < h  # adds a modifier
        else:
            assert "not" in h or (h - p and p - h)  # negation or an antonym swap
    assert grammar.nli_pairs(30, seed=5) == pairs[:30]


def test_languages_of_one_level_differ_only_in_budget_and_alphabet():
    """Within a diversity level the same word types move (each language into its own alphabet),
    so the budget is the only manipulated difference; across levels the draws differ."""
    vocabulary = grammar.vocabulary()
    cells = ControlledDesign(diversity=LEVELS).languages()
    by_level: dict[tuple[float, str], list[SyntheticLanguage]] = {}
    for language, _ in cells:
        by_level.setdefault((language.script_share, language.word_order), []).append(language)
    moved_sets = []
    for siblings in by_level.values():
        moved = [frozenset(w for w in vocabulary if lang.moves(w)) for lang in siblings]
        assert len(set(moved)) == 1 and moved[0]
        assert len({lang.alphabet for lang in siblings}) == len(siblings)
        moved_sets.append(moved[0])
    assert len({lang.alphabet for lang, _ in cells}) == len(cells)
    # Two levels of the same share would still move different words (different draws).
    half = ControlledDesign(diversity=(DiversityLevel(0.5), DiversityLevel(0.5, "reverse")))
    first, second = (half.languages()[0][0], half.languages()[-1][0])
    assert {w for w in vocabulary if first.moves(w)} != {w for w in vocabulary if second.moves(w)}
