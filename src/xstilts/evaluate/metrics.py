"""The official XTREME / XTREME-R metrics as pure functions.

Every score is scaled by 100, as the official scripts report it, so that numbers can be compared
with published tables without a conversion step. Each function re-implements (never copies) one
official definition and names it in its docstring:

- ``google-research/xtreme:evaluate.py`` (accuracy, seqeval tagging F1, BUCC F1, mAP@20 keys),
- ``google-research/xtreme:third_party/evaluate_squad.py`` (SQuAD v1.1 script, used for XQuAD and
  TyDiQA-GoldP in every language),
- ``google-research/xtreme:third_party/evaluate_mlqa.py`` (MLQA v1 script, per-language
  normaliser),
- ``evaluate-v2.0.py`` of rajpurkar.github.io/SQuAD-explorer (SQuAD 2.0, intermediate task),
- ``google-research/xtreme:third_party/utils_retrieve.py`` (``bucc_optimize``, ``bucc_extract``,
  ``read_candidate2score``),
- ``google-research/xtreme:third_party/utils_lareqa.py`` (``average_precision_at_k``) and
  ``third_party/utils_mewslix.py`` (``evaluate``: MRR@20 reported as ``map@20``).

Where an official script crashes or is silent (empty inputs, the BUCC threshold of the last
candidate), we raise :class:`~xstilts.errors.XstiltsError` or document the choice made.
"""

from __future__ import annotations

import re
import string
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from typing import TypeVar

from seqeval.metrics import f1_score, precision_score, recall_score

from xstilts.errors import XstiltsError

Pair = tuple[str, str]
Candidate = tuple[float, str, str]
T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# Classification and retrieval accuracy
# --------------------------------------------------------------------------------------------


def accuracy(predictions: Sequence[T], labels: Sequence[T]) -> float:
    """Percentage of predictions equal to their label (XNLI, PAWS-X, XCOPA, Tatoeba).

    Definition: ``xtreme:evaluate.py`` ``accuracy`` (correct / len(predictions) * 100). The
    official ``evaluate_one_task`` asserts equal lengths first; we raise instead of asserting, and
    we refuse an empty input, where the official division would crash.
    """
    _check_same_length(len(predictions), len(labels), "predictions", "labels")
    correct = sum(p == g for p, g in zip(predictions, labels, strict=True))
    return 100.0 * correct / len(predictions)


def tatoeba_accuracy(predicted_indices: Sequence[int], gold_indices: Sequence[int]) -> float:
    """Top-1 retrieval accuracy for Tatoeba: predicted source index equals the gold index.

    XTREME scores Tatoeba with the same ``accuracy`` as classification, over one index per
    English query line (``xtreme:evaluate.py``, ``METRIC_FUNCTION['tatoeba']``).
    """
    return accuracy([int(i) for i in predicted_indices], [int(i) for i in gold_indices])


def _check_same_length(n_pred: int, n_gold: int, pred_name: str, gold_name: str) -> None:
    if n_pred != n_gold:
        raise XstiltsError(f"{n_pred} {pred_name} but {n_gold} {gold_name}; they must match")
    if n_pred == 0:
        raise XstiltsError(f"no {pred_name} to score")


# --------------------------------------------------------------------------------------------
# Tagging (UD-POS, PAN-X)
# --------------------------------------------------------------------------------------------


