"""When training batches are packed (``TrainConfig.packing``; the packing itself: models/packing).

Packing changes no result (the loss and gradients equal the padded batch's to float tolerance,
tests/models/test_packing.py), only the work: fewer padded tokens in the feed-forward layers,
against attention over whole rows (each row's ``W²`` scores instead of ``Σ T²`` per sequence) and
the cost of the mask. Measured on 2 CPU cores (benchmarks/results.md) it pays on the CPU; on a GPU
the SDPA flash kernel takes no arbitrary mask, so a packed batch would fall back to a slower
kernel: ``auto`` leaves GPU batches padded.
"""

from __future__ import annotations

import torch
from torch import nn

from xstilts.config import TrainConfig
from xstilts.errors import XstiltsError
from xstilts.models.frozen_prefix import prefix_cache
from xstilts.models.packing import first_position_id

# Families whose heads read the encoder only through ``EncoderWithHeads`` with a padded
# ``attention_mask`` and whose loss passes the packed layout on (classification.loss).
PACKABLE_FAMILIES = frozenset({"classification"})


def packing_first_position(config: TrainConfig, family: str, encoder: nn.Module) -> int | None:
    """The first position id to pack ``family``'s batches with, or None to keep them padded."""
    if config.packing == "off" or family not in PACKABLE_FAMILIES:
        return None
    if prefix_cache(encoder) is not None:  # cached prefix states are per padded sequence
        if config.packing == "on":
            raise XstiltsError("packing: on cannot be combined with encoder.cache_frozen_prefix")
        return None
    if config.packing == "auto" and torch.cuda.is_available():
        return None
    first = first_position_id(encoder)
    if first is None and config.packing == "on":
        raise XstiltsError(
            f"packing: on, but the encoder ({type(encoder).__name__}) takes no position_ids"
        )
    return first
