"""The masked-LM head: RoBERTa's LM head with a decoder tied to the encoder's embeddings, and
the pretrained head weights an encoder checkpoint may ship (continued MLM starts from them).

Used by :mod:`xstilts.families.masked_lm` (``new_head``); apart from it because the head and its
checkpoint reading are a unit of their own.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import cast

import torch
from torch import nn

from xstilts.config import EncoderConfig
from xstilts.errors import XstiltsError
from xstilts.models.encoder import word_embeddings

log = logging.getLogger("xstilts")


class MaskedLMHead(nn.Module):
    """RoBERTa's LM head (``RobertaLMHead``) with a decoder borrowed from the encoder.

    ``dense -> gelu -> LayerNorm -> x @ E^T + bias`` where ``E`` is the encoder's word-embedding
    matrix. ``E`` is not a parameter of this module: :meth:`tie` records the embedding module on
    first use and :meth:`forward` reads its current weight, so the head can never hold a stale
    copy and ``named_parameters()`` of the whole model lists ``E`` once, under the encoder.
    """

    _word_embeddings: nn.Embedding | None  # set by tie(), outside the module registry

    def __init__(self, hidden_size: int, vocab_size: int, layer_norm_eps: float) -> None:
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.layer_norm = nn.LayerNorm(hidden_size, eps=layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(vocab_size))
        # A plain attribute, not a registered submodule (nn.Module.__setattr__ would register
        # it): the encoder owns the embeddings.
        object.__setattr__(self, "_word_embeddings", None)

    def tie(self, model: nn.Module) -> None:
        """Use ``model.encoder``'s input word embeddings as the decoder (idempotent)."""
        embeddings = word_embeddings(cast(nn.Module, model.encoder))
        if embeddings is self._word_embeddings:
            return
        rows = embeddings.weight.shape[0]
        if rows != self.bias.shape[0]:
            raise XstiltsError(
                f"masked-LM head has {self.bias.shape[0]} outputs but the encoder's embedding "
                f"matrix has {rows} rows; the head must be built for this encoder"
            )
        object.__setattr__(self, "_word_embeddings", embeddings)

    @property
    def decoder_weight(self) -> torch.Tensor:
        """The tied decoder matrix (the encoder's word embeddings); needs :meth:`tie` first."""
        if self._word_embeddings is None:
            raise RuntimeError("masked-LM head used before tie(model)")
        return self._word_embeddings.weight

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """Vocabulary logits for hidden states ``(..., hidden_size)`` of the masked positions."""
        x = nn.functional.gelu(self.dense(hidden))
        x = self.layer_norm(x)
        return nn.functional.linear(x, self.decoder_weight, self.bias)


def encoder_location(encoder: EncoderConfig) -> str:
    from xstilts.models.encoder import resolve_encoder

    return resolve_encoder(encoder.name)


def _checkpoint_file(location: str) -> Path | None:
    """The local safetensors file holding the LM head, if the checkpoint has one.

    Looks only on disk (a local folder or the Hugging Face cache, where loading the encoder
    already put the file): building a head never touches the network.
    """
    folder = Path(location)
    if folder.is_dir():
        index = folder / "model.safetensors.index.json"
        if index.is_file():
            weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map", {})
            for key in ("lm_head.bias", "cls.predictions.bias"):
                if key in weight_map:
                    return folder / weight_map[key]
            return None
        single = folder / "model.safetensors"
        return single if single.is_file() else None
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(location, "model.safetensors")
    except ValueError:  # not a valid hub id (HFValidationError): no pretrained head
        return None
    return Path(cached) if isinstance(cached, str) else None


# (our name, RoBERTa/XLM-R name, BERT name): the names jiant maps in
# load_lm_heads_from_transformers_weights (jiant/proj/main/modeling/model_setup.py).
_HEAD_KEYS = (
    ("dense.weight", "lm_head.dense.weight", "cls.predictions.transform.dense.weight"),
    ("dense.bias", "lm_head.dense.bias", "cls.predictions.transform.dense.bias"),
    (
        "layer_norm.weight",
        "lm_head.layer_norm.weight",
        "cls.predictions.transform.LayerNorm.weight",
    ),
    ("layer_norm.bias", "lm_head.layer_norm.bias", "cls.predictions.transform.LayerNorm.bias"),
    ("bias", "lm_head.bias", "cls.predictions.bias"),
)


def pretrained_head_state(location: str) -> dict[str, torch.Tensor]:
    """The pretrained LM-head tensors of a checkpoint under our names, or ``{}`` if it has none."""
    path = _checkpoint_file(location)
    if path is None:
        return {}
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        keys = set(handle.keys())
        for column in (1, 2):
            names = {row[0]: row[column] for row in _HEAD_KEYS}
            if all(name in keys for name in names.values()):
                return {ours: handle.get_tensor(name) for ours, name in names.items()}
    return {}