def tagging_f1(
    pred_tags: Sequence[Sequence[str]], gold_tags: Sequence[Sequence[str]]
) -> dict[str, float]:
    """seqeval 1.2.2 chunk F1/precision/recall in its default mode, plus token accuracy.

    Definition: ``xtreme:evaluate.py`` ``f1`` calls ``seqeval.metrics.{f1,precision,recall}_score``
    with default arguments (conlleval-like, non-strict) for both NER and POS. We call seqeval
    itself rather than re-implementing it, because the POS behaviour is a quirk of its parser that
    XTREME numbers depend on: seqeval reads a POS tag's first letter as a chunk prefix, so runs of
    identical tags merge into one chunk and ``SCONJ``/``SYM`` become single-token chunks; ``X``
    shares its type with the ``O`` that seqeval puts between sentences, so an ``X`` run ending a
    sentence is never a chunk. POS "F1" is therefore not token accuracy, which we also return
    (``token_accuracy``) so both can be reported. The version matters: seqeval 0.0.12 keeps whole
    tags as types, and the 2020 ``xtreme:evaluate_test.py`` UD-POS values were computed with it
    (mock average F1 70.22, against 70.40 from 1.2.2 on the same files). seqeval's "not a NE
    tag" and zero-division warnings are silenced on purpose: POS tags trigger one per tag, and a
    chunk-free input scores 0 as in the official script.
    """
    _check_same_length(len(pred_tags), len(gold_tags), "predicted sentences", "gold sentences")
    for index, (predicted, gold) in enumerate(zip(pred_tags, gold_tags, strict=True)):
        if len(predicted) != len(gold):
            raise XstiltsError(
                f"sentence {index} has {len(predicted)} predicted tags but {len(gold)} gold tags"
            )
    y_pred = [list(sentence) for sentence in pred_tags]
    y_true = [list(sentence) for sentence in gold_tags]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = {
            "f1": 100.0 * f1_score(y_true, y_pred),
            "precision": 100.0 * precision_score(y_true, y_pred),
            "recall": 100.0 * recall_score(y_true, y_pred),
        }
    n_tokens = sum(len(sentence) for sentence in y_true)
    if n_tokens == 0:
        raise XstiltsError("no tokens to score")
    correct = sum(
        p == g
        for predicted, gold in zip(y_pred, y_true, strict=True)
        for p, g in zip(predicted, gold, strict=True)
    )
    scores["token_accuracy"] = 100.0 * correct / n_tokens
    return {key: float(value) for key, value in scores.items()}


# --------------------------------------------------------------------------------------------
# Span QA: SQuAD v1.1 (XQuAD, TyDiQA-GoldP), MLQA, SQuAD 2.0
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# BUCC 2018
# --------------------------------------------------------------------------------------------


