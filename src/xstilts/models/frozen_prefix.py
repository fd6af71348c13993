"""Frozen-prefix feature cache (``encoder.cache_frozen_prefix``): the fixed bottom of the encoder
is computed once per distinct input sequence, and only the trainable top runs per step.

Why: with ``encoder.frozen_layers: N`` the embeddings and layers 1..N never change during a study,
so for a given token sequence their output is the same in every step, every epoch, every dev
evaluation and every phase of every grid cell (all start from the same pretrained weights). On
2 CPU cores the demo spent about half of each forward pass recomputing it. The cache keeps the
states after layer N per sequence (keyed by its token ids) and runs layers N+1..L on them.

What changes numbers, and why it is an opt-in setting that the run id hashes (it is a field of
``EncoderConfig``, which the configuration id and every content key include): the prefix is
computed in **eval mode** — no dropout in the embeddings and the frozen layers, also while the
top trains — whereas an uncached training step draws dropout masks there too. The frozen prefix
becomes a deterministic feature extractor (as a frozen feature extractor is usually run); the
trainable layers and heads keep their dropout.

Scope: BERT-layout encoders (``embeddings`` + ``encoder.layer``, as ``freeze_bottom_layers``
assumes), right-padded batches through ``EncoderWithHeads.forward``; a batch the cache cannot key
(left padding) runs the plain uncached path. Packed batches (``models.packing``) are not combined
with it (``train.packing`` refuses ``packing: on`` and leaves ``auto`` off). The cache lives in
memory (hidden size x tokens x 4 bytes per distinct sequence: ~200 MB for the demo's ~3k
sequences) and is shared by every encoder of the process whose frozen prefix has the same
weights (:func:`prefix_fingerprint`); a new prefix replaces it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import torch
from torch import nn
from transformers.masking_utils import create_bidirectional_mask

ATTRIBUTE = "xstilts_prefix_cache"  # where build_encoder puts the cache on the encoder module


class FrozenPrefixCache:
    """The states after the embeddings and the bottom ``layers`` layers, per token sequence."""

    def __init__(self, layers: int) -> None:
        self.layers = layers
        self.states: dict[bytes, torch.Tensor] = {}  # token ids (int64 bytes) -> (T, d) states
        self.computed = 0  # sequences run through the prefix (misses)
        self.reused = 0  # sequences served from the cache (hits)

    def encode(
        self, encoder: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> torch.Tensor | None:
        """The encoder's last hidden states ``(B, T, d)`` for a right-padded batch, from cached
        prefix states; None when the batch is not right-padded (the caller runs the encoder)."""
        lengths = attention_mask.sum(1)
        positions = torch.arange(attention_mask.shape[1], device=attention_mask.device)
        if not torch.equal(attention_mask.bool(), positions[None, :] < lengths[:, None]):
            return None
        ids = input_ids.detach().cpu()
        counts = lengths.tolist()
        keys = [ids[row, :count].numpy().tobytes() for row, count in enumerate(counts)]
        missing = list(dict.fromkeys(key for key in keys if key not in self.states))
        if missing:
            first = {key: row for row, key in reversed(list(enumerate(keys)))}
            self._fill(encoder, input_ids, attention_mask, [first[key] for key in missing], keys)
        self.reused += len(keys) - len(missing)
        width = attention_mask.shape[1]
        states = [
            nn.functional.pad(self.states[key], (0, 0, 0, width - count))
            for key, count in zip(keys, counts, strict=True)
        ]
        hidden = torch.stack(states).to(device=input_ids.device)
        return run_layers(encoder, hidden, attention_mask, bottom_and_top(encoder, self.layers)[1])

    def _fill(
        self,
        encoder: nn.Module,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        rows: Sequence[int],
        keys: Sequence[bytes],
    ) -> None:
        """Run the prefix (eval mode, no gradient) on ``rows`` of the batch and keep each row's
        states without its padding."""
        index = torch.tensor(rows, device=input_ids.device)
        mask = attention_mask[index]
        width = int(mask.sum(1).max())
        states = prefix_states(encoder, input_ids[index, :width], mask[:, :width], self.layers)
        with torch.inference_mode(False):  # filled while predicting, read while training
            for position, row in enumerate(rows):
                count = int(mask[position].sum())
                self.states[keys[row]] = states[position, :count].float().cpu().clone()
        self.computed += len(rows)


def bottom_and_top(encoder: nn.Module, layers: int) -> tuple[list[nn.Module], list[nn.Module]]:
    """The encoder's transformer layers below and above the frozen boundary."""
    stack = list(encoder.get_submodule("encoder.layer").children())
    return stack[:layers], stack[layers:]


