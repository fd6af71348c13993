"""Models for the benchmark suite: encoders of fixed shapes, parameter snapshots, FLOP counting.

Split from ``bench_common`` (which keeps measurements and timing); see its docstring for how the
suite's ratios are defined.
"""

from __future__ import annotations

import os
from typing import Any

# Shapes of randomly initialised XLM-R encoders (the e5 tokenizer's vocabulary).
MODEL_SHAPES: dict[str, dict[str, int]] = {
    # A few-layer model for the smoke mode and the pipeline-scaling table.
    "tiny": {
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 128,
    },
    # multilingual-e5-small's shape (12 x 384, 12 heads, FFN 1536).
    "e5-small-shape": {
        "hidden_size": 384,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 1536,
    },
    # XLM-R base (the GPU MFU row).
    "xlmr-base": {
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
    },
}


def quiet_libraries() -> None:
    """No hub calls, no library chatter on the console."""
    import warnings

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def e5_tokenizer() -> Any:
    """The XLM-R SentencePiece tokenizer of the embedded e5-small (built offline on first use)."""
    from transformers import AutoTokenizer

    from xstilts.models.encoder import resolve_encoder

    return AutoTokenizer.from_pretrained(resolve_encoder("multilingual-e5-small"))


def load_model(model: str) -> tuple[Any, Any, str]:
    """``(encoder, tokenizer, description)``; word embeddings frozen as in the demo.

    ``e5-small`` is the embedded pretrained multilingual-e5-small (what the demo trains); the
    other names are randomly initialised XLM-R encoders of :data:`MODEL_SHAPES` with the same
    tokenizer (same compute as a pretrained model of that shape; only the weights differ).
    """
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    if model == "e5-small":
        from xstilts.models.encoder import load_encoder

        encoder, tokenizer = load_encoder("multilingual-e5-small")
        description = "multilingual-e5-small (pretrained, embedded; word embeddings frozen)"
    else:
        tokenizer = e5_tokenizer()
        config = XLMRobertaConfig(
            vocab_size=len(tokenizer),
            max_position_embeddings=514,
            pad_token_id=tokenizer.pad_token_id,
            bos_token_id=0,
            eos_token_id=2,
            **MODEL_SHAPES[model],
        )
        torch.manual_seed(0)
        encoder = XLMRobertaModel(config, add_pooling_layer=False)
        shape = MODEL_SHAPES[model]
        description = (
            f"random-init XLM-R {shape['num_hidden_layers']}x{shape['hidden_size']} "
            f"({model}; e5 tokenizer; word embeddings frozen)"
        )
    encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    return encoder, tokenizer, description


def trainable_snapshot(module: Any) -> dict[str, Any]:
    """A copy of the trainable parameters, to give every timed run the same starting point."""
    return {n: p.detach().clone() for n, p in module.named_parameters() if p.requires_grad}


def restore(module: Any, snapshot: dict[str, Any]) -> None:
    import torch

    with torch.no_grad():
        for name, parameter in module.named_parameters():
            if name in snapshot:
                parameter.copy_(snapshot[name])


def non_embedding_parameters(encoder: Any) -> int:
    """N of the 6·N·tokens estimate: the transformer layers' parameters (embeddings excluded, as
    in Kaplan et al. 2020; a lookup costs no FLOPs and the word embeddings are frozen here)."""
    return sum(p.numel() for p in encoder.encoder.parameters())


class FlopCounter:
    """Counts tokens and training FLOPs of every batch the encoder sees (a forward pre-hook).

    Per sequence of ``T`` real tokens in a batch padded to ``P``:
    model FLOPs = 6·N·T + 12·L·d·T² (useful work; padding is waste) and
    hardware FLOPs = 6·N·P + 12·L·d·P² (what the machine multiplies, padding included);
    N = non-embedding parameters, L layers, d hidden size. The attention term (QKᵀ and A·V,
    2·2·T·d per token per layer forward, ×3 for backward) is the one of the PaLM paper's MFU
    appendix (Chowdhery et al. 2022, App. B). For inference use ``factor=1/3`` (2·N·T + 4·L·d·T²).
    """

    def __init__(self, encoder: Any, factor: float = 1.0) -> None:
        config = encoder.config
        self.n = non_embedding_parameters(encoder)
        self.layers, self.hidden = config.num_hidden_layers, config.hidden_size
        self.pad_id = config.pad_token_id
        self.factor = factor
        self.reset()
        self._handle = encoder.register_forward_pre_hook(self._hook, with_kwargs=True)

    def reset(self) -> None:
        self.sequences = 0
        self.tokens = 0
        self.padded_tokens = 0
        self.model_flops = 0.0
        self.hardware_flops = 0.0

    def _hook(self, module: Any, args: tuple, kwargs: dict) -> None:
        import torch

        input_ids = kwargs.get("input_ids", args[0] if args else None)
        mask = kwargs.get("attention_mask")
        if input_ids is None:
            return
        if mask is not None and mask.ndim == 4:  # packed rows, block-diagonal mask
            self._count_packed(input_ids, mask)
            return
        if mask is None:
            mask = torch.ones_like(input_ids)
        lengths = mask.sum(1).double()
        batch, width = input_ids.shape
        per_token, attention = 6.0 * self.n, 12.0 * self.layers * self.hidden
        self.sequences += batch
        self.tokens += int(lengths.sum())
        self.padded_tokens += batch * width
        self.model_flops += self.factor * float(
            (per_token * lengths + attention * lengths**2).sum()
        )
        self.hardware_flops += self.factor * batch * (per_token * width + attention * width**2)

    def _count_packed(self, input_ids: Any, mask: Any) -> None:
        """A packed batch (``models.packing``): a real token of a ``T``-token sequence attends
        to the ``T`` keys of its block, so Σ over real tokens of (6·N + 12·L·d·keys) is the
        per-sequence formula; the hardware multiplies every row at its full width ``W``."""
        import torch

        allowed = mask if mask.dtype == torch.bool else mask == 0
        keys = allowed.sum(-1).squeeze(1).double()  # (rows, W)
        real = input_ids != self.pad_id
        rows, width = input_ids.shape
        per_token, attention = 6.0 * self.n, 12.0 * self.layers * self.hidden
        self.sequences += round(float((1.0 / keys[real]).sum()))
        self.tokens += int(real.sum())
        self.padded_tokens += rows * width
        self.model_flops += self.factor * float((per_token + attention * keys[real]).sum())
        self.hardware_flops += self.factor * rows * (per_token * width + attention * width**2)

    def remove(self) -> None:
        self._handle.remove()