def bucc_prf(pred_pairs: Iterable[Pair], gold_pairs: Iterable[Pair]) -> dict[str, float]:
    """BUCC precision, recall and F1 over *sets* of (source id, target id) pairs.

    Definition: ``xtreme:evaluate.py`` ``bucc_f1`` (and ``utils_retrieve.py`` ``bucc_eval``): both
    sides are turned into sets, so a pair listed twice counts once; with no correct pair all three
    scores are 0.
    """
    predicted = set(pred_pairs)
    gold = set(gold_pairs)
    n_correct = len(predicted & gold)
    if n_correct == 0:
        return {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    precision = n_correct / len(predicted)
    recall = n_correct / len(gold)
    f1 = 2 * precision * recall / (precision + recall)
    return {"f1": 100.0 * f1, "precision": 100.0 * precision, "recall": 100.0 * recall}


def _best_score_per_pair(candidates: Iterable[Candidate]) -> dict[Pair, float]:
    """One score per pair, the highest seen, in first-seen order (``read_candidate2score``)."""
    best: dict[Pair, float] = {}
    for score, source_id, target_id in candidates:
        pair = (source_id, target_id)
        best[pair] = max(float(score), best.get(pair, float(score)))
    return best


def bucc_apply_threshold(candidates: Iterable[Candidate], threshold: float) -> set[Pair]:
    """Pairs whose (best) candidate score is at least ``threshold``.

    Definition: ``utils_retrieve.py`` ``bucc_extract`` (``score >= th``).
    """
    return {pair for pair, score in _best_score_per_pair(candidates).items() if score >= threshold}


def bucc_optimize_threshold(
    candidates: Iterable[Candidate], gold_pairs: Iterable[Pair]
) -> tuple[float, float]:
    """Score threshold that maximises F1 on ``gold_pairs``, and the F1 it gives (×100).

    Definition: ``utils_retrieve.py`` ``bucc_optimize``: sort the (deduplicated, best-score)
    candidates by descending score (stable), walk down the list counting correct pairs, keep the
    position with the strictly best F1, and place the threshold halfway between that candidate's
    score and the next one's. Two edge cases the official code does not handle:

    - the best position is the *last* candidate (the official ``items[i + 1]`` overflows): we use
      that candidate's own score, which keeps every candidate under ``>=``;
    - no candidate is correct: threshold 0.0, as the official initial value.

    The returned F1 is the one the threshold actually yields on these candidates (what
    ``bucc_eval`` reports after ``bucc_extract``). It equals the scan's best F1 unless candidates
    tie on the cut score, where the midpoint also admits the tied ones.
    """
    gold = set(gold_pairs)
    best = _best_score_per_pair(candidates)
    ranked = sorted(best.items(), key=lambda item: -item[1])
    best_index = _best_cut_index(ranked, gold)
    if best_index is None:
        threshold = 0.0
    elif best_index + 1 < len(ranked):
        threshold = (ranked[best_index][1] + ranked[best_index + 1][1]) / 2
    else:
        threshold = ranked[best_index][1]
    extracted = {pair for pair, score in ranked if score >= threshold}
    return threshold, bucc_prf(extracted, gold)["f1"]


def _best_cut_index(ranked: Sequence[tuple[Pair, float]], gold: set[Pair]) -> int | None:
    """Index of the first position with the strictly highest running F1 (None: no hit at all)."""
    best_f1 = 0.0
    best_index = None
    n_correct = 0
    for index, (pair, _score) in enumerate(ranked):
        n_correct += pair in gold
        if n_correct == 0:
            continue
        precision = n_correct / (index + 1)
        recall = n_correct / len(gold)
        f1 = 2 * precision * recall / (precision + recall)
        if f1 > best_f1:
            best_f1, best_index = f1, index
    return best_index


# --------------------------------------------------------------------------------------------
# Ranked retrieval: LAReQA and Mewsli-X
# --------------------------------------------------------------------------------------------


def average_precision_at_k(ranked: Sequence[str], relevant: Set[str], k: int) -> float:
    """AP@k of one query, in [0, 1].

    Definition: ``xtreme:third_party/utils_lareqa.py`` ``average_precision_at_k``: over the top
    ``k`` predictions, add precision@i at each *first* occurrence of a relevant id (a repeated id
    earns nothing), then divide by ``min(len(relevant), k)``, not by ``len(relevant)``: a query with
    more than ``k`` relevant items can still reach 1.
    """
    top = list(ranked[:k])
    seen: set[str] = set()
    hits = 0
    total = 0.0
    for position, item in enumerate(top, start=1):
        if item in relevant and item not in seen:
            hits += 1
            total += hits / position
        seen.add(item)
    return total / min(len(relevant), k)


def map_at_k(
    ranked: Mapping[str, Sequence[str]], relevant: Mapping[str, Iterable[str]], k: int = 20
) -> float:
    """Mean AP@k over the gold queries (LAReQA and Mewsli-X ``map@20``), ×100.

    Definitions: LAReQA ``utils_lareqa.py`` ``mean_avg_prec_at_k`` (mean of AP@k over questions,
    normaliser ``min(k, #relevant)``); Mewsli-X ``utils_mewslix.py`` ``evaluate`` (one gold entity
    per mention; MRR over the top 20, which is AP@20 with a single relevant item, reported by
    ``evaluate.py`` as ``map@20``). A gold query missing from ``ranked`` scores 0 (Mewsli-X
    "partial credit"); ranked ids absent from the gold are ignored.
    """
    if k < 1:
        raise XstiltsError(f"k must be at least 1, got {k}")
    if not relevant:
        raise XstiltsError("no gold queries to score")
    total = 0.0
    for query_id, items in relevant.items():
        targets = frozenset(items)
        if not targets:
            raise XstiltsError(f"query {query_id!r} has no relevant item; AP is undefined")
        total += average_precision_at_k(ranked.get(query_id, []), targets, k)
    return 100.0 * total / len(relevant)
