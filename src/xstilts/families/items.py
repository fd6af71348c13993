"""Per-item scores: the unit the analysis resamples and pairs configurations by.

Each family's official ``score`` applied to one example at a time: accuracy per example
(classification, multiple choice: 0 or 100), F1/EM per question (span QA: the official scripts
average exactly these over questions). The mean of a set's item scores is then the official
figure, which the runner's rows already hold.

Tagging is the exception: seqeval's chunk F1 is a corpus ratio (a sentence without chunks has no
F1 of its own), so its items are per-sentence token accuracies, stored under that metric; the
analysis uses items only where their metric and mean match the row (statistics/inference.py).
Retrieval items (per query) are not produced yet: retrieval families return aggregates only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xstilts.errors import XstiltsError
from xstilts.families.base import Family
from xstilts.tasks.spec import TaskSpec

ITEM_METRIC_OVERRIDE = {"tagging": "token_accuracy"}
"""Families whose headline metric is not a mean over items: the per-item metric stored instead."""


def item_metric(spec: TaskSpec) -> str:
    """The metric a task's items are scored with."""
    return ITEM_METRIC_OVERRIDE.get(spec.family, spec.metric)


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
    scored: list[tuple[str, float]] = []
    for prediction, example in zip(predictions, examples, strict=True):
        if any(getattr(example, gold, True) is None for gold in ("label", "tags")):
            return []  # hidden gold: the set is predicted for submission, not scored
        try:
            values = family.score([prediction], [example], spec, language)
        except XstiltsError:
            return []
        if metric not in values:
            return []
        scored.append((str(example.id), float(values[metric])))
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
