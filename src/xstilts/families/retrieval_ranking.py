"""Ranked retrieval (LAReQA, Mewsli-X), scored straight from an encoder.

**Ranking** (protocol ``ranking``, ``map@20``): each query of one language is ranked against a
candidate pool shared by all languages; the top 20 ids are written as ``{query_id: [ids]}`` and
scored with ``metrics.map_at_k``. This is the *zero-shot* scoring of the encoder (mean-pooled layer,
cosine). The XTREME-R recipe first fine-tunes a dual encoder (LAReQA: on SQuAD v1.1,
``scripts/train_lareqa.sh``; Mewsli-X: on English Wikipedia mention-entity pairs with an in-batch
sampled softmax, ``scripts/train_mewslix.sh``) and scores its own pooled output; that fine-tuning
is not part of this module. The candidate pool (~1M entity descriptions for Mewsli-X) is embedded
once per encoder state and reused for every query language.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from xstilts.config import RetrievalConfig
from xstilts.data.examples import RankingSet
from xstilts.errors import XstiltsError
from xstilts.evaluate.metrics import average_precision_at_k, map_at_k
from xstilts.families.base import Tokenizer
from xstilts.families.knn import knn_search, normalize_rows
from xstilts.families.retrieval_call import Items, RetrievalCall, RetrievalProtocol, RetrievalScores
from xstilts.families.retrieval_embed import device_of, embed
from xstilts.tasks.spec import TaskSpec

TOP_K = 20  # mAP@20 and the length of a ranking in the prediction files


@dataclass
class _PoolEntry:
    encoder: weakref.ReferenceType[nn.Module]
    state: tuple[Any, ...]
    texts: tuple[str, ...]
    vectors: np.ndarray


_POOL_CACHE: list[_PoolEntry] = []


@torch.no_grad()
def _encoder_state(
    encoder: nn.Module, tokenizer: Tokenizer, layer: int | None, max_length: int
) -> tuple[Any, ...]:
    """What the pool embeddings depend on besides the encoder's identity.

    Storage, in-place version counter and a float64 sum of every parameter: loading another
    checkpoint or a training step changes at least one of them.
    """
    parameters = list(encoder.parameters())
    sums = torch.stack([p.detach().sum(dtype=torch.float64) for p in parameters]).cpu()
    storage = tuple((p.data_ptr(), p._version) for p in parameters)
    return (id(tokenizer), layer, max_length, storage, tuple(sums.tolist()))


def _pool_vectors(
    encoder: nn.Module,
    tokenizer: Tokenizer,
    texts: tuple[str, ...],
    max_length: int,
    settings: RetrievalConfig,
) -> np.ndarray:
    """Normalised pool embeddings, cached for the next language (one entry: a pool can be 4 GB)."""
    state = _encoder_state(encoder, tokenizer, settings.layer, max_length)
    if _POOL_CACHE:
        entry = _POOL_CACHE[0]
        if entry.encoder() is encoder and entry.state == state and entry.texts == texts:
            return entry.vectors
    _POOL_CACHE.clear()
    vectors = normalize_rows(embed(encoder, tokenizer, texts, max_length, settings))
    _POOL_CACHE.append(_PoolEntry(weakref.ref(encoder), state, texts, vectors))
    return vectors


def clear_pool_cache() -> None:
    """Free the cached candidate-pool embeddings."""
    _POOL_CACHE.clear()


def _side_length(spec: TaskSpec, settings: RetrievalConfig, key: str) -> int:
    """The reference length of one side (spec default), never above the study's max_length."""
    return min(settings.max_length, int(spec.defaults.get(key, settings.max_length)))


def rank_pool(
    queries: np.ndarray,
    pool: np.ndarray,
    k: int = TOP_K,
    backend: str = "auto",
    device: torch.device | str | None = None,
) -> np.ndarray:
    """Indices of the ``k`` most cosine-similar pool rows per query, best first."""
    _, indices = knn_search(normalize_rows(queries), pool, min(k, len(pool)), backend, device)
    return indices


def evaluate_ranking(call: RetrievalCall, sets: dict[str, Sequence[Any]]) -> RetrievalScores:
    """Rank the pool for every query; write ``{split}-{language}.json``; score mAP@20.

    Queries are truncated at ``defaults["query_max_length"]`` and candidates at
    ``defaults["candidate_max_length"]`` (the reference lengths), both capped by the study's
    ``retrieval.max_length``. A split without any gold (Mewsli-X test) is predicted, not scored.
    """
    encoder, tokenizer, spec, settings = call.encoder, call.tokenizer, call.spec, call.settings
    query_length = _side_length(spec, settings, "query_max_length")
    candidate_length = _side_length(spec, settings, "candidate_max_length")
    scores: RetrievalScores = {}
    for split, examples in sets.items():
        if len(examples) != 1 or not isinstance(examples[0], RankingSet):
            raise XstiltsError(f"{spec.name} {split}-{call.language}: expected one ranking set")
        ranking: RankingSet = examples[0]
        pool = _pool_vectors(encoder, tokenizer, ranking.candidates, candidate_length, settings)
        queries = embed(encoder, tokenizer, ranking.queries, query_length, settings)
        top = rank_pool(queries, pool, TOP_K, device=device_of(encoder))
        ranked = {
            query_id: [ranking.candidate_ids[i] for i in row]
            for query_id, row in zip(ranking.query_ids, top.tolist(), strict=True)
        }
        call.prediction_file(split).write_text(
            json.dumps(ranked, ensure_ascii=False), encoding="utf-8"
        )
        relevant = {
            query_id: items
            for query_id, items in zip(ranking.query_ids, ranking.relevant, strict=True)
            if items
        }
        if relevant:
            scores[(split, "map@20")] = map_at_k(ranked, relevant, k=TOP_K)
    return scores


def ranking_items(ranking: Any, ranked: Mapping[str, Sequence[str]]) -> list[tuple[str, float]]:
    """(query id, 100 · AP@20) per query that has gold (``RankingSet``)."""
    return [
        (
            str(query_id),
            100.0 * average_precision_at_k(ranked.get(query_id, []), set(items), TOP_K),
        )
        for query_id, items in zip(ranking.query_ids, ranking.relevant, strict=True)
        if items
    ]


def _file_items(ranking: RankingSet, path: Path) -> Items:
    """The items of one prediction file: ``{query id: [candidate ids, best first]}``."""
    return ranking_items(ranking, json.loads(path.read_text(encoding="utf-8")))


PROTOCOL = RetrievalProtocol(evaluate_ranking, _file_items)
