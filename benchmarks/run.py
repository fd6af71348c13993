"""xstilts benchmark suite: xstilts against Hugging Face / numpy references, as ratios, in one run.

    python benchmarks/run.py --out benchmarks            # the suite (make bench), ~20 min idle
    python benchmarks/run.py --out /tmp/bench --quick    # smoke mode: tiny model, ~1 minute
    python benchmarks/run.py --out /tmp/b --only training,mining --repeats 5

Writes ``results.md`` (one table: measurement, xstilts, reference named, ratio, target, met?, then
how each side was run) and ``results.json`` (every row with its raw repeats and the machine).
Every ratio is xstilts speed ÷ reference speed measured in this process, the two sides alternated
(ABBA) over the repeats, median reported: > 1 means xstilts is faster. Sections:

- ``peak``: the machine's fp32 matmul peak (``bench_peak``), the denominator of every MFU;
- ``training``: ``training.train_phase`` vs ``transformers.Trainer`` (``bench_training``);
- ``evaluation``: zero-shot over every language vs a per-language HF loop (``bench_evaluation``);
- ``mining``: BUCC margin mining vs naive numpy (``bench_mining``);
- ``scaling``: cost growth with languages, examples, grid runs; re-plan time (``bench_scaling``);
- ``demo``: ``xstilts demo`` end to end, minutes and peak memory, as shipped (and, with
  ``--demo-variants shipped,trainable``, with the word embeddings trained; ``bench_demo``);
- ``gpu``: xstilts vs ``Trainer`` on one GPU, both in bf16 + SDPA + fused AdamW + compile,
  XLM-R-base shapes at 128 and 384 tokens, with MFU (``bench_gpu``; ``make bench-gpu``), skipped
  without CUDA;
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import Measurement
from bench_data import demo_xnli_eval
from bench_models import load_model, quiet_libraries
from bench_report import write_report

SECTIONS = ("peak", "training", "evaluation", "mining", "scaling", "demo", "gpu")
DEFAULT_SECTIONS = ("peak", "training", "evaluation", "mining", "scaling", "demo", "gpu")

# Sizes: FULL is `make bench`: about 12 min on an idle 2-core machine plus the demo (~7-8 min).
FULL: dict[str, Any] = {
    "model": "e5-small",
    "small_model": "tiny",
    "repeats": 3,
    # 320 realistic pairs (20 steps): fewer understate length grouping (80 pairs pad 16% more
    # than 800 would), more would not fit the time budget.
    "training": {
        "epochs": 1,
        "batch_size": 16,
        "max_length": 96,
        "fixed_examples": 32,
        "fixed_repeats": 7,  # both sides run the same model code: a ratio near 1, keep it steady
        "realistic_examples": 320,
    },
    # the whole demo test split (7 x 120 pairs; fewer leave one part-full batch per language)
    # at XNLI's max_seq_length in run_xnli.py and XTREME's scripts (128)
    "evaluation": {"per_language": None, "max_length": 128, "split": "test"},
    "mining": {"ratio_size": 10_000, "peak_sizes": [10_000]},
    "scaling": {
        "per_language": 8,
        "base_examples": 128,
        "grid_train_examples": 16,
        "max_length": 64,
    },
    # the demo as shipped (~7-8 min idle); the variant with every parameter trained as well
    # ("trainable", another ~8 min) only with --demo-variants shipped,trainable
    "demo": {"variants": ["shipped"]},
    # steps per timed run at 128 and 384 tokens (batch 32): long enough that set-up is a few %
    "gpu": {"steps": {128: 150, 384: 60}, "compile": True, "repeats": 2},
}
QUICK: dict[str, Any] = {
    "model": "tiny",
    "small_model": "tiny",
    "repeats": 1,
    "training": {
        "epochs": 1,
        "batch_size": 8,
        "max_length": 32,
        "fixed_examples": 16,
        "realistic_examples": 16,
    },
    "evaluation": {"per_language": 4, "max_length": 32, "split": "test"},
    "mining": {"ratio_size": 1_000, "peak_sizes": [1_000]},
    "scaling": {
        "per_language": 2,
        "base_examples": 8,
        "grid_train_examples": 8,
        "max_length": 32,
        "factors": [1, 4, 16],
        "grid_factors": [1, 2],
    },
    "demo": {"variants": []},  # minutes each: not in the smoke mode
    "gpu": {"steps": {128: 20, 384: 10}, "compile": False, "repeats": 1},
}


def _log(message: str, started: float = time.perf_counter()) -> None:
    print(f"[{time.perf_counter() - started:7.1f}s] {message}", file=sys.stderr, flush=True)


def _machine() -> dict[str, Any]:
    import torch
    import transformers

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "load_average_start": os.getloadavg(),
    }


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("benchmarks"),
        help="folder for results.md and results.json (default: %(default)s)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke mode: tiny random model, small sizes, one repeat",
    )
    parser.add_argument(
        "--only", default="", help=f"comma-separated sections of: {', '.join(SECTIONS)}"
    )
    parser.add_argument("--repeats", type=int, help="override the number of repeats")
    parser.add_argument(
        "--mining-sizes",
        default="",
        help="sentences per side for the xstilts-only mining rows, e.g. 10000,100000 "
        "(10^5 takes ~2 min on 2 cores)",
    )
    parser.add_argument(
        "--demo-variants",
        default="",
        help="demo runs timed end to end: shipped (default), trainable (every parameter trained)",
    )
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    parser.add_argument("--gpu-on-cpu", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    quiet_libraries()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    sizes = QUICK if args.quick else FULL
    repeats = args.repeats or sizes["repeats"]
    if args.repeats:  # the fixed-length training comparison too
        sizes["training"] = {**sizes["training"], "fixed_repeats": args.repeats}
    sections = [s for s in args.only.split(",") if s] if args.only else list(DEFAULT_SECTIONS)
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        print(f"run.py: error: unknown section(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    if any(s in sections for s in ("training", "evaluation", "mining")) and "peak" not in sections:
        sections.insert(0, "peak")
    started = time.perf_counter()
    machine = _machine()
    rows: list[Measurement] = []
    raw: dict[str, Any] = {}
    meta: dict[str, Any] = {
        "command": "python benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine,
        "quick": args.quick,
        "repeats": repeats,
        "sizes": sizes,
    }
    peak_gflops = float("nan")
    if "peak" in sections:
        from bench_peak import measure_peak

        _log("peak: fp32 matmul")
        peak = measure_peak(seconds_per_shape=0.2 if args.quick else 0.6)
        raw["peak"] = peak
        peak_gflops = meta["peak_gflops"] = peak["peak_gflops"]
    needs_model = {"training", "evaluation", "scaling"} & set(sections)
    encoder = tokenizer = None
    if needs_model:
        _log(f"loading {sizes['model']}")
        encoder, tokenizer, meta["model"] = load_model(sizes["model"])
    if "training" in sections:
        import bench_training

        section_rows, raw["training"] = bench_training.run(
            encoder, tokenizer, meta["model"], peak_gflops, sizes["training"], repeats, _log
        )
        rows += section_rows
    if "evaluation" in sections:
        import bench_evaluation

        settings = sizes["evaluation"]
        full_sets = demo_xnli_eval(settings["split"])
        sets = {lang: examples[: settings["per_language"]] for lang, examples in full_sets.items()}
        section_rows, raw["evaluation"] = bench_evaluation.run(
            encoder,
            tokenizer,
            meta["model"],
            peak_gflops,
            sets,
            settings["max_length"],
            repeats,
            _log,
            full_sets=full_sets,
        )
        rows += section_rows
    if "mining" in sections:
        import bench_mining

        settings = sizes["mining"]
        peak_sizes = [int(n) for n in args.mining_sizes.split(",") if n] or settings["peak_sizes"]
        section_rows, raw["mining"] = bench_mining.run(
            peak_gflops, settings["ratio_size"], peak_sizes, repeats, _log
        )
        rows += section_rows
    if "scaling" in sections:
        import bench_scaling

        small, _, meta["small_model"] = load_model(sizes["small_model"])
        section_rows, raw["scaling"] = bench_scaling.run(
            encoder, tokenizer, small, sizes["scaling"], _log
        )
        rows += section_rows
    variants = [v for v in args.demo_variants.split(",") if v] or sizes["demo"]["variants"]
    if "demo" in sections and variants:
        import bench_demo

        section_rows, raw["demo"] = bench_demo.run(variants, _log)
        rows += section_rows
    if "gpu" in sections:
        import bench_gpu

        gpu = sizes["gpu"]
        if args.gpu_on_cpu:  # a check of the module on the CPU, tiny model: not a measurement
            section_rows, raw["gpu"] = bench_gpu.run(
                _log, device="cpu", tiny=True, compile_model=False, steps={16: 3, 32: 3},
                repeats=1, out=args.out,
            )  # fmt: skip
        else:
            section_rows, raw["gpu"] = bench_gpu.run(
                _log, compile_model=gpu["compile"], steps=gpu["steps"], repeats=gpu["repeats"],
                out=args.out,
            )  # fmt: skip
        if raw["gpu"].get("skipped"):
            _log(f"gpu: skipped ({raw['gpu']['skipped']})")
        rows += section_rows
    machine["load_average_end"] = os.getloadavg()
    meta["seconds"] = time.perf_counter() - started
    write_report(args.out, meta, rows, raw)
    _log(f"wrote {args.out / 'results.md'} and {args.out / 'results.json'}")
    print((args.out / "results.md").read_text(encoding="utf-8").split("\n## ")[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
