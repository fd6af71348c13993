"""Does ``train.compile: true`` pay on this CPU? The bench's realistic-length phase (e5-small,
batch 16, max_length 96, ``--examples`` MNLI-like pairs through ``train_phase``) eager once, then
compiled three times (the first run compiles), in wall and process CPU seconds (the ``gcc``
subprocesses of the compilation are not in the CPU figure). Slow: the first compiled run took
10 minutes on a loaded 2-core machine (benchmarks/profile.md has the result).

    python benchmarks/compile_cost.py --threads 1 --examples 160
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    parser.add_argument("--examples", type=int, default=160)
    args = parser.parse_args()
    import torch
    from bench_data import realistic_examples
    from bench_models import load_model, quiet_libraries
    from bench_training import TrainingBench

    if args.threads:
        torch.set_num_threads(args.threads)
    quiet_libraries()
    encoder, tokenizer, _ = load_model("e5-small")
    bench = TrainingBench(encoder, tokenizer, {"epochs": 1, "batch_size": 16, "max_length": 96})
    data = realistic_examples(args.examples)
    bench.xstilts(data[:16], "warm")
    runs = [("eager", bench.xstilts(data, "eager"))]
    bench.counter.remove()  # its forward hook reads tensors back: a graph break when compiled
    bench.config = dataclasses.replace(bench.config, compile=True)
    for name in ("first compiled (compiles)", "compiled", "compiled"):
        runs.append((name, bench.xstilts(data, "compiled")))
    for name, stats in runs:
        print(f"{name}: {stats['seconds']:.1f} s wall, {stats['cpu_seconds']:.1f} CPU s")


if __name__ == "__main__":
    main()
