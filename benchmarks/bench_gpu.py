"""GPU: xstilts' training loop against ``transformers.Trainer``, XLM-R-base shapes, both sides fast.

``make bench-gpu`` (``python benchmarks/run.py --only gpu --out benchmarks/gpu``); one GPU, no
network (random-init weights; token ids drawn, no tokenizer). On an H200 about 5 minutes, most of it
``torch.compile`` (one dynamic-shape compilation per side, ~1-2 min each); estimated from two
partial device runs (``gpu/results.md``), not yet timed end to end.
Skipped (one line in the report) without CUDA; ``--gpu-on-cpu`` runs the same code on the CPU at
a tiny size (a check of this module, not a measurement).

Both sides get every GPU speed switch, so the ratio measures the loops, not their defaults:

- **xstilts**: ``train.loop.train`` as the runner drives it (features → ``training_batches``:
  length-grouped, padded per batch → the classification family's ``collate`` and ``loss``) with
  ``precision: bf16`` (autocast), SDPA attention, fused AdamW, ``compile: true`` (the encoder,
  ``nn.Module.compile``), pinned-memory host-to-device copies, and trainable word embeddings with
  sparse row updates (``train.sparse_embedding_updates``, the default).
- **Reference**: ``Trainer`` with ``bf16=True``, the same SDPA model compiled (``torch.compile``
  once, as ``torch_compile=True`` does in each new ``Trainer``), its
  default fused AdamW (``adamw_torch_fused``), ``dataloader_pin_memory=True`` (default), random
  sampler, ``DataCollatorWithPadding`` (realistic lengths) or fixed-length features with
  ``default_data_collator``; it trains the word embeddings too (dense AdamW, as any HF script).

Shapes: XLM-R base (12 x 768, 12 heads, FFN 3072, 250,002-token vocabulary), a classification head
(CLS pooling), batch 32 — XTREME's recipes: 128 tokens for sentence(-pair) tasks, 384 for QA.
*Padded fixed-length*: every sequence has exactly L tokens. *Realistic lengths*: NLI-like pairs at
L = 128 (LogNormal(ln 40, 0.5) tokens, mean ~45) and QA-like question + context at L = 384
(LogNormal(ln 170, 0.45), mean ~190), truncated at L.

Each side is warmed up first on the same shapes (compilation happens there and is reported
separately, as ``compile_seconds``); then the sides alternate (ABBA) and the median is taken.
The timed section is a whole ``train``/``Trainer.train`` call, set-up included.
MFU = Σ_seq (6·N·T + 12·L·d·T²) / seconds / the measured dense bf16 matmul peak (``torch.mm`` at up
to 8192³), T real tokens (padding is not useful work), N the non-embedding parameters.
"""

from __future__ import annotations

import json
import math
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import Measurement, median

XLMR_BASE = {
    "vocab_size": 250_002,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
}
TINY = {
    "vocab_size": 1000,
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 128,
}
# (max_length, realistic length distribution (median tokens, sigma), steps per timed run)
LENGTHS = {128: (40, 0.5), 384: (170, 0.45)}
TASK = "xnli"


def _encoder(shape: dict[str, int], device: str) -> Any:
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    config = XLMRobertaConfig(
        max_position_embeddings=514,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        attn_implementation="sdpa",
        **shape,
    )
    torch.manual_seed(0)
    return XLMRobertaModel(config, add_pooling_layer=False).to(device)


