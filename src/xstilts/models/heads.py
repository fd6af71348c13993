"""Task heads, one class per family, and the encoder-plus-heads model.

Between phases of a STILTs chain only the encoder carries over; every task gets a fresh head
(jiant's ``task_to_taskmodel_map`` idea, without its load-mode machinery).
"""

from __future__ import annotations

import torch
from torch import nn

from xstilts.models.frozen_prefix import prefix_cache
from xstilts.models.packing import PackedInputs, encode_packed


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, how: str) -> torch.Tensor:
    """Sentence vector from token states: ``cls`` (<s>) or ``mean`` over non-pad tokens."""
    if how == "cls":
        return hidden[:, 0]
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


def initialize_head(head: nn.Module, std: float) -> nn.Module:
    """Initialise a new head as the encoder initialises its own layers: every ``Linear`` weight
    ~ N(0, ``std``) with zero bias, ``LayerNorm`` = identity.

    ``std`` is the encoder config's ``initializer_range`` (0.02 for BERT and XLM-R), the rule of
    transformers' ``_init_weights`` that the XTREME scripts' heads (``*ForSequenceClassification``,
    ``*ForTokenClassification``, ``*ForQuestionAnswering``) get; PyTorch's default (Kaiming
    uniform) would start a 1024-wide head with ~10x larger logits.
    """
    for module in head.modules():
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
    return head


class ClassificationHead(nn.Module):
    """RoBERTa-style head: dropout, dense+tanh, dropout, projection to the labels."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float, pooling: str) -> None:
        super().__init__()
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = self.dropout(pool(hidden, attention_mask, self.pooling))
        x = self.dropout(torch.tanh(self.dense(x)))
        return self.out(x)


class EncoderWithHeads(nn.Module):
    """A shared encoder and a ``ModuleDict`` of task heads; ``forward`` runs one task's head."""

    def __init__(self, encoder: nn.Module, heads: dict[str, nn.Module] | None = None) -> None:
        super().__init__()
        self.encoder = encoder
        self.heads = nn.ModuleDict(heads or {})

    def forward(
        self,
        task: str,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        packed: PackedInputs | None = None,
    ) -> torch.Tensor:
        """One task's head over the encoder's output. With ``packed`` (the same batch packed,
        ``models.packing``) the encoder runs on the packed rows and the head still gets the
        padded ``(B, T, d)`` states, equal to those of the unpacked run. An encoder with a
        frozen-prefix cache (``models.frozen_prefix``) runs only its trainable top layers."""
        cache = prefix_cache(self.encoder) if packed is None else None
        cached = cache.encode(self.encoder, input_ids, attention_mask) if cache else None
        if cached is not None:
            hidden = cached
        elif packed is not None:
            hidden = encode_packed(self.encoder, packed)
        else:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
            hidden = hidden.last_hidden_state
        return self.heads[task](hidden, attention_mask)
