"""The official XTREME / XTREME-R metrics as pure functions.

Every score is scaled by 100, as the official scripts report it, so that numbers can be compared
with published tables without a conversion step. Each function re-implements (never copies) one
official definition and names it in its docstring:

- ``google-research/xtreme:evaluate.py`` (accuracy, seqeval tagging F1, BUCC F1, mAP@20 keys),
- the span-QA scripts (SQuAD v1.1, MLQA, SQuAD 2.0) in :mod:`xstilts.evaluate.qa_metrics`,
- ``google-research/xtreme:third_party/utils_retrieve.py`` (``bucc_optimize``, ``bucc_extract``,
  ``read_candidate2score``),
- ``google-research/xtreme:third_party/utils_lareqa.py`` (``average_precision_at_k``) and
  ``third_party/utils_mewslix.py`` (``evaluate``: MRR@20 reported as ``map@20``).

Where an official script crashes or is silent (empty inputs, the BUCC threshold of the last
candidate), we raise :class:`~xstilts.errors.XstiltsError` or document the choice made.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence, Set
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
# BUCC 2018
# --------------------------------------------------------------------------------------------


def bucc_prf(
    pred_pairs: Iterable[tuple[str, ...]], gold_pairs: Iterable[tuple[str, ...]]
) -> dict[str, float]:
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
