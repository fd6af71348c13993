"""Sequence packing: several sequences of a batch share one row, attention blocked between them.

A padded batch of ``B`` sequences of different lengths costs ``B × longest`` tokens of compute;
packed, the same sequences lie end to end in ``R ≤ B`` rows of ``W`` tokens and only the tail of
each row is padding. Nothing may leak between neighbours, so three things restart per sequence:

- **attention**: a block-diagonal mask (query and key must belong to the same sequence; the
  padding tail is one block of its own, so no query row is fully masked, which would make SDPA's
  softmax NaN and poison the weight gradients through ``0 · NaN``);
- **positions**: each sequence's position ids count from the model's own first position (2 for
  XLM-R / e5, whose positions start after ``padding_idx``; 0 for BERT), as they would alone;
- **outputs**: the packed hidden states are gathered back into the padded ``(B, T, d)`` layout
  before any head sees them, so every head (CLS or mean pooling, per-token tagging) reads exactly
  the states it reads unpacked, and the loss and its gradients are those of the unpacked batch
  (tests/models/test_packing.py checks this to float tolerance on XLM-R and BERT).

This is the block-diagonal scheme of Krell et al. 2021, "Efficient Sequence Packing without
Cross-contamination" (arXiv:2107.02027), with the mask passed to the encoder as a 4D attention mask
(transformers passes a 4D mask to the attention kernel unchanged, ``masking_utils``).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

# Keys a packed batch carries beside the padded ``input_ids``/``attention_mask`` (plain tensors,
# so the loop's ``to_device`` moves them like any other).
PACKED_KEYS = ("packed_input_ids", "packed_position_ids", "packed_segments", "packed_gather")


@dataclass(frozen=True)
class PackedInputs:
    """The packed form of a padded ``(B, T)`` batch.

    ``input_ids``, ``position_ids``, ``segments``: ``(R, W)``; ``segments`` holds the batch row of
    each token, -1 for the padding tail. ``gather``: ``(B, T)``, for every padded position the
    flat index ``row · W + column`` of that token in the packed rows (padding points at index 0;
    heads mask it by the padded ``attention_mask`` as they mask padding anyway).
    """

    input_ids: torch.Tensor
    position_ids: torch.Tensor
    segments: torch.Tensor
    gather: torch.Tensor

    @classmethod
    def from_batch(cls, batch: dict[str, Any]) -> PackedInputs | None:
        if "packed_input_ids" not in batch:
            return None
        return cls(*(batch[key] for key in PACKED_KEYS))


def first_fit_rows(lengths: Sequence[int], width: int) -> list[list[int]]:
    """Sequences (indices) per row: first-fit over lengths in decreasing order, rows of ``width``.

    First-fit decreasing uses at most 11/9 of the optimal number of rows (Johnson 1973); with
    a batch's few sequences it is exact in practice. Within a row the sequences keep no order
    guarantee; outputs are gathered back by index, so the order does not matter.
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    rows: list[list[int]] = []
    free: list[int] = []
    for index in order:
        if lengths[index] > width:
            raise ValueError(f"sequence of {lengths[index]} tokens does not fit rows of {width}")
        for row, space in enumerate(free):
            if lengths[index] <= space:
                rows[row].append(index)
                free[row] -= lengths[index]
                break
        else:
            rows.append([index])
            free.append(width - lengths[index])
    return rows


def best_rows(lengths: Sequence[int], max_width: int) -> tuple[int, list[list[int]]]:
    """The row width (a multiple of the longest sequence, at most ``max_width``) whose first-fit
    packing has the fewest tokens, and that packing; ties go to the narrower rows (attention
    costs ``W²`` per row). A batch already grouped by length packs best at its padded width."""
    longest = max(lengths)
    best: tuple[int, list[list[int]]] | None = None
    for width in range(longest, max(longest, max_width) + 1, longest):
        rows = first_fit_rows(lengths, width)
        if best is None or len(rows) * width < len(best[1]) * best[0]:
            best = (width, rows)
    assert best is not None
    return best


def pack_batch(
    batch: dict[str, Any], max_width: int, pad_id: int, first_position: int
) -> dict[str, Any]:
    """``batch`` (padded ``input_ids`` + ``attention_mask``, padding on the right) with the packed
    tensors of :class:`PackedInputs` added under :data:`PACKED_KEYS`, in rows of at most
    ``max_width`` tokens (or the longest sequence); returned unchanged when packing would not
    shorten it (fewer tokens than ``B × longest``), so it never costs work."""
    input_ids, mask = batch["input_ids"], batch["attention_mask"]
    lengths = mask.sum(1).tolist()
    width, rows = best_rows(lengths, max_width)
    if len(rows) * width >= input_ids.shape[0] * max(lengths):
        return batch
    packed_ids = torch.full((len(rows), width), pad_id, dtype=input_ids.dtype)
    positions = torch.full((len(rows), width), first_position, dtype=torch.long)
    segments = torch.full((len(rows), width), -1, dtype=torch.long)
    gather = torch.zeros(input_ids.shape, dtype=torch.long)
    for row, members in enumerate(rows):
        column = 0
        for index in members:
            n = lengths[index]
            packed_ids[row, column : column + n] = input_ids[index, :n]
            positions[row, column : column + n] = torch.arange(first_position, first_position + n)
            segments[row, column : column + n] = index
            gather[index, :n] = torch.arange(row * width + column, row * width + column + n)
            column += n
    values = (packed_ids, positions, segments, gather)
    return {**batch, **dict(zip(PACKED_KEYS, values, strict=True))}


def first_position_id(encoder: nn.Module) -> int | None:
    """The position id of a sequence's first token in ``encoder``, or None when the encoder takes
    no ``position_ids`` (then it cannot be packed).

    RoBERTa-family embeddings (XLM-R, e5) number positions from ``padding_idx + 1``
    (``create_position_ids_from_input_ids``); BERT-family ones from 0.
    """
    if "position_ids" not in inspect.signature(encoder.forward).parameters:
        return None
    embeddings = getattr(encoder, "embeddings", None)
    if embeddings is not None and hasattr(embeddings, "create_position_ids_from_input_ids"):
        return int(embeddings.padding_idx) + 1
    return 0


def block_diagonal_mask(segments: torch.Tensor, implementation: str, dtype: torch.dtype) -> Any:
    """``(R, 1, W, W)`` attention mask: a token attends only to tokens of its own segment.

    Boolean (True = attend) for SDPA; additive (0 or the dtype's minimum) for the eager kernel,
    which adds the mask to the attention scores.
    """
    same = segments[:, None, :, None] == segments[:, None, None, :]
    if implementation == "sdpa":
        return same
    blocked = torch.zeros(same.shape, dtype=dtype, device=segments.device)
    return blocked.masked_fill_(~same, torch.finfo(dtype).min)


def encode_packed(encoder: nn.Module, packed: PackedInputs) -> torch.Tensor:
    """The encoder's last hidden states for the packed rows, gathered back to ``(B, T, d)``."""
    config = getattr(encoder, "config", None)
    implementation = str(getattr(config, "_attn_implementation", "eager"))
    dtype = next(encoder.parameters()).dtype
    mask = block_diagonal_mask(packed.segments, implementation, dtype)
    hidden = encoder(
        input_ids=packed.input_ids, attention_mask=mask, position_ids=packed.position_ids
    ).last_hidden_state
    flat = hidden.reshape(-1, hidden.shape[-1])
    return flat[packed.gather.reshape(-1)].view(*packed.gather.shape, hidden.shape[-1])
