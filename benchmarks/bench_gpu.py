"""GPU path: MFU of an XLM-R-base intermediate training step, each speed switch on its own.

Skipped (one line in the report) when no CUDA device is present; CI never needs a GPU.

The step is the one ``xstilts.train.loop.train`` runs — ``EncoderWithHeads`` forward with a
classification head, cross-entropy, backward, ``clip_grad_norm_(1.0)``, ``AdamW.step``,
``zero_grad(set_to_none=True)`` — on a randomly initialised XLM-R base (12 x 768, 250k vocabulary,
word embeddings trainable as in a real study), batch 32 x 128 tokens (MNLI-style intermediate
training, no padding). Switches, applied cumulatively so each row shows one more:

1. ``fp32, eager attention`` (the transformers reference implementation);
2. ``+ SDPA`` attention (``attn_implementation="sdpa"``; xstilts' ``encoder.attention`` default);
3. ``+ bf16 autocast`` (``torch.autocast("cuda", torch.bfloat16)`` around forward and loss);
4. ``+ fused AdamW`` (``torch.optim.AdamW(..., fused=True)``);
5. ``+ torch.compile`` (of the encoder; compile time reported separately, not in the step time).

A last row times xstilts' real ``runner.train_phase`` on the same model and batch shape, as
the loop is today (what it gets from ``accelerate``: fp32 unless mixed precision is configured).

MFU = (6·N + 12·L·d·T) · tokens / step time / measured dense bf16 matmul peak (``torch.mm`` at
8192²), N counting every parameter that is multiplied (the word embeddings are a lookup: out).
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from typing import Any

from bench_common import Measurement, load_model, median

BATCH, LENGTH, STEPS = 32, 128, 20


def _label(model_name: str) -> str:
    return "XLM-R-base" if model_name == "xlmr-base" else model_name


def _flops_per_step(encoder: Any, batch: int, length: int) -> float:
    config = encoder.config
    n = sum(p.numel() for p in encoder.encoder.parameters())
    return (
        batch * length * (6.0 * n + 12.0 * config.num_hidden_layers * config.hidden_size * length)
    )


def _step_time(
    device: str,
    attention: str,
    bf16: bool,
    fused: bool,
    compile_model: bool,
    model_name: str,
    batch: int,
    length: int,
    steps: int,
) -> dict[str, Any]:
    import torch
    from torch import nn

    from xstilts.config import EncoderConfig
    from xstilts.families.classification import FAMILY
    from xstilts.models.heads import EncoderWithHeads
    from xstilts.tasks.registry import get_task

    encoder, _tokenizer, _ = load_model(model_name)
    encoder.embeddings.word_embeddings.weight.requires_grad_(True)
    encoder.set_attn_implementation(attention)
    spec = get_task("xnli")
    head = FAMILY.new_head(encoder.config.hidden_size, spec, EncoderConfig(pooling="cls"))
    model = EncoderWithHeads(encoder, {"xnli": head}).to(device).train()
    flops = _flops_per_step(encoder, batch, length)
    forward = model
    compile_seconds = 0.0
    if compile_model:
        model.encoder.compile()  # in place: parameter names unchanged (what loop.py would do)
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-5, fused=fused or None
    )
    input_ids = torch.randint(5, encoder.config.vocab_size, (batch, length), device=device)
    mask = torch.ones_like(input_ids)
    labels = torch.randint(0, len(spec.labels), (batch,), device=device)
    autocast = (
        torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16)
        if bf16
        else nullcontext()
    )

    def sync() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    def step() -> None:
        with autocast:
            logits = forward("xnli", input_ids, mask)
            loss = nn.functional.cross_entropy(logits.float(), labels)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    start = time.perf_counter()
    for _ in range(3):  # warm-up (and compilation)
        step()
    sync()
    if compile_model:
        compile_seconds = time.perf_counter() - start
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    seconds = median(times)
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    return {
        "step_seconds": seconds,
        "tokens_per_s": batch * length / seconds,
        "model_tflops_per_s": flops / seconds / 1e12,
        "compile_seconds": compile_seconds,
    }


def _train_phase_time(device: str, model_name: str, batch: int, length: int, steps: int) -> dict:
    """xstilts' loop as it is, on ``steps`` batches of fixed-length pairs."""
    import torch
    from bench_common import fixed_length_examples, xnli_task_data

    from xstilts.config import EncoderConfig, TrainConfig
    from xstilts.experiments.runner import train_phase
    from xstilts.families.classification import FAMILY
    from xstilts.models.heads import EncoderWithHeads

    encoder, tokenizer, _ = load_model(model_name)
    encoder.embeddings.word_embeddings.weight.requires_grad_(True)
    data = xnli_task_data(fixed_length_examples(batch * steps), "gpu")
    head = FAMILY.new_head(encoder.config.hidden_size, data.spec, EncoderConfig(pooling="cls"))
    model = EncoderWithHeads(encoder, {"xnli": head}).to(device)
    config = TrainConfig(epochs=1, batch_size=batch, max_length=length)
    warm = TrainConfig(epochs=1, batch_size=batch, max_length=length)
    train_phase(
        model,
        [xnli_task_data(data.train[: batch * 2], "gpu-warm")],
        tokenizer,
        warm,
        0,
        "warm",
        progress=False,
    )
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    train_phase(model, [data], tokenizer, config, 0, "gpu", progress=False)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / steps
    flops = _flops_per_step(encoder, batch, length)
    return {
        "step_seconds": seconds,
        "tokens_per_s": batch * length / seconds,
        "model_tflops_per_s": flops / seconds / 1e12,
    }


