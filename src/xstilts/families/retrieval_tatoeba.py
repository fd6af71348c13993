"""Tatoeba bitext retrieval (XTREME direction), scored straight from an encoder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xstilts.data.examples import RetrievalPair
from xstilts.evaluate.metrics import tatoeba_accuracy
from xstilts.evaluate.predict import nearest_neighbours
from xstilts.families.retrieval_call import Items, RetrievalCall, RetrievalProtocol, RetrievalScores
from xstilts.families.retrieval_embed import embed


def evaluate_tatoeba(call: RetrievalCall, sets: dict[str, Sequence[Any]]) -> RetrievalScores:
    """XTREME direction: the other language is indexed, each English sentence queries it.

    The prediction for English line i is the index of a source line (google-research/xtreme
    ``third_party/utils_retrieve.py`` and ``evaluate.py``: Tatoeba accuracy = top-1 match).
    """
    settings = call.settings
    scores: RetrievalScores = {}
    for split, pairs in sets.items():
        pair: RetrievalPair = pairs[0]
        source = embed(call.encoder, call.tokenizer, pair.source, settings.max_length, settings)
        english = embed(call.encoder, call.tokenizer, pair.target, settings.max_length, settings)
        predicted = nearest_neighbours(english, source).tolist()
        source_position = {sid: i for i, sid in enumerate(pair.source_ids)}
        target_position = {tid: i for i, tid in enumerate(pair.target_ids)}
        gold = [-1] * len(pair.target_ids)
        for source_id, target_id in pair.gold:
            gold[target_position[target_id]] = source_position[source_id]
        if pair.gold:  # XTREME's download hides the gold: predicted, not scored
            scores[(split, "accuracy")] = tatoeba_accuracy(predicted, gold)
        call.prediction_file(split).write_text(
            "".join(f"{index}\n" for index in predicted), encoding="utf-8"
        )
    return scores


def tatoeba_items(pair: RetrievalPair, predicted: Sequence[int]) -> list[tuple[str, float]]:
    """(English query id, 100 or 0) per query; [] without gold."""
    if not pair.gold:
        return []
    source_position = {sid: i for i, sid in enumerate(pair.source_ids)}
    gold = {target: source_position[source] for source, target in pair.gold}
    return [
        (str(target_id), 100.0 if gold.get(target_id, -1) == int(index) else 0.0)
        for target_id, index in zip(pair.target_ids, predicted, strict=True)
    ]


def _file_items(pair: RetrievalPair, path: Path) -> Items:
    """The items of one prediction file: one source-line index per English line."""
    return tatoeba_items(pair, [int(line) for line in path.read_text(encoding="utf-8").split()])


PROTOCOL = RetrievalProtocol(evaluate_tatoeba, _file_items)
