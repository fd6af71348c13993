"""xstilts benchmark suite: xstilts against Hugging Face / numpy references, as ratios, in one run.

    make bench        # = python benchmarks/run.py --out benchmarks --demo-from xstilts-demo
    python benchmarks/run.py --out /tmp/bench --quick    # smoke mode: tiny model, ~1 minute
    python benchmarks/run.py --out /tmp/b --only training --variants trainable --repeats 2

Writes ``results.md`` (one table: measurement, xstilts, reference named, ratio, target, met?;
then, per ratio, its settings, number of ABBA pairs, the lowest and highest pair ratio and the
load average; then how each side was run) and ``results.json`` (every row with its raw repeats,
the machine, the commit). Every ratio is xstilts speed ÷ reference speed measured in this
process, the two sides alternated (ABBA) over the repeats, median reported: > 1 means xstilts is
faster. Sections:

- ``peak``: the machine's fp32 matmul peak (``bench_peak``), the denominator of every MFU;
- ``training``: ``training.train_phase`` vs ``transformers.Trainer`` (``bench_training``), with
  the word embeddings frozen and trained (``--variants``), MFU of each;
- ``evaluation``: zero-shot over every language vs a per-language HF loop (``bench_evaluation``);
- ``mining``: BUCC margin mining vs naive numpy (``bench_mining``);
- ``scaling``: cost growth with languages, examples, grid runs; re-plan time (``bench_scaling``);
- ``demo``: ``xstilts demo`` end to end, minutes and peak memory: read from the folder of a demo
  that already ran (``--demo-from``; ``make bench`` reads ``xstilts-demo``, what ``make demo``
  writes), or run here (``--demo-variants shipped,trainable``, ~8 min each; ``bench_demo``);
- ``gpu``: xstilts vs ``Trainer`` on one GPU, both in bf16 + SDPA + fused AdamW + compile,
  XLM-R-base shapes at 128 and 384 tokens, with MFU (``bench_gpu``; ``make bench-gpu``), skipped
  without CUDA.

Where training time goes (a ``torch.profiler`` breakdown): ``benchmarks/profile_training.py``.
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

# Sizes: FULL is `make bench` (the demo read from its folder, --demo-from): ~9 min on an idle
# 2-core machine, estimated from the sections' measured times (frozen training ~2.7 min, trained
# ~3 min, evaluation ~2 min, mining and scaling ~1 min); re-running the demo instead adds ~8 min.
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
        "realistic_examples": 320,
        # ABBA repeats per variant and data set. Frozen, fixed length: both sides run the same
        # model code, a ratio near 1, so more (short) repeats keep it steady.
        "repeats": {
            "frozen": {"fixed": 7, "realistic": 3},
            "trainable": {"fixed": 5, "realistic": 3},
        },
    },
    # the whole demo test split (7 x 120 pairs; fewer leave one part-full batch per language)
    # at XNLI's max_seq_length in run_xnli.py and XTREME's scripts (128)
    # 2 pairs: its ratios are far from their targets and steady (pairs within 6%, 2026-11-25)
    "evaluation": {"per_language": None, "max_length": 128, "split": "test", "repeats": 2},
    "mining": {"ratio_size": 10_000, "peak_sizes": [10_000], "repeats": 2},
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
        "repeats": {
            "frozen": {"fixed": 1, "realistic": 1},
            "trainable": {"fixed": 1, "realistic": 1},
        },
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


REPO = Path(__file__).resolve().parents[1]


def _commit() -> str:
    """The checkout's commit, with the files that differ from it (a number's exact source)."""
    import subprocess

    def git(*command: str) -> str:
        done = subprocess.run(["git", *command], capture_output=True, text=True, cwd=REPO)
        return done.stdout.rstrip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown (not a git checkout)"
    changed = git("status", "--porcelain", "--untracked-files=no", "--", "src", "benchmarks")
    files = [line[3:] for line in changed.splitlines() if len(line) > 3]  # "XY path"
    return commit + (f" + uncommitted changes in {', '.join(files)}" if files else "")


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
        "--demo-from",
        type=Path,
        help="read the demo's minutes and peak memory from this finished `xstilts demo` output "
        "folder instead of re-running it (make bench: xstilts-demo)",
    )
    parser.add_argument(
        "--demo-time",
        type=Path,
        help="with --demo-from: GNU `time -v` output of that demo run (exact wall time, max RSS)",
    )
    parser.add_argument(
        "--demo-variants",
        default="",
        help="demo runs timed end to end: shipped (default), trainable (every parameter trained)",
    )
    parser.add_argument(
        "--variants",
        default="frozen,trainable",
        help="training section: word embeddings frozen, trainable, or both (default)",
    )
    parser.add_argument(
        "--training-examples",
        default="",
        help="training sizes FIXED,REALISTIC (default 32,320): smaller on a loaded machine",
    )
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    parser.add_argument("--gpu-on-cpu", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


class Suite:
    """One run of the suite: its settings, the model it loaded, and the rows and raw data so far.

    Each section is one method; ``repeats(section)`` is the number of ABBA repeats a section
    runs (``--repeats`` overrides every one of them)."""

    def __init__(self, args: argparse.Namespace, sizes: dict[str, Any], meta: dict) -> None:
        self.args, self.sizes, self.meta = args, sizes, meta
        self.rows: list[Measurement] = []
        self.raw: dict[str, Any] = {}
        self.peak_gflops = float("nan")
        self.encoder: Any = None
        self.tokenizer: Any = None

    def repeats(self, section: str) -> int:
        return int(self.args.repeats or self.sizes[section].get("repeats", self.sizes["repeats"]))

    def add(self, section: str, result: tuple[list[Measurement], dict[str, Any]]) -> None:
        self.rows += result[0]
        self.raw[section] = result[1]

    def peak(self) -> None:
        from bench_peak import measure_peak

        _log("peak: fp32 matmul")
        peak = measure_peak(seconds_per_shape=0.2 if self.args.quick else 0.6)
        self.raw["peak"] = peak
        self.peak_gflops = self.meta["peak_gflops"] = peak["peak_gflops"]

    def training(self) -> None:
        import bench_training

        settings = dict(self.sizes["training"])
        settings["variants"] = [v for v in self.args.variants.split(",") if v]
        if self.args.training_examples:
            fixed, realistic = (int(n) for n in self.args.training_examples.split(","))
            settings["fixed_examples"], settings["realistic_examples"] = fixed, realistic
        if self.args.repeats:
            settings["repeats"] = {
                variant: {"fixed": self.args.repeats, "realistic": self.args.repeats}
                for variant in settings["repeats"]
            }
        self.add("training", bench_training.run(
            self.encoder, self.tokenizer, self.meta["model"], self.peak_gflops, settings, _log
        ))  # fmt: skip

    def evaluation(self) -> None:
        import bench_evaluation

        settings = self.sizes["evaluation"]
        full_sets = demo_xnli_eval(settings["split"])
        sets = {lang: examples[: settings["per_language"]] for lang, examples in full_sets.items()}
        self.add("evaluation", bench_evaluation.run(
            self.encoder, self.tokenizer, self.meta["model"], self.peak_gflops, sets,
            settings["max_length"], self.repeats("evaluation"), _log, full_sets=full_sets,
        ))  # fmt: skip

    def mining(self) -> None:
        import bench_mining

        settings = self.sizes["mining"]
        sizes = [int(n) for n in self.args.mining_sizes.split(",") if n] or settings["peak_sizes"]
        self.add("mining", bench_mining.run(
            self.peak_gflops, settings["ratio_size"], sizes, self.repeats("mining"), _log
        ))  # fmt: skip

    def scaling(self) -> None:
        import bench_scaling

        small, _, self.meta["small_model"] = load_model(self.sizes["small_model"])
        self.add("scaling", bench_scaling.run(
            self.encoder, self.tokenizer, small, self.sizes["scaling"], _log
        ))  # fmt: skip

    def demo(self) -> None:
        """Read a finished demo's timing (``--demo-from``) or run the demo (``--demo-variants``)."""
        import bench_demo

        variants = [v for v in self.args.demo_variants.split(",") if v]
        if self.args.demo_from and not variants:
            self.add("demo", bench_demo.read(self.args.demo_from, self.args.demo_time, _log))
        elif variants := variants or self.sizes["demo"]["variants"]:
            self.add("demo", bench_demo.run(variants, _log))

    def gpu(self) -> None:
        import bench_gpu

        gpu = self.sizes["gpu"]
        if self.args.gpu_on_cpu:  # a check of the module on the CPU, tiny model: not a measurement
            result = bench_gpu.run(
                _log, device="cpu", tiny=True, compile_model=False, steps={16: 3, 32: 3},
                repeats=1, out=self.args.out,
            )  # fmt: skip
        else:
            result = bench_gpu.run(
                _log, compile_model=gpu["compile"], steps=gpu["steps"], repeats=gpu["repeats"],
                out=self.args.out,
            )  # fmt: skip
        self.add("gpu", result)
        if result[1].get("skipped"):
            _log(f"gpu: skipped ({result[1]['skipped']})")


