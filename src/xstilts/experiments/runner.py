"""Run a study in-process: the X-STILTs chain for every (intermediate task, target task, seed).

    encoder ──► intermediate task (English) ──► target task (English train) ──► every language
        │              (skipped for "none")      retrieval targets: no training, scored directly
        └── only the encoder carries over between phases; every phase gets a new head

The runner composes: the plan (``plan.StudyPlan``, frozen data) says which units there are and
with which settings; the runner reads the tasks' examples (``task_data``); the phases
(``intermediate``, ``target``, ``retrieval_phase``) are functions; an executor (``executors``)
runs a function over the pending units. An intermediate checkpoint is addressed by content hash
and trained once for all target tasks; a target run whose rows are already in the store is
skipped, so re-running a study resumes it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch import nn

from xstilts.config import StudyConfig
from xstilts.errors import XstiltsError, counted
from xstilts.experiments import executors
from xstilts.experiments.context import PhaseScores, Processes
from xstilts.experiments.intermediate import encoder_after_intermediate, intermediate_seconds
from xstilts.experiments.oracle import ORACLE_STATES
from xstilts.experiments.plan import STORE_NAME, StudyPlan, Unit, make_plan, stored_run_ids
from xstilts.experiments.retrieval_phase import retrieval_scores
from xstilts.experiments.run_rows import commit_kept_runs, write_run_rows
from xstilts.experiments.schema import BASELINE, RunRecords
from xstilts.experiments.settings import with_layer
from xstilts.experiments.store import ResultStore
from xstilts.experiments.target import fine_tune_and_predict
from xstilts.experiments.task_data import TaskData, load_examples, task_data
from xstilts.experiments.timing import peak_memory_mib, reset_peak_memory
from xstilts.files import atomic_write_text, discard_folder
from xstilts.locking import output_lock
from xstilts.train.determinism import enable_determinism

log = logging.getLogger("xstilts")

__all__ = ["STORE_NAME", "StudyRunner", "StudySummary", "run_study"]


@dataclass
class StudySummary:
    runs_done: int
    runs_skipped: int
    rows_written: int
    store_path: Path
    seconds: float


def score_rows(
    base: dict[str, Any],
    scores: dict[tuple[Any, ...], float],
    layer: int | None,
    eval_seconds: dict[tuple[str, str], float],
) -> list[dict[str, Any]]:
    """One store row per score; a retrieval row records the layer it was embedded at (a sweep
    row its own layer, any other the run's)."""
    return [
        {
            **base, "split": split, "language": language, "metric": metric,
            "selection": str(sel), "value": value,
            "layer": sel_layer if sel_layer is not None else layer,
            "eval_seconds": eval_seconds.get((split, language), 0.0),
        }
        for (split, language, metric, sel, sel_layer), value in sorted(
            with_layer(scores).items(), key=lambda item: str(item[0])
        )
    ]  # fmt: skip


def run_config(plan: StudyPlan, combo: str, target: str, seed: int) -> dict[str, Any]:
    """Everything one run's scores depend on, stored as ``config.json`` and in every row.

    ``effective`` holds each phase's values *and the origin of each value* (recipe, study,
    per-task override or default), so a row is traceable to its settings.
    """
    effective: dict[str, Any] = {"target": plan.target_settings[target].describe()}
    if combo != BASELINE:
        phase = plan.intermediate(combo, seed)
        effective["intermediate"] = phase.settings.describe()
        effective["intermediate_tasks"] = {n: e.describe() for n, e in phase.task_settings.items()}
    return {
        "study": json.loads(plan.study.to_json()),
        "intermediate_task": combo,
        "target_task": target,
        "seed": seed,
        "effective": effective,
        "provenance": plan.provenance,
        "config_id": plan.config_id,
    }


def run_base(
    plan: StudyPlan,
    unit: Unit,
    config: dict[str, Any],
    started: datetime,
    seconds: float,
    result: PhaseScores,
) -> dict[str, Any]:
    """The columns every row of one run shares."""
    return {
        "run_id": unit.run_id,
        "study": plan.study.name,
        "encoder": plan.study.encoder.name,
        "intermediate_task": unit.intermediate_task,
        "target_task": unit.target_task,
        "seed": unit.seed,
        "config_json": json.dumps(config, sort_keys=True),
        "config_id": config["config_id"],
        "started_at": started,
        "seconds": seconds,
        "train_seconds": float(result.train_info.get("seconds", 0.0)),
        "intermediate_seconds": intermediate_seconds(plan, unit.intermediate_task, unit.seed),
        "peak_memory_mib": peak_memory_mib(),
    }


class StudyRunner:
    """Runs every unit of a study's plan; each target run's rows are committed to the store at
    once. It has a plan (``self.plan``, frozen), the tasks' examples (``self.data``, read by
    :meth:`prepare`) and the processes that run it (``self.processes``)."""

    def __init__(self, study: StudyConfig, progress: bool = True) -> None:
        if study.deterministic:  # before anything touches CUDA (cuBLAS reads its env once)
            enable_determinism()
        self.plan = make_plan(study)
        self.data: dict[str, TaskData] = {}
        # Under `accelerate launch`/torchrun every process runs the same units in lockstep (the
        # training loop shards batches and averages gradients); only the main process writes.
        self.processes = Processes.current(progress)

    def prepare(self) -> None:
        """Read every task's data now, so a bad file fails before any training or store write."""
        plan = self.plan
        intermediate = {n: e for p in plan.intermediates for n, e in p.task_settings.items()}
        for name, planned in plan.tasks.items():
            data = task_data(planned)
            if name in intermediate:
                config = intermediate[name].values
            elif data.spec.family == "retrieval":
                config = plan.study.target  # nothing is trained: only the evaluation sets load
            else:
                config = plan.target_settings[name].values
            load_examples(data, config)
            self.data[name] = data

    # -- execution --------------------------------------------------------------------------
    def run(self, executor: str = "local", **executor_options: Any) -> StudySummary:
        """Run every pending unit with ``executor`` (``local``, ``ray`` or ``slurm``);
        resume-safe."""
        launchers = {
            "local": executors.run_local,
            "ray": executors.run_ray,
            "slurm": executors.run_slurm,
        }
        if executor not in launchers:
            raise XstiltsError(f"unknown executor {executor!r}; expected local, ray or slurm")
        output = self.plan.output
        output.mkdir(parents=True, exist_ok=True)
        # One study process per output folder; torchrun's other ranks follow the main one.
        is_main = self.processes.is_main
        lock = output_lock(output) if is_main else contextlib.nullcontext()
        with lock, _study_log(output / "xstilts.log", is_main):
            return self._run_pending(launchers[executor], executor_options)

    def _run_pending(self, launch: executors.Launcher, options: dict[str, Any]) -> StudySummary:
        plan, processes = self.plan, self.processes
        start = time.perf_counter()
        done = rows = 0
        units = plan.units
        if processes.is_main:
            log.info("study %r: %s", plan.study.name, _study_line(plan.study))
            # runs that finished, but a kill beat their commit:
            stored = stored_run_ids(plan.store_path)
            kept = [plan.output / "runs" / u.run_id for u in units if u.run_id not in stored]
            commit_kept_runs(plan.store_path, kept)
        processes.barrier()
        stored = stored_run_ids(plan.store_path)
        pending = [u for u in units if u.run_id not in stored]
        if pending:
            self.prepare()  # every file is parsed before the store is opened for writing
        processes.barrier()  # every process has read the store before the main one writes
        work = executors.Work(plan.study, plan.output, self.run_unit, target_job, intermediate_job)
        if not processes.is_main:
            launch(work, pending, lambda unit_rows: None, False, **options)
            return StudySummary(0, len(units) - len(pending), 0, plan.store_path, 0.0)
        skipped = len(units) - len(pending)
        if skipped:
            log.info("resuming: %d of %s already in the store", skipped, counted(len(units), "run"))

        def write(unit: RunRecords) -> None:
            # The store is opened only to commit, so readers (`xstilts results`) work mid-study.
            nonlocal rows, done
            with ResultStore(plan.store_path) as store:
                rows += store.add_run(unit["rows"], unit["items"])
            done += 1

        if not plan.store_path.exists():
            ResultStore(plan.store_path).close()  # an empty store from the start
        launch(work, pending, write, processes.progress, **options)
        summary = StudySummary(done, skipped, rows, plan.store_path, time.perf_counter() - start)
        log.info("study %r: %s done, %d already stored, %s in %.1f s", plan.study.name,
                 counted(done, "run"), skipped, counted(rows, "row"), summary.seconds)  # fmt: skip
        return summary

    def ensure_intermediate(self, combo: str, seed: int) -> None:
        """Train and store the intermediate checkpoint (combo, seed) unless it exists."""
        encoder_after_intermediate(self.plan, self.data, combo, seed, self.processes)

    def run_unit(self, unit: Unit) -> RunRecords:
        """One target run after its intermediate phase (trained on first use): its rows and
        items, written to its run folder (``rows.json`` first: from then on a kill loses no
        work) before the executor commits them to the store."""
        plan, processes = self.plan, self.processes
        started = datetime.now(timezone.utc).replace(tzinfo=None)
        clock = time.perf_counter()
        reset_peak_memory()
        combo, seed = unit.intermediate_task, unit.seed
        encoder, tokenizer = encoder_after_intermediate(plan, self.data, combo, seed, processes)
        run_dir = plan.output / "runs" / unit.run_id
        run_dir.mkdir(parents=True, exist_ok=True)
        config = run_config(plan, combo, unit.target_task, seed)
        if processes.is_main:
            atomic_write_text(run_dir / "config.json", json.dumps(config, indent=2))
        result = self.target_phase(encoder, tokenizer, unit, run_dir)
        seconds = time.perf_counter() - clock
        processes.barrier()
        base = run_base(plan, unit, config, started, seconds, result)
        log.info(
            "run %s (%s -> %s, seed %d): %s in %.1f s (target training %.1f s, evaluation "
            "%.1f s, peak memory %.0f MiB)", unit.run_id, combo, unit.target_task, seed,
            counted(len(result.scores), "score"), seconds, base["train_seconds"],
            sum(result.eval_seconds.values()), base["peak_memory_mib"],
        )  # fmt: skip
        if unscored := _unscored(result.scores, self.data[unit.target_task].eval_sets):
            log.info(
                "run %s: predicted, not scored (no gold in the data): %s", unit.run_id, unscored
            )
        rows = score_rows(base, result.scores, result.layer, result.eval_seconds)
        items = [{"run_id": unit.run_id, **item} for item in result.items]
        records: RunRecords = {"rows": rows, "items": items}
        if processes.is_main:
            atomic_write_text(run_dir / "train.json", json.dumps(result.train_info, indent=2))
            write_run_rows(run_dir, records)
            discard_folder(run_dir / "checkpoint")
            discard_folder(run_dir / ORACLE_STATES)
        return records

    def target_phase(
        self, encoder: nn.Module, tokenizer: Any, unit: Unit, run_dir: Path
    ) -> PhaseScores:
        """The unit's last phase: scoring a retrieval task, or fine-tuning a trained one."""
        plan = self.plan
        data, settings = self.data[unit.target_task], plan.target_settings[unit.target_task]
        if data.spec.family == "retrieval":
            return retrieval_scores(
                encoder, tokenizer, data, run_dir, settings, plan.encoder.depth, self.processes
            )
        return fine_tune_and_predict(
            plan.study, encoder, tokenizer, data, unit.seed, run_dir, settings, self.processes,
            plan.output / "features",
        )  # fmt: skip


# -- what an executor runs in a fresh worker process (module-level: picklable by reference) ----
def worker_runner(study: StudyConfig) -> StudyRunner:
    """A runner in a worker process (Ray, submitit), its data read."""
    if study.threads:
        torch.set_num_threads(study.threads)
    runner = StudyRunner(study, progress=False)
    runner.prepare()
    return runner


def intermediate_job(study: StudyConfig, combo: str, seed: int) -> None:
    """Train (or find) the intermediate checkpoint (combo, seed) in a worker."""
    worker_runner(study).ensure_intermediate(combo, seed)


def target_job(study: StudyConfig, unit: Unit) -> RunRecords:
    """Run one unit in a worker."""
    return worker_runner(study).run_unit(unit)


def _unscored(scores: Mapping[tuple[Any, ...], float], sets: Mapping[tuple[str, str], Any]) -> str:
    """The evaluated (split, language) sets without a score: their data holds no gold (XTREME's
    download blanks test labels), so they were predicted for submission only."""
    scored = {(key[0], key[1]) for key in scores}
    return ", ".join(f"{split} {lang}" for split, lang in sets if (split, lang) not in scored)


def _study_line(study: StudyConfig) -> str:
    """The study's grid in one log line."""
    return (
        f"encoder {study.encoder.name}; intermediate {', '.join(study.intermediate_tasks)}; "
        f"targets {', '.join(study.target_tasks)}; seeds {', '.join(map(str, study.seeds))}"
    )


class _LogFile(logging.FileHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        """Drop the line: on a full disk logging would print a traceback per message, while
        the next checkpoint or row write stops the study with one line saying why."""


@contextlib.contextmanager
def _study_log(path: Path, attach: bool = True) -> Iterator[None]:
    """Log INFO and above to the study folder while the study runs (the console keeps the
    progress bars), then detach: a process that runs several studies (the controlled design
    runs one per seed) must not write one study's lines into another's log."""
    if not attach:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = _LogFile(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield
    finally:
        log.removeHandler(handler)
        handler.close()


def run_study(
    study: StudyConfig, progress: bool = True, executor: str = "local", **executor_options: Any
) -> StudySummary:
    """Run (or resume) a whole study; returns counts and the store path."""
    if study.threads:
        torch.set_num_threads(study.threads)
    return StudyRunner(study, progress=progress).run(executor, **executor_options)