CONFIGS = (
    (
        "fp32, eager attention",
        {"attention": "eager", "bf16": False, "fused": False, "compile_model": False},
    ),
    (
        "+ SDPA attention",
        {"attention": "sdpa", "bf16": False, "fused": False, "compile_model": False},
    ),
    (
        "+ bf16 autocast",
        {"attention": "sdpa", "bf16": True, "fused": False, "compile_model": False},
    ),
    ("+ fused AdamW", {"attention": "sdpa", "bf16": True, "fused": True, "compile_model": False}),
    ("+ torch.compile", {"attention": "sdpa", "bf16": True, "fused": True, "compile_model": True}),
)


def run(
    log: Any,
    device: str | None = None,
    model_name: str = "xlmr-base",
    batch: int = BATCH,
    length: int = LENGTH,
    steps: int = STEPS,
    compile_model: bool = True,
) -> tuple[list[Measurement], dict[str, Any]]:
    """GPU rows, or none (and ``{"skipped": reason}``) without CUDA. ``device="cpu"`` runs the
    same code on the CPU (a development check of this module, not a measurement)."""
    import torch
    from bench_peak import measure_peak

    if device is None:
        if not torch.cuda.is_available():
            return [], {"skipped": "no CUDA device"}
        device = "cuda"
    name = torch.cuda.get_device_name() if device.startswith("cuda") else "cpu"
    peak = measure_peak("bfloat16", device, seconds_per_shape=0.5 if device != "cpu" else 0.1)
    peak_tflops = peak["peak_gflops"] / 1e3
    raw: dict[str, Any] = {"device": name, "bf16_peak": peak, "configs": {}}
    rows: list[Measurement] = []
    baseline: float | None = None
    baseline_mfu: float | None = None
    for label, switches in CONFIGS:
        if switches["compile_model"] and not compile_model:
            continue
        log(f"gpu: {label}")
        try:
            result = _step_time(
                device, model_name=model_name, batch=batch, length=length, steps=steps, **switches
            )
        except Exception as error:  # a switch the platform lacks is reported, not fatal
            raw["configs"][label] = {"error": f"{type(error).__name__}: {error}"}
            continue
        raw["configs"][label] = result
        if baseline is None:
            baseline = result["step_seconds"]
            baseline_mfu = result["model_tflops_per_s"] / peak_tflops
        rows.append(
            Measurement(
                section="gpu",
                name=f"{_label(model_name)} training step MFU, {label}",
                xstilts=result["model_tflops_per_s"] / peak_tflops,
                reference=baseline_mfu,
                reference_name=f"fp32 eager attention, same step ({name}); ratio = speed-up",
                unit="fraction of peak",
                ratio=baseline / result["step_seconds"],
                target="report",
                details={
                    **result,
                    "batch": batch,
                    "length": length,
                    "bf16_peak_tflops": peak_tflops,
                },
            )
        )
    log("gpu: xstilts train_phase as it is")
    try:
        current = _train_phase_time(device, model_name, batch, length, steps)
        raw["configs"]["xstilts train_phase"] = current
        rows.append(
            Measurement(
                section="gpu",
                name=f"{_label(model_name)} training step MFU, xstilts train_phase as it is",
                xstilts=current["model_tflops_per_s"] / peak_tflops,
                reference=baseline_mfu,
                reference_name=f"fp32 eager attention, same step ({name}); ratio = speed-up",
                unit="fraction of peak",
                ratio=(baseline / current["step_seconds"]) if baseline else None,
                target="report",
                details={**current, "batch": batch, "length": length},
            )
        )
    except Exception as error:
        raw["configs"]["xstilts train_phase"] = {"error": f"{type(error).__name__}: {error}"}
    return rows, raw
