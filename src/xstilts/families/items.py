"""Per-item scores: the unit the analysis resamples and pairs configurations by.

Each family's official ``score`` applied to one example at a time: accuracy per example
(classification, multiple choice: 0 or 100), F1/EM per question (span QA: the official scripts
average exactly these over questions). The mean of a set's item scores is then the official
figure, which the runner's rows already hold.

Tagging is the exception: seqeval's chunk F1 = 2C / (P + T) and the token accuracy are corpus
ratios (a sentence without chunks has no F1 of its own). Each sentence then gets its
*linearised* contribution to the ratio (:func:`linearised_ratio`; Woodruff 1971, JASA 66(334)),
whose mean is the official figure exactly and whose variance / n is the delta-method variance —
so sentences are the items, paired between configurations, as for every other family. Retrieval
items (per query) come from :mod:`.retrieval_items`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from xstilts.errors import XstiltsError
from xstilts.families.base import Family
from xstilts.tasks.spec import TaskSpec


def item_metric(spec: TaskSpec) -> str:
    """The metric a task's items are scored with: its headline metric (what the rows hold)."""
    return spec.metric


def linearised_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Item values z_i = R + (a_i − R b_i) / b̄ of the ratio R = Σa / Σb (x100 if a is).

    Their mean is R exactly and their variance / n the delta-method variance of R; all 0 (no
    spread) when Σb = 0, where R is taken as 0 (an F1 with nothing predicted and no gold).
    """
    total = float(sum(denominators))
    if total == 0:
        return [0.0] * len(numerators)
    ratio = float(sum(numerators)) / total
    mean_b = total / len(denominators)
    return [ratio + (a - ratio * b) / mean_b for a, b in zip(numerators, denominators, strict=True)]


def tagging_items(
    predictions: Sequence[Sequence[str]], gold: Sequence[Sequence[str]], metric: str
) -> list[float]:
    """Linearised per-sentence ``f1`` (seqeval chunks) or ``token_accuracy`` contributions.

    Chunks come from one seqeval pass over the whole set (sentences joined by ``O``, as
    ``seqeval.metrics.f1_score`` does, so its POS quirks are kept) and are assigned to the
    sentence they start in; per-type sets of (type, start, end), as seqeval counts them.
    """
    if metric == "token_accuracy":
        right = [100.0 * sum(p == g for p, g in zip(ps, gs, strict=True))
                 for ps, gs in zip(predictions, gold, strict=True)]  # fmt: skip
        return linearised_ratio(right, [float(len(gs)) for gs in gold])
    from seqeval.metrics.sequence_labeling import get_entities

    starts = np.cumsum([0] + [len(sentence) + 1 for sentence in gold])
    true = set(get_entities([list(s) for s in gold]))
    predicted = set(get_entities([list(s) for s in predictions]))

    def per_sentence(chunks: set[tuple[str, int, int]]) -> np.ndarray:
        where = np.searchsorted(starts, [start for _, start, _ in chunks], side="right") - 1
        return np.bincount(where, minlength=len(gold)).astype(float)

    correct = per_sentence(true & predicted)
    counts = per_sentence(true) + per_sentence(predicted)
    return linearised_ratio((200.0 * correct).tolist(), counts.tolist())


def item_scores(
    family: Family,
    predictions: Sequence[Any],
    examples: Sequence[Any],
    spec: TaskSpec,
    language: str,
) -> list[tuple[str, float]]:
    """``(example id, score x100)`` per example, in order; ``[]`` where the set has no gold
    (e.g. a test split whose labels the release hides)."""
    metric = item_metric(spec)
    if any(
        getattr(example, gold, True) is None for example in examples for gold in ("label", "tags")
    ):
        return []  # hidden gold: the set is predicted for submission, not scored
    ids = [str(example.id) for example in examples]
    if spec.family == "tagging":
        if metric not in ("f1", "token_accuracy") or not examples:
            return []
        gold = [example.tags for example in examples]
        return list(zip(ids, tagging_items(predictions, gold, metric), strict=True))
    scored: list[tuple[str, float]] = []
    for prediction, example, item_id in zip(predictions, examples, ids, strict=True):
        try:
            values = family.score([prediction], [example], spec, language)
        except XstiltsError:
            return []
        if metric not in values:
            return []
        scored.append((item_id, float(values[metric])))
    return scored


def item_records(
    family: Family,
    predictions: Sequence[Any],
    examples: Sequence[Any],
    spec: TaskSpec,
    split: str,
    language: str,
    selection: str = "en_dev",
) -> list[dict[str, Any]]:
    """Records of the store's items table for one scored set (the runner adds the run id)."""
    metric = item_metric(spec)
    shared = {"target_task": spec.name, "split": split, "language": language}
    return [
        {**shared, "selection": selection, "metric": metric, "item_id": item_id, "score": value}
        for item_id, value in item_scores(family, predictions, examples, spec, language)
    ]
