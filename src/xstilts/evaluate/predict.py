"""Predict one task in one language; the caller loops over languages and scores with metrics.

Batches are sorted by length (little padding) and predictions restored to input order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from transformers import PreTrainedTokenizerBase

from xstilts.data.examples import ClassificationExample
from xstilts.data.featurize import collate, evaluation_batches, featurize_classification
from xstilts.evaluate.distributed import rank_and_world, sharded
from xstilts.models.heads import pool


def model_device(model: nn.Module) -> torch.device:
    """The device of the first parameter (where inputs must go)."""
    return next(model.parameters()).device


@torch.inference_mode()
def predict_classification(
    model: nn.Module,
    task: str,
    examples: Sequence[ClassificationExample],
    tokenizer: PreTrainedTokenizerBase,
    labels: Sequence[str],
    max_length: int,
    batch_size: int = 64,
) -> list[str]:
    """Label predictions (argmax of the task head), in the order of ``examples``."""
    model.eval()
    features = featurize_classification(examples, tokenizer, labels, max_length)
    lengths = [len(f.input_ids) for f in features]
    predicted = np.empty(len(features), dtype=np.int64)
    device = model_device(model)
    for indices in evaluation_batches(lengths, batch_size):
        batch = collate([features[i] for i in indices], tokenizer.pad_token_id)
        logits = model(task, batch["input_ids"].to(device), batch["attention_mask"].to(device))
        predicted[indices] = logits.argmax(-1).cpu().numpy()
    return [labels[int(i)] for i in predicted]


def embed_sentences(
    encoder: nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    layer: int,
    max_length: int,
    batch_size: int = 64,
) -> np.ndarray:
    """Mean-pooled ``hidden_states[layer]`` over all non-pad tokens, <s> and </s> included.

    This is the XTREME retrieval representation (``pool_skip_special_token`` off by default in
    google-research/xtreme ``third_party/run_retrieval.py``); ``hidden_states[0]`` is the
    embedding output, so jiant's ``layer=14`` is the 14th transformer layer. Under torchrun each
    process embeds a ``1/w`` share and every process gets all rows (``distributed.sharded``).
    """
    if not texts:
        raise ValueError("embed_sentences: no sentences to embed")
    if rank_and_world()[1] == 1:  # no row-by-row gather: 10^6 candidates are gigabytes
        return _embed_here(encoder, tokenizer, texts, layer, max_length, batch_size)
    rows = sharded(
        list(texts),
        lambda mine: _embed_here(encoder, tokenizer, mine, layer, max_length, batch_size),
    )
    return np.stack(rows).astype(np.float32, copy=False)


@torch.inference_mode()
def _embed_here(
    encoder: nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    layer: int,
    max_length: int,
    batch_size: int,
) -> np.ndarray:
    """:func:`embed_sentences` in this process alone."""
    encoder.eval()
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)
    ids = encoded["input_ids"]
    lengths = [len(x) for x in ids]
    out: np.ndarray | None = None
    device = model_device(encoder)
    for indices in evaluation_batches(lengths, batch_size):
        width = max(lengths[i] for i in indices)
        input_ids = torch.full((len(indices), width), tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(indices), width), dtype=torch.long)
        for row, i in enumerate(indices):
            input_ids[row, : lengths[i]] = torch.tensor(ids[i])
            mask[row, : lengths[i]] = 1
        outputs = encoder(
            input_ids=input_ids.to(device),
            attention_mask=mask.to(device),
            output_hidden_states=True,
        )
        vectors = pool(outputs.hidden_states[layer], mask.to(device), "mean").float().cpu().numpy()
        if out is None:
            out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
        out[indices] = vectors
    assert out is not None
    return out


def nearest_neighbours(queries: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Index of the most cosine-similar ``index`` row for each query (ties: lowest index)."""
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True).clip(min=1e-12)
    x = index / np.linalg.norm(index, axis=1, keepdims=True).clip(min=1e-12)
    return (q @ x.T).argmax(axis=1)