def synthetic_features(
    count: int, max_length: int, vocab: int, realistic: bool, seed: int
) -> list[tuple[tuple[int, ...], int]]:
    """``count`` (token ids, label) pairs ``<s> … </s>`` of random ids; fixed or drawn lengths."""
    rng = random.Random(seed)
    median_tokens, sigma = LENGTHS.get(max_length, (max_length // 3, 0.5))
    out = []
    for _ in range(count):
        length = max_length
        if realistic:
            drawn = round(rng.lognormvariate(math.log(median_tokens), sigma))
            length = min(max_length, max(4, drawn))
        ids = (0, *(rng.randrange(5, vocab) for _ in range(length - 2)), 2)
        out.append((ids, rng.randrange(3)))
    return out


def flops(features: list[tuple[tuple[int, ...], int]], encoder: Any) -> float:
    """Model FLOPs of one training pass over ``features``: Σ 6·N·T + 12·L·d·T², T real tokens."""
    n = sum(p.numel() for p in encoder.encoder.parameters())
    layers, d = encoder.config.num_hidden_layers, encoder.config.hidden_size
    return float(sum(6.0 * n * len(ids) + 12.0 * layers * d * len(ids) ** 2 for ids, _ in features))


class GpuBench:
    """One model per side (each compiled once), reset to the same start before every run."""

    def __init__(self, device: str, shape: dict[str, int], compile_model: bool) -> None:
        import torch

        from xstilts.config import EncoderConfig
        from xstilts.families.classification import FAMILY
        from xstilts.models.heads import EncoderWithHeads
        from xstilts.tasks.registry import get_task

        self.device, self.shape, self.compile = device, shape, compile_model
        self.sparse = True  # turned off (and said so) only if the platform cannot run it
        self.spec = get_task(TASK)
        self.models = {}
        for side in ("xstilts", "trainer"):
            encoder = _encoder(shape, device)
            head = FAMILY.new_head(shape["hidden_size"], self.spec, EncoderConfig(pooling="cls"))
            self.models[side] = EncoderWithHeads(encoder, {TASK: head}).to(device)
        start = self.models["xstilts"].state_dict()
        self.start = {k: v.detach().clone() for k, v in start.items()}
        self.models["trainer"].load_state_dict(self.start)
        self.trainer_module = _trainer_model(self.models["trainer"])
        if compile_model:
            # One dynamic-shape graph per side serves every length (compiled in the first warm-up;
            # the static-then-dynamic default would compile twice per side). The Trainer gets the
            # model compiled once, as ``torch_compile=True`` would, so that each new ``Trainer``
            # (one per timed run) reuses it instead of compiling again.
            torch._dynamo.config.assume_static_by_default = False
            torch._dynamo.config.cache_size_limit = 32
            self.trainer_module = torch.compile(self.trainer_module)

    def _reset(self, side: str) -> None:
        import torch

        self.models[side].load_state_dict(self.start)
        self.models[side].zero_grad(set_to_none=True)
        torch.manual_seed(0)

    def _sync(self) -> None:
        import torch

        if self.device.startswith("cuda"):
            torch.cuda.synchronize()

    def xstilts(self, features: list, max_length: int) -> float:
        import torch

        from xstilts.config import TrainConfig
        from xstilts.data.featurize import Feature, training_batches
        from xstilts.families.classification import FAMILY
        from xstilts.train.loop import train

        self._reset("xstilts")
        model = self.models["xstilts"]
        config = TrainConfig(
            learning_rate=2e-5, epochs=1, batch_size=32 if self.device != "cpu" else 4,
            max_length=max_length, warmup_ratio=0.1, weight_decay=0.01, max_grad_norm=1.0,
            precision="bf16", fused_optimizer=True, compile=self.compile,
            sparse_embedding_updates=self.sparse,
        )  # fmt: skip
        self._sync()
        start = time.perf_counter()
        feats = [Feature(ids, label) for ids, label in features]

        def batches_for_epoch(epoch: int) -> list[dict[str, Any]]:
            generator = torch.Generator().manual_seed(epoch)
            lengths = [len(f.input_ids) for f in feats]
            return [
                FAMILY.collate([feats[i] for i in batch], 1)
                for batch in training_batches(lengths, config.batch_size, generator)
            ]

        train(model, batches_for_epoch, lambda m, b: FAMILY.loss(m, TASK, b), None, config,
              "gpu", progress=False)  # fmt: skip
        self._sync()
        return time.perf_counter() - start

    def trainer(self, features: list, fixed: bool) -> float:
        import contextlib
        import io

        from transformers import (
            DataCollatorWithPadding,
            Trainer,
            TrainingArguments,
            default_data_collator,
        )

        self._reset("trainer")
        on_cpu = self.device == "cpu"
        self._sync()
        start = time.perf_counter()
        rows = [
            {"input_ids": list(ids), "attention_mask": [1] * len(ids), "labels": label}
            for ids, label in features
        ]
        with tempfile.TemporaryDirectory(prefix="xstilts-bench-gpu-") as out:
            args = TrainingArguments(
                output_dir=out, per_device_train_batch_size=32 if not on_cpu else 4,
                num_train_epochs=1, learning_rate=2e-5, weight_decay=0.01, warmup_steps=0.1,
                max_grad_norm=1.0, lr_scheduler_type="linear", bf16=True,
                dataloader_pin_memory=not on_cpu, use_cpu=on_cpu,
                eval_strategy="no", save_strategy="no", logging_strategy="no", report_to="none",
                disable_tqdm=True, dataloader_num_workers=0, seed=0,
                remove_unused_columns=False,  # a compiled model's forward reads (*args, **kwargs)
            )  # fmt: skip
            collator = default_data_collator if fixed else DataCollatorWithPadding(_pad_only())
            trainer = Trainer(
                model=self.trainer_module, args=args, train_dataset=rows, data_collator=collator
            )
            with contextlib.redirect_stdout(io.StringIO()):
                trainer.train()
            self.trainer_optimizer = type(trainer.optimizer.optimizer).__name__ + (
                " (fused)" if trainer.optimizer.param_groups[0].get("fused") else ""
            )
        self._sync()
        return time.perf_counter() - start


def _trainer_model(model: Any) -> Any:
    from bench_training import _trainer_model as wrap

    return wrap(model, TASK)


def _pad_only() -> Any:
    """A tokenizer that can only pad (``DataCollatorWithPadding`` needs ``tokenizer.pad``): the
    features are token ids already, and nothing can be downloaded on the GPU machine."""
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(WordLevel(vocab, unk_token="<unk>")),
        pad_token="<pad>",
        unk_token="<unk>",
    )


def _measure(
    bench: GpuBench, max_length: int, realistic: bool, steps: int, repeats: int, log: Any
) -> dict[str, Any]:
    """Warm both sides up on the same shapes (compilation), then time them alternately."""
    batch = 32 if bench.device != "cpu" else 4
    features = synthetic_features(
        batch * steps, max_length, bench.shape["vocab_size"], realistic, seed=max_length
    )
    # the whole run once: every recompilation (new lengths) happens here, not in a timed run
    # (with four batches, the first timed realistic run recompiled: 19.2 s against 4.3 s)
    warm = features
    result: dict[str, Any] = {"sequences": len(features), "steps": steps, "batch": batch}
    result["tokens"] = sum(len(ids) for ids, _ in features)
    result["flops"] = flops(features, bench.models["xstilts"].encoder)
    sides = {
        "xstilts": lambda f: bench.xstilts(f, max_length),
        "trainer": lambda f: bench.trainer(f, fixed=not realistic),
    }
    for name, side in sides.items():
        log(f"gpu: L={max_length} {'realistic' if realistic else 'fixed'}: warm-up {name}")
        try:
            result[f"{name}_warmup_seconds"] = side(warm)
        except Exception as error:
            if name != "xstilts" or not bench.sparse:
                raise
            bench.sparse = False  # keep measuring, with the reason in the results
            bench.sparse_error = f"{type(error).__name__}: {error}"
            log(f"gpu: sparse embedding updates failed ({bench.sparse_error}); dense from here")
            result[f"{name}_warmup_seconds"] = side(warm)
    result["sparse_embedding_updates"] = bench.sparse
    seconds: dict[str, list[float]] = {"xstilts": [], "trainer": []}
    for repeat in range(repeats):
        for name in ("xstilts", "trainer") if repeat % 2 == 0 else ("trainer", "xstilts"):
            seconds[name].append(side_seconds := sides[name](features))
            log(f"gpu: L={max_length} {name} {side_seconds:.2f} s")
    result["seconds"] = seconds
    return result


def _rows(label: str, result: dict[str, Any], peak_tflops: float, reference: str) -> list:
    x, r = median(result["seconds"]["xstilts"]), median(result["seconds"]["trainer"])
    tokens, work = result["tokens"], result["flops"]
    common = {**result, "bf16_peak_tflops": peak_tflops}
    return [
        Measurement(
            section="gpu",
            name=f"GPU training throughput, {label} (tokens/s)",
            xstilts=tokens / x,
            reference=tokens / r,
            reference_name=reference,
            unit="tokens/s",
            ratio=r / x,
            target="report",
            details=common,
        ),
        Measurement(
            section="gpu",
            name=f"GPU training FLOP/s ÷ bf16 matmul peak (MFU), {label}",
            xstilts=work / x / 1e12 / peak_tflops,
            reference=work / r / 1e12 / peak_tflops,
            reference_name="same, for the Trainer run",
            unit="fraction of peak",
            ratio=work / x / 1e12 / peak_tflops,
            target="report",
            details={"model_tflops_per_s": work / x / 1e12, "peak_tflops": peak_tflops},
        ),
    ]


def run(
    log: Any,
    device: str | None = None,
    tiny: bool = False,
    compile_model: bool = True,
    steps: dict[int, int] | None = None,
    repeats: int = 2,
    out: Path | None = None,
) -> tuple[list[Measurement], dict[str, Any]]:
    """GPU rows, or none (and ``{"skipped": reason}``) without CUDA. ``device="cpu"`` with
    ``tiny`` runs the same code on the CPU (a development check of this module)."""
    import torch
    from bench_peak import measure_peak

    if device is None:
        if not torch.cuda.is_available():
            return [], {"skipped": "no CUDA device"}
        device = "cuda"
    name = torch.cuda.get_device_name() if device.startswith("cuda") else "cpu"
    steps = steps or {128: 150, 384: 60}
    log(f"gpu: bf16 matmul peak on {name}")
    peak = measure_peak("bfloat16", device, seconds_per_shape=0.5 if device != "cpu" else 0.1)
    peak_tflops = peak["peak_gflops"] / 1e3
    raw: dict[str, Any] = {"device": name, "bf16_peak": peak, "torch": torch.__version__}
    raw["runs"] = {}
    bench = GpuBench(device, TINY if tiny else XLMR_BASE, compile_model)
    rows: list[Measurement] = []
    model = "tiny XLM-R" if tiny else "XLM-R-base"
    for max_length, count in steps.items():
        for realistic in (False, True):
            variant = "realistic lengths" if realistic else "padded fixed-length"
            label = f"{model}, {variant}, {max_length} tokens"
            try:
                result = _measure(bench, max_length, realistic, count, repeats, log)
            except Exception as error:  # reported, not fatal: the other shapes still run
                log(f"gpu: {label}: {type(error).__name__}: {error}")
                raw["runs"][label] = {"error": f"{type(error).__name__}: {error}"}
                continue
            raw["runs"][label] = result
            reference = (
                f"transformers.Trainer ({getattr(bench, 'trainer_optimizer', '?')}, bf16, "
                f"SDPA, compiled={compile_model}, pinned memory; {name})"
            )
            rows += _rows(label, result, peak_tflops, reference)
            if hasattr(bench, "sparse_error"):
                raw["sparse_error"] = bench.sparse_error
            if out is not None:  # partial results survive a time-out
                out.mkdir(parents=True, exist_ok=True)
                (out / "gpu-partial.json").write_text(json.dumps(raw, indent=1, default=str))
    return rows, raw