def prefix_modules(encoder: nn.Module, layers: int) -> list[nn.Module]:
    """The embeddings and the bottom ``layers`` transformer layers: what
    ``encoder.frozen_layers`` fixes and what the cache computes once."""
    return [encoder.get_submodule("embeddings"), *bottom_and_top(encoder, layers)[0]]


def run_layers(
    encoder: nn.Module,
    hidden: torch.Tensor,
    attention_mask: torch.Tensor,
    layers: Sequence[nn.Module],
) -> torch.Tensor:
    """``hidden`` through ``layers`` with the attention mask the encoder itself builds from a
    padding mask (``transformers.masking_utils``: the kernel's boolean or additive form)."""
    mask = create_bidirectional_mask(
        config=encoder.config, inputs_embeds=hidden, attention_mask=attention_mask
    )
    for layer in layers:
        output = layer(hidden, mask)
        hidden = output[0] if isinstance(output, tuple) else output  # transformers 4: a tuple
    return hidden


def prefix_states(
    encoder: nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor, layers: int
) -> torch.Tensor:
    """The states after the embeddings and the bottom ``layers`` layers, computed in eval mode
    (no dropout) without gradient; the modules' train/eval modes are restored afterwards.

    Always in float32, autocast off: the states are computed once and then shared by every phase
    of the process, so a ``precision: bf16`` phase that happened to fill the cache first must not
    change what an fp32 phase (or a later bf16 one) reads — the cached values may not depend on
    which run came first. bf16 phases then run only the trainable top under autocast."""
    modules = prefix_modules(encoder, layers)
    embeddings, bottom = modules[0], modules[1:]
    modes = [module.training for module in modules]
    try:
        for module in modules:
            module.eval()
        with torch.no_grad(), torch.autocast(input_ids.device.type, enabled=False):
            hidden = embeddings(input_ids=input_ids)
            return run_layers(encoder, hidden, attention_mask, bottom)
    finally:
        for module, mode in zip(modules, modes, strict=True):
            module.train(mode)


def prefix_fingerprint(encoder: nn.Module, layers: int) -> str:
    """A digest of the frozen prefix: its class, depth, attention kernel and every tensor of the
    embeddings and bottom layers (shape, float64 sum and a strided sample of values), so two
    encoders share cached states only when their prefixes compute the same function."""
    config = getattr(encoder, "config", None)
    kernel = getattr(config, "_attn_implementation", "")
    digest = hashlib.sha256(f"{type(encoder).__name__}:{layers}:{kernel}".encode())
    for number, module in enumerate(prefix_modules(encoder, layers)):
        for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
            flat = tensor.detach().reshape(-1)
            sample = flat[:: max(1, flat.numel() // 4096)].double().cpu().numpy()
            total = float(flat.sum(dtype=torch.float64)) if flat.is_floating_point() else 0.0
            digest.update(f"{number}.{name}:{tuple(tensor.shape)}:{total!r}".encode())
            digest.update(sample.tobytes())
    return digest.hexdigest()[:16]


_CACHES: dict[str, FrozenPrefixCache] = {}  # one prefix per process: a new one replaces it


def attach_prefix_cache(encoder: nn.Module, layers: int) -> FrozenPrefixCache:
    """Give ``encoder`` the process's cache for its frozen prefix (a plain attribute: no
    sub-module, nothing in the state dict or checkpoints); the prefix must be frozen."""
    if layers < 1:
        raise ValueError("a frozen-prefix cache needs at least one frozen layer")
    modules = prefix_modules(encoder, layers)
    if any(p.requires_grad for module in modules for p in module.parameters()):
        raise ValueError("the prefix to cache has trainable parameters; freeze it first")
    key = prefix_fingerprint(encoder, layers)
    if key not in _CACHES:
        _CACHES.clear()
        _CACHES[key] = FrozenPrefixCache(layers)
    setattr(encoder, ATTRIBUTE, _CACHES[key])
    return _CACHES[key]


def clear_prefix_caches() -> None:
    """Drop every cached state (the memory comes back once no encoder holds its cache)."""
    _CACHES.clear()


def prefix_cache(encoder: nn.Module) -> FrozenPrefixCache | None:
    """The encoder's frozen-prefix cache, or None when it has none."""
    cache = getattr(encoder, ATTRIBUTE, None)
    return cache if isinstance(cache, FrozenPrefixCache) else None
