"""BUCC 2018 bitext mining, scored straight from an encoder.

Sentences are embedded as for Tatoeba (:func:`xstilts.families.retrieval_embed.embed`) and
compared by cosine similarity (:mod:`xstilts.families.knn`).

**BUCC** (protocol ``bucc``) follows ``google-research/xtreme:third_party/utils_retrieve.py``
(adapted, its header says, from facebookresearch/LASER's BUCC mining) as called by
``third_party/evaluate_retrieval.py`` (task ``bucc2018``):

1. ``text_load_unify`` / ``unique_embeddings``: each side is deduplicated by sentence text;
2. ``mine_bitext(..., mode="mine", retrieval="max", margin="ratio", neighborhood=4)``:
   L2-normalise, k-NN (k = min(4, other side)) in both directions, score each neighbour with the
   ratio margin ``cos(x, y) / ((mean_kNN(x) + mean_kNN(y)) / 2)``, keep each sentence's best
   neighbour, pool the forward and backward bests, sort by score, and accept pairs greedily so
   that every source and every target sentence is used at most once; only scores ``> 0`` are
   written (the mining threshold is 0);
3. ``read_candidate2score`` maps the sentence texts back to ids through ``read_sent2id``, which
   **drops every sentence that occurs more than once on its side**: such sentences never yield a
   pair. That is our default ``duplicates="drop"``; ``duplicates="all"`` instead pairs every id
   of a repeated sentence (the spec's ``defaults["duplicates"]`` chooses);
4. the threshold: tuned on ``dev`` gold (BUCC "sample", ``metrics.bucc_optimize_threshold``) and
   applied to ``test`` (BUCC "training", ``metrics.bucc_apply_threshold``), the intended protocol
   of google-research/xtreme#13 and #60. The shipped ``evaluate_retrieval.py`` never carries the
   dev threshold over (it even mines ``test`` into the ``dev`` candidate file name); jiant scores
   with a threshold tuned on the scored split itself. We report both, under separate keys:
   ``f1``/``precision``/``recall`` (dev-tuned threshold) and ``f1_oracle``/... (tuned on the
   scored split's own gold, optimistic); on ``dev`` the two coincide. ``threshold`` and
   ``threshold_oracle`` rows hold the raw margin thresholds (not x100).

Tie-breaking where the reference leaves it to a library: neighbours with equal similarity come in
the k-NN library's order (faiss or ``torch.topk``); pooled candidates with equal margin are
accepted forward before backward, each in index order (a stable sort; the reference's
``np.argsort(-scores)`` is not stable).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from xstilts.config import RetrievalConfig
from xstilts.data.examples import RetrievalPair
from xstilts.errors import XstiltsError
from xstilts.evaluate.metrics import (
    Candidate,
    Pair,
    bucc_apply_threshold,
    bucc_optimize_threshold,
    bucc_prf,
)
from xstilts.evaluate.submission_files import read_pairs
from xstilts.families.base import Tokenizer
from xstilts.families.items import linearised_ratio
from xstilts.families.knn import knn_search, normalize_rows
from xstilts.families.retrieval_call import Items, RetrievalCall, RetrievalProtocol, RetrievalScores
from xstilts.families.retrieval_embed import device_of, embed
from xstilts.tasks.spec import TaskSpec

log = logging.getLogger(__name__)

NEIGHBOURHOOD = 4  # utils_retrieve.mine_bitext(neighborhood=4)
DUPLICATE_POLICIES = ("drop", "all")


@dataclass(frozen=True)
class UniqueSentences:
    """One side of a BUCC pair, deduplicated by text (``utils_retrieve.text_load_unify``).

    ``texts[u]`` is a distinct sentence in first-occurrence order and ``ids[u]`` every id that
    carries it, in file order.
    """

    texts: tuple[str, ...]
    ids: tuple[tuple[str, ...], ...]


def unique_sentences(ids: Sequence[str], texts: Sequence[str]) -> UniqueSentences:
    """Group ids by identical text, first occurrence first (what gets embedded and mined)."""
    position: dict[str, int] = {}
    grouped: list[list[str]] = []
    for sentence_id, text in zip(ids, texts, strict=True):
        if text not in position:
            position[text] = len(grouped)
            grouped.append([])
        grouped[position[text]].append(sentence_id)
    return UniqueSentences(texts=tuple(position), ids=tuple(tuple(g) for g in grouped))


def max_margin_pairs(
    source: np.ndarray,
    target: np.ndarray,
    neighbourhood: int = NEIGHBOURHOOD,
    backend: str = "auto",
    device: torch.device | str | None = None,
) -> list[tuple[float, int, int]]:
    """Mine 1:1 pairs with the ratio margin and the "max" strategy (``mine_bitext``).

    ``source`` and ``target`` are L2-normalised rows of *distinct* sentences. Returns
    ``(score, source row, target row)`` in acceptance order (descending score), scores ``> 0``.
    """
    forward_sim, forward_ids = knn_search(
        source, target, min(neighbourhood, len(target)), backend, device
    )
    backward_sim, backward_ids = knn_search(
        target, source, min(neighbourhood, len(source)), backend, device
    )
    forward_mean = forward_sim.astype(np.float64).mean(axis=1)
    backward_mean = backward_sim.astype(np.float64).mean(axis=1)
    # ratio margin: cos(x, y) / ((mean_kNN(x) + mean_kNN(y)) / 2), for every retrieved neighbour
    forward_scores = forward_sim / ((forward_mean[:, None] + backward_mean[forward_ids]) / 2)
    backward_scores = backward_sim / ((backward_mean[:, None] + forward_mean[backward_ids]) / 2)
    forward_column = forward_scores.argmax(axis=1)
    backward_column = backward_scores.argmax(axis=1)
    rows_source, rows_target = np.arange(len(source)), np.arange(len(target))
    pooled_source = np.concatenate((rows_source, backward_ids[rows_target, backward_column]))
    pooled_target = np.concatenate((forward_ids[rows_source, forward_column], rows_target))
    pooled_scores = np.concatenate(
        (forward_scores[rows_source, forward_column], backward_scores[rows_target, backward_column])
    )
    used_source: set[int] = set()
    used_target: set[int] = set()
    accepted: list[tuple[float, int, int]] = []
    for position in np.argsort(-pooled_scores, kind="stable"):
        i, j = int(pooled_source[position]), int(pooled_target[position])
        if i in used_source or j in used_target:
            continue
        used_source.add(i)
        used_target.add(j)
        if pooled_scores[position] > 0:
            accepted.append((float(pooled_scores[position]), i, j))
    return accepted


def pairs_to_ids(
    pairs: Sequence[tuple[float, int, int]],
    source: UniqueSentences,
    target: UniqueSentences,
    duplicates: str = "drop",
) -> list[Candidate]:
    """Turn mined rows of distinct sentences back into ``(score, source id, target id)``.

    ``"drop"`` is the reference (``read_sent2id`` deletes every sentence seen twice, so its pairs
    vanish); ``"all"`` pairs every id of a repeated sentence.
    """
    if duplicates not in DUPLICATE_POLICIES:
        raise XstiltsError(
            f"unknown duplicate policy {duplicates!r}; expected one of {DUPLICATE_POLICIES}"
        )
    candidates: list[Candidate] = []
    for score, i, j in pairs:
        source_ids, target_ids = source.ids[i], target.ids[j]
        if duplicates == "drop" and (len(source_ids) > 1 or len(target_ids) > 1):
            continue
        candidates.extend((score, s, t) for s in source_ids for t in target_ids)
    return candidates


def mine_bucc(
    encoder: nn.Module,
    tokenizer: Tokenizer,
    pair: RetrievalPair,
    settings: RetrievalConfig,
    neighbourhood: int = NEIGHBOURHOOD,
    duplicates: str = "drop",
    backend: str = "auto",
) -> list[Candidate]:
    """Scored candidate pairs (by id) of one BUCC split, best first; each distinct text is
    embedded once."""
    source = unique_sentences(pair.source_ids, pair.source)
    target = unique_sentences(pair.target_ids, pair.target)
    x = normalize_rows(embed(encoder, tokenizer, source.texts, settings.max_length, settings))
    y = normalize_rows(embed(encoder, tokenizer, target.texts, settings.max_length, settings))
    mined = max_margin_pairs(x, y, neighbourhood, backend, device_of(encoder))
    return pairs_to_ids(mined, source, target, duplicates)


def _extracted_pairs(candidates: Sequence[Candidate], threshold: float) -> list[Pair]:
    """The pairs kept at ``threshold``, best first, each once (the submission file's lines)."""
    kept = bucc_apply_threshold(candidates, threshold)
    ordered: list[Pair] = []
    for _score, source_id, target_id in candidates:
        pair = (source_id, target_id)
        if pair in kept:
            ordered.append(pair)
            kept.discard(pair)
    return ordered


def _prf(
    candidates: Sequence[Candidate], gold: Sequence[Pair], threshold: float, suffix: str
) -> dict[str, float]:
    scores = bucc_prf(bucc_apply_threshold(candidates, threshold), gold)
    result = {f"{metric}{suffix}": value for metric, value in scores.items()}
    result[f"threshold{suffix}"] = threshold
    return result


def _write_pairs(path: Path, pairs: Sequence[Pair]) -> None:
    path.write_text("".join(f"{s}\t{t}\n" for s, t in pairs), encoding="utf-8")


def _dev_threshold(
    spec: TaskSpec,
    language: str,
    mined: dict[str, list[Candidate]],
    gold: dict[str, tuple[Pair, ...]],
) -> float | None:
    """The margin threshold tuned on the dev split's gold (BUCC "sample"); None without dev."""
    dev = spec.dev_split
    if dev is None or dev not in mined:
        return None
    if not gold[dev]:
        raise XstiltsError(
            f"{spec.name} {language}: the {dev} split has no gold pairs to tune the "
            "mining threshold on"
        )
    threshold, _ = bucc_optimize_threshold(mined[dev], gold[dev])
    return threshold


def evaluate_bucc(call: RetrievalCall, sets: dict[str, Sequence[Any]]) -> RetrievalScores:
    """Mine every split; tune the threshold on the dev split, apply it to the others.

    Writes ``{split}-{language}.tsv`` with ``src_id<TAB>trg_id`` lines (the XTREME submission
    format) for every split it can threshold. A split whose gold is hidden (XTREME deletes the
    test gold) gets the file and no scores. Without a dev split, a split with gold is scored with
    its oracle threshold only (and gets no prediction file, since no honest threshold exists).
    """
    spec, language = call.spec, call.language
    neighbourhood = int(spec.defaults.get("neighbourhood", NEIGHBOURHOOD))
    duplicates = str(spec.defaults.get("duplicates", "drop"))
    mined: dict[str, list[Candidate]] = {}
    gold: dict[str, tuple[Pair, ...]] = {}
    for split, examples in sets.items():
        if len(examples) != 1:
            raise XstiltsError(f"{spec.name} {split}-{language}: expected one sentence-pair set")
        mined[split] = mine_bucc(
            call.encoder, call.tokenizer, examples[0], call.settings, neighbourhood, duplicates
        )
        gold[split] = examples[0].gold

    scores: RetrievalScores = {}
    dev = spec.dev_split
    threshold = _dev_threshold(spec, language, mined, gold)
    for split, candidates in mined.items():
        split_gold = gold[split]
        if threshold is not None:
            _write_pairs(call.prediction_file(split), _extracted_pairs(candidates, threshold))
            if split_gold:
                for metric, value in _prf(candidates, split_gold, threshold, "").items():
                    scores[(split, metric)] = value
        elif not split_gold:
            raise XstiltsError(
                f"{spec.name} {split}-{language}: no gold pairs and no {dev} split to tune "
                "the mining threshold on"
            )
        else:
            log.warning(
                "%s %s-%s: no %s split; reporting the oracle threshold only",
                spec.name, split, language, dev,
            )  # fmt: skip
        if split_gold:
            oracle, _ = bucc_optimize_threshold(candidates, split_gold)
            for metric, value in _prf(candidates, split_gold, oracle, "_oracle").items():
                scores[(split, metric)] = value
    return scores


def bucc_items(
    pair: RetrievalPair, extracted: Sequence[tuple[str, ...]]
) -> list[tuple[str, float]]:
    """(source sentence id, linearised F1 contribution) per source sentence; [] without gold."""
    if not pair.gold:
        return []
    gold = set(pair.gold)
    predicted = {tuple(p) for p in extracted if len(p) == 2}
    correct = Counter(source for source, _ in predicted & gold)
    counts = Counter(source for source, _ in predicted) + Counter(source for source, _ in gold)
    sources = list(dict.fromkeys(pair.source_ids))
    numerators = [200.0 * correct[s] for s in sources]
    values = linearised_ratio(numerators, [float(counts[s]) for s in sources])
    return list(zip(sources, values, strict=True))


def _file_items(pair: RetrievalPair, path: Path) -> Items:
    """The items of one prediction file: the extracted ``src_id<TAB>trg_id`` pairs."""
    return bucc_items(pair, read_pairs(path))


PROTOCOL = RetrievalProtocol(evaluate_bucc, _file_items)
