"""encoder.frozen_layers: the bottom layers and every embedding stay fixed; the rest trains."""

from __future__ import annotations

from pathlib import Path

import pytest

from xstilts.config import study_from_dict
from xstilts.errors import ConfigError, XstiltsError
from xstilts.experiments.encoders import build_encoder


def _study(encoder: Path, frozen: int) -> object:
    return study_from_dict(
        {"encoder": {"name": str(encoder), "frozen_layers": frozen}, "target_tasks": ["xnli"]}
    )


def test_bottom_layers_and_embeddings_are_frozen(tiny_encoder: Path) -> None:
    encoder, _ = build_encoder(_study(tiny_encoder, 1))
    trainable = {name for name, p in encoder.named_parameters() if p.requires_grad}
    assert trainable and all(name.startswith("encoder.layer.1.") or "pooler" in name
                             for name in trainable)  # fmt: skip
    assert any(name.startswith("encoder.layer.1.") for name in trainable)
    unfrozen, _ = build_encoder(_study(tiny_encoder, 0))
    assert all(p.requires_grad for p in unfrozen.parameters())


def test_more_frozen_layers_than_the_encoder_has(tiny_encoder: Path) -> None:
    with pytest.raises(XstiltsError, match=r"encoder\.frozen_layers: 3 is more than .* 2 layers"):
        build_encoder(_study(tiny_encoder, 3))


def test_negative_frozen_layers_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"encoder\.frozen_layers: expected 0 or more"):
        study_from_dict({"encoder": {"frozen_layers": -1}, "target_tasks": ["xnli"]})
