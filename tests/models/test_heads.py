"""New task heads start as the encoder's own layers do: N(0, initializer_range), zero bias."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from xstilts.models.heads import ClassificationHead, initialize_head


def test_heads_are_drawn_from_the_encoders_initializer_range() -> None:
    torch.manual_seed(0)
    head = initialize_head(ClassificationHead(512, 3, 0.1, "cls"), 0.02)
    for layer in (head.dense, head.out):
        assert torch.all(layer.bias == 0)
    weights = torch.cat([head.dense.weight.flatten(), head.out.weight.flatten()])
    assert weights.mean().item() == pytest.approx(0.0, abs=1e-3)
    assert weights.std().item() == pytest.approx(0.02, rel=0.02)
    # PyTorch's default for a 512-wide Linear is uniform(±1/sqrt(512)): std ~0.0255, not 0.02
    default = nn.Linear(512, 512).weight.std().item()
    assert default == pytest.approx(1 / (512**0.5) / (3**0.5), rel=0.05)


def test_layer_norms_start_as_the_identity() -> None:
    block = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4))
    with torch.no_grad():
        block[1].weight.fill_(3.0)
        block[1].bias.fill_(1.0)
    initialize_head(block, 0.5)
    assert torch.all(block[1].weight == 1) and torch.all(block[1].bias == 0)
