"""Tatoeba bitext retrieval (XTREME direction), scored straight from an encoder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torch import nn

from xstilts.config import RetrievalConfig
from xstilts.data.examples import RetrievalPair
from xstilts.evaluate.metrics import tatoeba_accuracy
from xstilts.evaluate.predict import nearest_neighbours
from xstilts.families.base import Tokenizer
from xstilts.families.retrieval_embed import embed
from xstilts.tasks.spec import TaskSpec


def evaluate_tatoeba(
    encoder: nn.Module,
    tokenizer: Tokenizer,
    sets: dict[str, Sequence[Any]],
    spec: TaskSpec,
    settings: RetrievalConfig,
    language: str,
    work_dir: Path,
) -> dict[tuple[str, str], float]:
    """XTREME direction: the other language is indexed, each English sentence queries it.

    The prediction for English line i is the index of a source line (google-research/xtreme
    ``third_party/utils_retrieve.py`` and ``evaluate.py``: Tatoeba accuracy = top-1 match).
    """
    scores: dict[tuple[str, str], float] = {}
    for split, pairs in sets.items():
        pair: RetrievalPair = pairs[0]
        source = embed(encoder, tokenizer, pair.source, settings.max_length, settings)
        english = embed(encoder, tokenizer, pair.target, settings.max_length, settings)
        predicted = nearest_neighbours(english, source).tolist()
        source_position = {sid: i for i, sid in enumerate(pair.source_ids)}
        target_position = {tid: i for i, tid in enumerate(pair.target_ids)}
        gold = [-1] * len(pair.target_ids)
        for source_id, target_id in pair.gold:
            gold[target_position[target_id]] = source_position[source_id]
        if pair.gold:  # XTREME's download hides the gold: predicted, not scored
            scores[(split, "accuracy")] = tatoeba_accuracy(predicted, gold)
        (work_dir / f"{split}-{language}.{spec.prediction_suffix}").write_text(
            "".join(f"{index}\n" for index in predicted), encoding="utf-8"
        )
    return scores
