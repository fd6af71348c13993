"""The encoder a phase starts from, and the checkpoints that carry it between phases.

Only the encoder carries over between the phases of a chain; every phase gets a new head. A
checkpoint holds the trainable tensors only (safetensors): frozen ones equal the base encoder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from xstilts.config import StudyConfig
from xstilts.errors import XstiltsError
from xstilts.families.registry import trainable_family
from xstilts.files import MANIFEST, CorruptFileError, verify_manifest
from xstilts.models.encoder import hidden_size, load_encoder, word_embeddings
from xstilts.models.frozen_prefix import attach_prefix_cache, bottom_and_top, prefix_modules
from xstilts.models.heads import initialize_head
from xstilts.tasks.spec import TaskSpec
from xstilts.train.checkpoint import atomic_folder, copy_parameters, trainable_state


def build_encoder(study: StudyConfig) -> tuple[nn.Module, Any]:
    """The study's encoder and tokenizer, with what the study freezes frozen."""
    encoder, tokenizer = load_encoder(study.encoder.name, study.encoder.attention)
    if study.encoder.freeze_embeddings:
        word_embeddings(encoder).weight.requires_grad_(False)
    if study.encoder.frozen_layers:
        freeze_bottom_layers(encoder, study.encoder.frozen_layers)
    if study.encoder.cache_frozen_prefix:  # the fixed bottom computed once per sequence
        attach_prefix_cache(encoder, study.encoder.frozen_layers)
    return encoder, tokenizer


def freeze_bottom_layers(encoder: nn.Module, count: int) -> None:
    """Fix the embeddings and the bottom ``count`` layers (``encoder.frozen_layers``)."""
    depth = len(bottom_and_top(encoder, 0)[1])
    if count > depth:
        raise XstiltsError(
            f"encoder.frozen_layers: {count} is more than the encoder's {depth} layers"
        )
    for module in prefix_modules(encoder, count):
        for parameter in module.parameters():
            parameter.requires_grad_(False)


def new_head(study: StudyConfig, encoder: nn.Module, spec: TaskSpec) -> nn.Module:
    """A fresh head for ``spec``, initialised N(0, the encoder's ``initializer_range``).

    The masked-LM head is the exception: it starts from the checkpoint's own LM head when there
    is one, which must not be re-drawn.
    """
    family = trainable_family(spec.family)
    head = family.new_head(hidden_size(encoder), spec, study.encoder)
    if spec.family == "masked_lm":
        return head
    return initialize_head(head, float(getattr(encoder.config, "initializer_range", 0.02)))


def save_encoder(encoder: nn.Module, folder: Path, meta: dict[str, Any]) -> None:
    """Atomically write the encoder's trainable tensors and a meta.json next to them.

    The folder is keyed by content, so a copy another process wrote first is kept.
    """
    with atomic_folder(folder, keep_existing=True) as tmp:
        save_file(trainable_state(encoder), str(tmp / "encoder.safetensors"))
        meta_text = json.dumps(meta, indent=2, sort_keys=True)
        (tmp / "meta.json").write_text(meta_text, encoding="utf-8")


def load_encoder_state(encoder: nn.Module, folder: Path) -> None:
    """Load a saved encoder after checking its manifest (``CorruptFileError`` names the file)."""
    path = folder / "encoder.safetensors"
    if (folder / MANIFEST).is_file():  # folders written before manifests existed have none
        verify_manifest(folder, ("encoder.safetensors",))
    try:
        state = load_file(str(path))
    except (OSError, SafetensorError) as error:
        raise CorruptFileError(f"{path}: unreadable encoder checkpoint ({error})") from None
    missing = [name for name in state if name not in dict(encoder.named_parameters())]
    if missing:
        raise XstiltsError(f"{folder}: checkpoint does not match the encoder ({missing[0]} ...)")
    copy_parameters(encoder, state)
