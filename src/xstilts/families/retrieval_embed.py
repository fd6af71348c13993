"""The one sentence-embedding function of the retrieval protocols, and where their k-NN runs.

Every protocol (Tatoeba, BUCC mining, ranking) embeds sentences the XTREME way: mean-pooled
``hidden_states[layer]`` over all non-pad tokens (``evaluate.predict.embed_sentences``), at the
run's layer; only the maximum length differs (BUCC and Tatoeba use the study's, ranking one per
side from the task's recipe).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from xstilts.config import RetrievalConfig
from xstilts.evaluate.predict import embed_sentences
from xstilts.families.base import Tokenizer


def embed(
    encoder: nn.Module,
    tokenizer: Tokenizer,
    texts: Sequence[str],
    max_length: int,
    settings: RetrievalConfig,
) -> np.ndarray:
    """``texts`` embedded at ``settings.layer`` (resolved by the run's settings before any
    protocol runs: an unresolved layer here is a bug, not a user error)."""
    if settings.layer is None:
        raise ValueError("retrieval layer unresolved: the run's settings fix it before evaluation")
    return embed_sentences(
        encoder, tokenizer, texts, settings.layer, max_length, settings.batch_size
    )


def device_of(encoder: nn.Module | None) -> torch.device:
    """Where the k-NN runs when ``backend="auto"``: the encoder's device (CPU if unknown)."""
    parameter = next(encoder.parameters(), None) if encoder is not None else None
    return parameter.device if parameter is not None else torch.device("cpu")
