"""Cost growth: time and peak memory as languages, training examples and grid runs grow 1×, 4×, 16×.

- **languages**: zero-shot evaluation (``FAMILY.predict`` + ``score`` per language, the runner's
  loop) over 1, 4 and 16 languages of ``per_language`` examples each (16 languages are the demo's
  XNLI test languages cycled under new codes), with the benchmark's main model;
- **examples**: one training phase (``training.train_phase``) on 1×, 4×, 16× ``base`` examples of
  the realistic length distribution, one epoch, with the small random-init encoder, so the
  pipeline around the model (featurize, batching, the loop's bookkeeping) is not hidden behind
  model time;
- **grid runs**: a whole study run through ``StudyRunner.run`` (store, run folders, intermediate
  checkpoints, English-dev selection, every language) with 1, 4 and 16 target runs (seeds), the
  small encoder saved as a local model folder; then the *finished* grid is re-planned in process
  (``make_plan`` + ``run_status``), resumed in process (``StudyRunner.run``: nothing to do) and
  re-planned by the CLI in a fresh process (``xstilts plan``: interpreter start and imports
  included).

Memory: ``peak_mib`` is the peak RSS *above* the RSS at the start of the measurement (what the
step needed beyond what the process already held; the allocator reuses pages freed by earlier
steps, so small steps show ~0), ``peak_rss_mib`` the process's absolute peak RSS during it.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import Measurement, PeakMemory
from bench_data import DEMO_DATA, demo_xnli_eval, realistic_examples, xnli_task_data

FACTORS = (1, 4, 16)


def _languages(
    encoder: Any, tokenizer: Any, per_language: int, max_length: int, factors: tuple[int, ...]
) -> dict:
    import bench_evaluation

    base = demo_xnli_eval("test")
    codes = list(base)
    model = bench_evaluation._model(encoder)
    out: dict[int, dict[str, float]] = {}
    bench_evaluation.xstilts_evaluate(
        model, tokenizer, {"en": base["en"][:4]}, max_length
    )  # warm-up
    for factor in factors:
        sets = {
            f"{codes[i % len(codes)]}{i // len(codes) or ''}": base[codes[i % len(codes)]][
                :per_language
            ]
            for i in range(factor)
        }
        with PeakMemory() as memory:
            start = time.perf_counter()
            bench_evaluation.xstilts_evaluate(model, tokenizer, sets, max_length)
            seconds = time.perf_counter() - start
        out[factor] = {
            "seconds": seconds,
            "peak_mib": memory.peak_mib,
            "peak_rss_mib": memory.peak_rss_mib,
            "examples": factor * per_language,
        }
    return out


def _examples(
    encoder: Any, tokenizer: Any, base: int, max_length: int, factors: tuple[int, ...]
) -> dict:
    import torch

    from xstilts.config import EncoderConfig, TrainConfig
    from xstilts.experiments.training import train_phase
    from xstilts.families.classification import FAMILY
    from xstilts.models.heads import EncoderWithHeads

    pool = realistic_examples(base * factors[-1], seed=3)
    config = TrainConfig(epochs=1, batch_size=16, max_length=max_length, learning_rate=5e-5)
    out: dict[int, dict[str, float]] = {}
    for factor in (1, *factors):  # the first run is a warm-up
        torch.manual_seed(0)
        data = xnli_task_data(pool[: base * factor], f"scale{factor}")
        head = FAMILY.new_head(encoder.config.hidden_size, data.spec, EncoderConfig())
        model = EncoderWithHeads(encoder, {"xnli": head})
        with PeakMemory() as memory:
            start = time.perf_counter()
            train_phase(model, [data], tokenizer, config, 0, "scale", progress=False)
            seconds = time.perf_counter() - start
        out[factor] = {
            "seconds": seconds,
            "peak_mib": memory.peak_mib,
            "peak_rss_mib": memory.peak_rss_mib,
            "examples": base * factor,
        }
    return out


def _write_study(folder: Path, model_dir: Path, runs: int, train_examples: int) -> Path:
    import yaml

    study = {
        "name": f"bench-grid-{runs}",
        "encoder": {"name": str(model_dir), "freeze_embeddings": True, "pooling": "mean"},
        "intermediate_tasks": ["none"],
        "target_tasks": ["xnli"],
        "seeds": list(range(runs)),
        "languages": ["en", "de"],
        "data_dir": str(DEMO_DATA),
        "output_dir": str(folder / "out"),
        "target": {
            "epochs": 1,
            "batch_size": 16,
            "max_length": 64,
            "max_train_examples": train_examples,
        },
        "trackers": [],
    }
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(study), encoding="utf-8")
    return path


def _grid(
    small_encoder: Any, tokenizer: Any, train_examples: int, factors: tuple[int, ...]
) -> dict:
    from xstilts.config import load_study
    from xstilts.experiments.plan import make_plan, run_status
    from xstilts.experiments.runner import StudyRunner

    out: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="xstilts-bench-grid-") as tmp:
        model_dir = Path(tmp) / "encoder"
        small_encoder.save_pretrained(model_dir)
        tokenizer.save_pretrained(model_dir)
        for factor in (1, *factors):  # the first grid is a warm-up
            folder = Path(tmp) / f"grid{factor}-{len(out)}"
            folder.mkdir()
            study = load_study(_write_study(folder, model_dir, factor, train_examples))
            with PeakMemory() as memory:
                start = time.perf_counter()
                summary = StudyRunner(study, progress=False).run()
                seconds = time.perf_counter() - start
            assert summary.runs_done == factor, summary
            start = time.perf_counter()
            statuses = run_status(make_plan(study))
            plan_seconds = time.perf_counter() - start
            assert all(status.done for status in statuses)
            start = time.perf_counter()
            resumed = StudyRunner(study, progress=False).run()
            resume_seconds = time.perf_counter() - start
            assert resumed.runs_done == 0
            cli = Path(sys.executable).with_name("xstilts")
            start = time.perf_counter()
            subprocess.run(
                [str(cli), "plan", str(folder / "study.yaml"), "--quiet"],
                check=True,
                capture_output=True,
                timeout=120,
            )
            cli_seconds = time.perf_counter() - start
            out[factor] = {
                "seconds": seconds,
                "peak_mib": memory.peak_mib,
                "peak_rss_mib": memory.peak_rss_mib,
                "runs": factor,
                "replan_seconds": plan_seconds,
                "resume_seconds": resume_seconds,
                "cli_plan_seconds": cli_seconds,
            }
    return out


def run(
    encoder: Any,
    tokenizer: Any,
    small_encoder: Any,
    settings: dict[str, Any],
    log: Any,
) -> tuple[list[Measurement], dict[str, Any]]:
    factors = tuple(settings.get("factors", FACTORS))
    log("scaling: languages")
    languages = _languages(
        encoder, tokenizer, settings["per_language"], settings["max_length"], factors
    )
    log("scaling: training examples")
    examples = _examples(
        small_encoder, tokenizer, settings["base_examples"], settings["max_length"], factors
    )
    log("scaling: grid runs")
    grid = _grid(
        small_encoder,
        tokenizer,
        settings["grid_train_examples"],
        tuple(settings.get("grid_factors", factors)),
    )
    raw = {"languages": languages, "examples": examples, "grid": grid, "settings": settings}
    rows = []
    for name, table in (
        ("languages", languages),
        ("training examples", examples),
        ("grid runs", grid),
    ):
        steps = sorted(table)
        lo, hi = steps[0], steps[-1]
        growth = hi // lo
        linearity = table[hi]["seconds"] / (growth * table[lo]["seconds"])
        rows.append(
            Measurement(
                section="scaling",
                name=f"cost growth with {name}: time({growth}×) ÷ ({growth} · time(1×))",
                xstilts=table[hi]["seconds"],
                reference=growth * table[lo]["seconds"],
                reference_name=f"{growth} × time at 1× (linear growth)",
                unit="s",
                ratio=linearity,
                target="≤ 1.25 (≈ linear)",
                target_value=1.25,
                lower_is_better=True,
                details={str(f): dataclasses.asdict(_Row(**table[f])) for f in steps},
            )
        )
    worst_plan = max(max(g["replan_seconds"], g["resume_seconds"]) for g in grid.values())
    worst_cli = max(g["cli_plan_seconds"] for g in grid.values())
    rows.append(
        Measurement(
            section="scaling",
            name="re-plan a finished grid (in process: plan and resume; seconds)",
            xstilts=worst_plan,
            reference=None,
            reference_name="(absolute target)",
            unit="s",
            ratio=worst_plan,
            target="< 1 s",
            target_value=1.0,
            lower_is_better=True,
            details={
                "cli_plan_seconds": worst_cli,
                "by_runs": {str(f): grid[f] for f in sorted(grid)},
            },
        )
    )
    return rows, raw


@dataclasses.dataclass
class _Row:
    seconds: float
    peak_mib: float
    peak_rss_mib: float
    examples: int = 0
    runs: int = 0
    replan_seconds: float = 0.0
    resume_seconds: float = 0.0
    cli_plan_seconds: float = 0.0
