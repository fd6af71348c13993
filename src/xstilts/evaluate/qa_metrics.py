"""Span QA metrics: SQuAD v1.1 (XQuAD, TyDiQA-GoldP), MLQA, SQuAD 2.0, as pure functions.

Scaled by 100, as the official scripts report. Each re-implements (never copies) one official
definition, named in its docstring:

- ``google-research/xtreme:third_party/evaluate_squad.py`` (SQuAD v1.1 script, used for XQuAD and
  TyDiQA-GoldP in every language),
- ``google-research/xtreme:third_party/evaluate_mlqa.py`` (MLQA v1 script, per-language
  normaliser),
- ``evaluate-v2.0.py`` of rajpurkar.github.io/SQuAD-explorer (SQuAD 2.0, intermediate task).

:mod:`xstilts.evaluate.metrics` re-exports the public names, so ``metrics.squad_v1_scores``
still reads as one table of the official metrics.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from xstilts.errors import XstiltsError

_ASCII_PUNCTUATION = frozenset(string.punctuation)
_ENGLISH_ARTICLES = re.compile(r"\b(a|an|the)\b")

# evaluate_mlqa.py: per-language article patterns, applied after lower-casing and punctuation
# removal. Arabic is handled separately (every "ال" is replaced, see _mlqa_remove_articles).
_MLQA_ARTICLES: dict[str, re.Pattern[str] | None] = {
    "en": _ENGLISH_ARTICLES,
    "es": re.compile(r"\b(un|una|unos|unas|el|la|los|las)\b"),
    "de": re.compile(r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b"),
    "vi": re.compile(r"\b(của|là|cái|chiếc|những)\b"),
    "hi": None,
    "zh": None,
    "ar": None,
}
MLQA_LANGUAGES: tuple[str, ...] = tuple(sorted(_MLQA_ARTICLES))
_MLQA_ARABIC_ARTICLE = "ال"
_CJK_FIRST, _CJK_LAST = "\u4e00", "\u9fa5"


def squad_normalize(text: str) -> str:
    """SQuAD v1.1 answer normaliser: lower, drop ASCII punctuation, drop a/an/the, squash spaces.

    Definition: ``xtreme:third_party/evaluate_squad.py`` ``normalize_answer``. XTREME applies it
    to every XQuAD and TyDiQA-GoldP language, so non-ASCII punctuation survives and unspaced
    scripts (zh, ja, th) become one token per whitespace span (google-research/xtreme#28).
    """
    lowered = text.lower()
    no_punct = "".join(ch for ch in lowered if ch not in _ASCII_PUNCTUATION)
    return " ".join(_ENGLISH_ARTICLES.sub(" ", no_punct).split())


def _is_mlqa_punctuation(ch: str) -> bool:
    """MLQA's PUNCT set: every Unicode category ``P*`` character plus ``string.punctuation``.

    The official script materialises the set over ``range(sys.maxunicode)``; testing the category
    per character is the same predicate for every code point (U+10FFFF is unassigned).
    """
    return ch in _ASCII_PUNCTUATION or unicodedata.category(ch).startswith("P")


def _is_cjk(ch: str) -> bool:
    return _CJK_FIRST <= ch <= _CJK_LAST


def _mixed_segmentation(text: str) -> list[str]:
    """MLQA zh tokeniser: each CJK char (U+4E00–U+9FA5) or punctuation char is its own token.

    Runs of other characters are split on whitespace. Definition: ``evaluate_mlqa.py``
    ``mixed_segmentation``; by the time it runs, punctuation has already been removed, so in
    practice only the CJK rule fires.
    """
    tokens: list[str] = []
    run: list[str] = []
    for ch in text:
        if _is_cjk(ch) or _is_mlqa_punctuation(ch):
            tokens.extend("".join(run).split())
            run = []
            tokens.append(ch)
        else:
            run.append(ch)
    tokens.extend("".join(run).split())
    return tokens


def _check_mlqa_language(language: str) -> None:
    if language not in _MLQA_ARTICLES:
        raise XstiltsError(
            f"unknown MLQA language {language!r}; the MLQA script defines "
            f"{', '.join(MLQA_LANGUAGES)}"
        )


def _mlqa_remove_articles(text: str, language: str) -> str:
    """Per-language article removal of ``evaluate_mlqa.py``; each article becomes a space.

    Arabic: the official pattern ``'\\sال^|ال'`` can only ever match its second alternative (a
    ``^`` after a consumed character never matches), so *every* "ال" is replaced by a space, also
    inside words: "مالك" becomes the two tokens "م" and "ك".
    """
    if language == "ar":
        return text.replace(_MLQA_ARABIC_ARTICLE, " ")
    pattern = _MLQA_ARTICLES[language]
    return pattern.sub(" ", text) if pattern is not None else text


def mlqa_normalize(text: str, language: str) -> str:
    """MLQA answer normaliser for one context language; tokens joined by single spaces.

    Definition: ``xtreme:third_party/evaluate_mlqa.py`` ``normalize_answer``: lower-case, remove
    Unicode ``P*`` and ASCII punctuation, remove the language's articles, then tokenise by
    whitespace (en es de vi hi ar) or mixed segmentation (zh). Any other language is an error, as
    in the official script.
    """
    _check_mlqa_language(language)
    lowered = text.lower()
    no_punct = "".join(ch for ch in lowered if not _is_mlqa_punctuation(ch))
    no_articles = _mlqa_remove_articles(no_punct, language)
    tokens = _mixed_segmentation(no_articles) if language == "zh" else no_articles.split()
    return " ".join(token for token in tokens if token.strip())


def _token_f1(predicted_tokens: Sequence[str], gold_tokens: Sequence[str]) -> float:
    """Bag-of-tokens F1 of the SQuAD v1.1 / MLQA scripts (0 when nothing overlaps)."""
    common = Counter(predicted_tokens) & Counter(gold_tokens)
    n_same = sum(common.values())
    if n_same == 0:
        return 0.0
    precision = n_same / len(predicted_tokens)
    recall = n_same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def _extractive_qa_scores(
    predictions: Mapping[str, str],
    gold: Mapping[str, Sequence[str]],
    normalize: Callable[[str], str],
) -> dict[str, float]:
    """Shared loop of the SQuAD v1.1 and MLQA scripts: max over gold answers, mean over gold ids.

    Unanswered gold ids count as 0 in the denominator; predictions for unknown ids are ignored.
    """
    if not gold:
        raise XstiltsError("no gold questions to score")
    exact_total = f1_total = 0.0
    for question_id, answers in gold.items():
        if not answers:
            raise XstiltsError(
                f"question {question_id!r} has no gold answer; SQuAD v1.1-style scoring needs one "
                "(use squad_v2_scores for unanswerable questions)"
            )
        if question_id not in predictions:
            continue
        predicted = normalize(predictions[question_id])
        golds = [normalize(answer) for answer in answers]
        exact_total += max(float(predicted == g) for g in golds)
        f1_total += max(_token_f1(predicted.split(), g.split()) for g in golds)
    return {
        "exact_match": 100.0 * exact_total / len(gold),
        "f1": 100.0 * f1_total / len(gold),
    }


def squad_v1_scores(
    predictions: Mapping[str, str], gold: Mapping[str, Sequence[str]]
) -> dict[str, float]:
    """SQuAD v1.1 exact match and F1 (XQuAD and TyDiQA-GoldP in every language).

    Definition: ``xtreme:third_party/evaluate_squad.py`` ``evaluate``: the best score over the gold
    answers of each question, averaged over all gold questions; an id without a prediction scores
    0. Note that an answer normalising to the empty string gets EM 1 but F1 0 against an equally
    empty gold, exactly as in the official script.
    """
    return _extractive_qa_scores(predictions, gold, squad_normalize)


def mlqa_scores(
    predictions: Mapping[str, str], gold: Mapping[str, Sequence[str]], language: str
) -> dict[str, float]:
    """MLQA exact match and F1 with the normaliser of the context ``language``.

    Definition: ``xtreme:third_party/evaluate_mlqa.py`` ``evaluate(dataset, predictions, lang)``;
    XTREME scores the same-language pairs only, so ``language`` is the test file's language.
    Unknown languages raise :class:`XstiltsError` before any scoring.
    """
    _check_mlqa_language(language)
    return _extractive_qa_scores(predictions, gold, lambda text: mlqa_normalize(text, language))


def _squad_v2_tokens(text: str) -> list[str]:
    return squad_normalize(text).split() if text else []


def _squad_v2_f1(gold_answer: str, predicted: str) -> float:
    """F1 of ``evaluate-v2.0.py`` ``compute_f1``: two no-answers agree with F1 1."""
    gold_tokens = _squad_v2_tokens(gold_answer)
    predicted_tokens = _squad_v2_tokens(predicted)
    if not gold_tokens or not predicted_tokens:
        return float(gold_tokens == predicted_tokens)
    return _token_f1(predicted_tokens, gold_tokens)


def _mean_over(scores: Mapping[str, float], ids: Sequence[str]) -> float:
    return 100.0 * sum(scores[i] for i in ids) / len(ids)


def squad_v2_scores(
    predictions: Mapping[str, str], gold: Mapping[str, Sequence[str]]
) -> dict[str, float]:
    """SQuAD 2.0 exact/F1 with HasAns/NoAns breakdown; ``""`` predicts "no answer".

    Definition: ``evaluate-v2.0.py`` (SQuAD explorer) with no ``na_prob`` file, i.e. threshold 1.0:
    a gold list that is empty (or whose answers all normalise to "") makes ``""`` the only correct
    answer; HasAns/NoAns split on whether the raw gold list is non-empty. Output keys are the
    official ones (``exact``, ``f1``, ``total``, ``HasAns_*``, ``NoAns_*``); a breakdown is only
    present when it has questions, as in the official script. One deliberate difference: a gold id
    without a prediction scores 0 and stays in every denominator (the official script drops it from
    the overall total and then crashes in the HasAns breakdown), matching v1.1 and MLQA.
    """
    if not gold:
        raise XstiltsError("no gold questions to score")
    exact: dict[str, float] = {}
    f1: dict[str, float] = {}
    for question_id, answers in gold.items():
        golds = [a for a in answers if squad_normalize(a)] or [""]
        predicted = predictions.get(question_id)
        if predicted is None:
            exact[question_id] = f1[question_id] = 0.0
            continue
        normalized = squad_normalize(predicted)
        exact[question_id] = max(float(squad_normalize(g) == normalized) for g in golds)
        f1[question_id] = max(_squad_v2_f1(g, predicted) for g in golds)
    ids = list(gold)
    result: dict[str, float] = {"exact": _mean_over(exact, ids), "f1": _mean_over(f1, ids)}
    result["total"] = float(len(ids))
    for prefix, subset in (
        ("HasAns", [i for i in ids if gold[i]]),
        ("NoAns", [i for i in ids if not gold[i]]),
    ):
        if subset:
            result[f"{prefix}_exact"] = _mean_over(exact, subset)
            result[f"{prefix}_f1"] = _mean_over(f1, subset)
            result[f"{prefix}_total"] = float(len(subset))
    return result
