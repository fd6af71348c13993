"""Where xstilts' training time goes: ``torch.profiler`` over the bench's realistic-length phase.

    python benchmarks/profile_training.py --out /tmp/profile.md                # frozen embeddings
    python benchmarks/profile_training.py --out /tmp/profile.md --trainable    # + sparse rows

Runs ``bench_training.TrainingBench.xstilts`` (the real ``train_phase``, the bench's settings:
e5-small, batch 16, max_length 96, MNLI-like lengths) once untimed, then once under the profiler,
and writes two tables:

- **phases** (``record_function`` labels put around the loop's calls: forward, backward, gradient
  clipping, optimizer step, the rest = batching, scheduler, set-up, Python between steps), each
  as a share of the phase's wall time;
- **operators** by kind (GEMM, attention, element-wise/normalisation, embedding, optimizer, other)
  as shares of the summed self time, with the GEMMs' achieved GFLOP/s against the measured
  matmul peak: MFU ≈ (GEMM share of wall) × (GEMM efficiency) + the small attention term, so the
  two numbers say what bounds it.

Shares are meaningful on a loaded machine (another process slows every operator alike, roughly);
absolute times and GFLOP/s are not, so the 1-minute load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

KINDS = (  # (kind, operator-name pattern), first match wins
    ("optimizer (AdamW, row update, clipping)", r"adamw|_foreach|vector_norm|index_copy|coalesce"),
    ("GEMM (linear layers)", r"^aten::(addmm|mm)$"),
    ("attention (SDPA, softmax, batched matmuls)", r"attention|softmax|bmm|baddbmm"),
    ("embedding lookup and its gradient", r"embedding"),
    ("dropout", r"dropout|bernoulli"),
    ("GELU, LayerNorm", r"gelu|layer_norm"),
    ("other element-wise, copies, reductions", r"add|mul|div|copy|sum|mean|fill|zero|where|cat"),
)
PHASES = ("forward", "backward", "clip", "optimizer")


@contextmanager
def _labelled_loop() -> Iterator[None]:
    """Label the loop's forward, backward, clipping and optimizer calls for the profiler."""
    import accelerate
    import torch

    import xstilts.train.loop as loop
    from xstilts.models.heads import EncoderWithHeads
    from xstilts.train.sparse_adamw import RowSparseAdamW

    def label(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with torch.profiler.record_function(name):
                return function(*args, **kwargs)

        return wrapped

    originals = [
        (EncoderWithHeads, "forward", EncoderWithHeads.forward),
        (accelerate.Accelerator, "backward", accelerate.Accelerator.backward),
        (loop, "clip_grad_norm", loop.clip_grad_norm),
        (RowSparseAdamW, "step", RowSparseAdamW.step),
    ]
    for (owner, attribute, function), phase in zip(originals, PHASES, strict=True):
        setattr(owner, attribute, label(phase, function))
    try:
        yield
    finally:
        for owner, attribute, function in originals:
            setattr(owner, attribute, function)


def _kind(name: str) -> str:
    for kind, pattern in KINDS:
        if re.search(pattern, name):
            return kind
    return "other operators"


def profile(trainable: bool, examples: int) -> dict[str, Any]:
    import torch
    from bench_data import realistic_examples
    from bench_models import load_model, quiet_libraries
    from bench_peak import measure_peak
    from bench_training import TrainingBench

    quiet_libraries()
    encoder, tokenizer, _ = load_model("e5-small")
    encoder.embeddings.word_embeddings.weight.requires_grad_(trainable)
    settings = {"epochs": 1, "batch_size": 16, "max_length": 96}
    bench = TrainingBench(encoder, tokenizer, settings)
    data = realistic_examples(examples)
    bench.xstilts(data[:16], "warm")
    with _labelled_loop(), torch.profiler.profile(with_flops=True) as profiler:
        stats = bench.xstilts(data, "profile")
    peak = measure_peak(seconds_per_shape=0.3)["peak_gflops"]
    bench.close()
    averages = profiler.key_averages()
    wall_us = stats["seconds"] * 1e6
    phases = {a.key: a.cpu_time_total for a in averages if a.key in PHASES}
    kinds: dict[str, float] = {}
    gemm_flops = gemm_us = 0.0
    for a in averages:
        if a.key in PHASES or not a.key.startswith("aten::"):
            continue
        kinds[_kind(a.key)] = kinds.get(_kind(a.key), 0.0) + a.self_cpu_time_total
        if _kind(a.key).startswith("GEMM"):
            gemm_flops += a.flops
            gemm_us += a.self_cpu_time_total
    top = sorted(
        (a for a in averages if a.key.startswith("aten::")),
        key=lambda a: -a.self_cpu_time_total,
    )[:12]
    return {
        "trainable": trainable,
        "examples": examples,
        "stats": stats,
        "wall_us": wall_us,
        "phases": phases,
        "kinds": kinds,
        "gemm_gflops": gemm_flops / gemm_us / 1e3 if gemm_us else float("nan"),
        "peak_gflops": peak,
        "top": [(a.key, a.self_cpu_time_total, a.count) for a in top],
        "load": os.getloadavg(),
        "threads": torch.get_num_threads(),
    }


def report(result: dict[str, Any]) -> list[str]:
    wall, stats = result["wall_us"], result["stats"]
    variant = "trained (sparse rows)" if result["trainable"] else "frozen"
    lines = [
        f"### Word embeddings {variant}: {result['examples']} realistic pairs, "
        f"{stats['seconds']:.1f} s ({stats['cpu_seconds']:.1f} CPU s), {result['threads']} torch "
        f"thread(s), load average {result['load'][0]:.1f}",
        "",
        f"Run MFU under this load: {stats['model_gflops_per_s'] / result['peak_gflops']:.0%} "
        f"({stats['model_gflops_per_s']:.0f} model GFLOP/s; peak measured now "
        f"{result['peak_gflops']:.0f}). GEMMs ran at {result['gemm_gflops']:.0f} GFLOP/s "
        f"= {result['gemm_gflops'] / result['peak_gflops']:.0%} of that peak.",
        "",
        "| phase | share of wall time |",
        "|---|---|",
    ]
    rest = wall - sum(result["phases"].values())
    for phase in PHASES:
        lines.append(f"| {phase} | {result['phases'].get(phase, 0.0) / wall:.1%} |")
    lines += [f"| rest (batching, scheduler, set-up, Python) | {rest / wall:.1%} |", ""]
    total = sum(result["kinds"].values())
    lines += ["| operators (self time) | share of operator time | share of wall |", "|---|---|---|"]
    for kind, us in sorted(result["kinds"].items(), key=lambda item: -item[1]):
        lines.append(f"| {kind} | {us / total:.1%} | {us / wall:.1%} |")
    lines += ["", "Top operators (self time, calls): " + "; ".join(
        f"`{name}` {us / wall:.1%} ({count})" for name, us, count in result["top"]
    ), ""]  # fmt: skip
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--trainable", action="store_true", help="word embeddings trained")
    parser.add_argument("--examples", type=int, default=320)
    parser.add_argument(
        "--threads",
        type=int,
        help="torch threads (1 on a loaded machine: no thread waits on a descheduled partner)",
    )
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    lines = report(profile(args.trainable, args.examples))
    with args.out.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