def _repeats_text(args: argparse.Namespace, sizes: dict[str, Any]) -> str:
    """How many ABBA pairs each section ran, for the report's header."""
    if args.repeats:
        return f"{args.repeats} pairs in every section"
    training = sizes["training"]["repeats"]
    parts = [
        f"training with embeddings {variant}: {n['fixed']} fixed-length / {n['realistic']} "
        "realistic-length pairs"
        for variant, n in training.items()
    ]
    for section in ("evaluation", "mining"):
        parts.append(f"{section}: {sizes[section].get('repeats', sizes['repeats'])} pairs")
    return "; ".join(parts)


def _sections(args: argparse.Namespace) -> list[str] | None:
    """The sections to run, in the suite's order (the peak first: every MFU divides by it)."""
    asked = {s for s in args.only.split(",") if s} if args.only else set(DEFAULT_SECTIONS)
    unknown = sorted(asked - set(SECTIONS))
    if unknown:
        print(f"run.py: error: unknown section(s) {', '.join(unknown)}", file=sys.stderr)
        return None
    if asked & {"training", "evaluation", "mining"}:
        asked.add("peak")
    return [s for s in SECTIONS if s in asked]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    quiet_libraries()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    sections = _sections(args)
    if sections is None:
        return 2
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    machine = _machine()
    meta: dict[str, Any] = {
        "command": "python benchmarks/run.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine,
        "commit": _commit(),
        "quick": args.quick,
        "repeats": _repeats_text(args, sizes),
        "sizes": sizes,
    }
    suite = Suite(args, sizes, meta)
    for section in sections:
        if section in ("training", "evaluation", "scaling") and suite.encoder is None:
            _log(f"loading {sizes['model']}")  # after the peak, as the suite always did
            suite.encoder, suite.tokenizer, meta["model"] = load_model(sizes["model"])
        suite.raw.setdefault("load", {})[section] = os.getloadavg()
        getattr(suite, section)()
    machine["load_average_end"] = os.getloadavg()
    meta["seconds"] = time.perf_counter() - started
    write_report(args.out, meta, suite.rows, suite.raw)
    _log(f"wrote {args.out / 'results.md'} and {args.out / 'results.json'}")
    print((args.out / "results.md").read_text(encoding="utf-8").split("\n## ")[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
