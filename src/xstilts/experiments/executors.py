"""Launchers around the one code path that does the work (``StudyRunner.run_unit``).

- ``local``: in this process, one run after another (the laptop and the single-GPU case).
- ``ray``: independent runs spread over a Ray cluster's CPUs/GPUs (``ray.init(address=...)``; a
  local cluster when no address is given). Intermediate phases are Ray tasks too, and every target
  run that needs one depends on it, so each intermediate checkpoint is trained exactly once.

- ``slurm``: submitit job arrays (intermediate phases, then target runs); a preempted job is
  requeued through submitit's checkpoint hook and resumes from its last training checkpoint.
  ``cluster="local"`` runs the same jobs as local subprocesses (used in the tests).

In all of them, only the driver writes to the results store, one transaction per finished run, so a
killed grid loses at most the runs in flight. We never schedule work ourselves beyond expressing
the dependency: Ray does the placement (ray-project's guidance for task graphs).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from tqdm.auto import tqdm

from xstilts.config import StudyConfig
from xstilts.errors import XstiltsError
from xstilts.experiments.plan import Unit
from xstilts.experiments.schema import BASELINE, RunRecords

log = logging.getLogger("xstilts")

WriteRows = Callable[[RunRecords], None]


def run_local(runner: Any, pending: list[Unit], write: WriteRows, progress: bool) -> None:
    """One run after another in this process."""
    bar = tqdm(pending, desc="study", unit="run", disable=not progress)
    for unit in bar:
        bar.set_postfix_str(f"{unit.intermediate_task} -> {unit.target_task} (seed {unit.seed})")
        write(runner.run_unit(unit.seed, unit.intermediate_task, unit.target_task, unit.run_id))


def _worker_runner(study: StudyConfig) -> Any:
    import torch

    from xstilts.experiments.runner import StudyRunner

    if study.threads:
        torch.set_num_threads(study.threads)
    runner = StudyRunner(study, progress=False)
    runner.describe()
    runner.prepare()
    return runner


def _intermediate_job(study: StudyConfig, combo: str, seed: int) -> str:
    runner = _worker_runner(study)
    runner.ensure_intermediate(combo, seed)
    return str(runner.intermediate_folder(combo, seed))


def _target_job(
    study: StudyConfig, seed: int, combo: str, target: str, run_id: str, *_dependencies: Any
) -> RunRecords:
    records: RunRecords = _worker_runner(study).run_unit(seed, combo, target, run_id)
    return records


def run_ray(
    runner: Any,
    pending: list[Unit],
    write: WriteRows,
    progress: bool,
    address: str | None = None,
    num_cpus: int | None = None,
    cpus_per_run: float = 1,
    gpus_per_run: float = 0,
) -> None:
    """Submit intermediate phases and target runs as Ray tasks; write rows as runs finish."""
    try:
        import ray
    except ImportError:
        raise XstiltsError("executor 'ray' needs Ray: pip install 'ray>=2.9'") from None
    if not ray.is_initialized():
        ray.init(
            address=address,
            num_cpus=num_cpus if address is None else None,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    options = {"num_cpus": cpus_per_run, "num_gpus": gpus_per_run, "max_retries": 0}
    intermediate = ray.remote(_intermediate_job).options(**options)
    target = ray.remote(_target_job).options(**options)
    study = runner.study
    phases: dict[tuple[str, int], Any] = {}
    refs = {}
    for unit in pending:
        seed, combo, task, run_id = unit.seed, unit.intermediate_task, unit.target_task, unit.run_id
        dependency = []
        if combo != BASELINE:
            if (combo, seed) not in phases:
                phases[(combo, seed)] = intermediate.remote(study, combo, seed)
            dependency = [phases[(combo, seed)]]
        refs[target.remote(study, seed, combo, task, run_id, *dependency)] = (seed, combo, task)
    bar = tqdm(total=len(refs), desc="study (ray)", unit="run", disable=not progress)
    remaining = list(refs)
    while remaining:
        done, remaining = ray.wait(remaining, num_returns=1)
        seed, combo, task = refs[done[0]]
        write(ray.get(done[0]))
        bar.update(1)
        bar.set_postfix_str(f"{combo} -> {task} (seed {seed})")
    bar.close()


class _SubmititJob:
    """A picklable job for submitit: run one phase; on preemption, requeue the same call."""

    def __init__(self, study: StudyConfig, kind: str, args: tuple[Any, ...]) -> None:
        self.study, self.kind, self.args = study, kind, args

    def __call__(self) -> Any:
        if self.kind == "intermediate":
            return _intermediate_job(self.study, *self.args)
        return _target_job(self.study, *self.args)

    def checkpoint(self, *args: Any, **kwargs: Any) -> Any:
        """Requeue unchanged: training resumes from the checkpoint it wrote to disk."""
        import submitit

        return submitit.helpers.DelayedSubmission(self)


def run_slurm(
    runner: Any,
    pending: list[Unit],
    write: WriteRows,
    progress: bool,
    cluster: str | None = None,
    folder: str | None = None,
    slurm_parameters: dict[str, Any] | None = None,
) -> None:
    """Two job arrays through submitit: every needed intermediate phase, then every target run."""
    try:
        import submitit
    except ImportError:
        raise XstiltsError("executor 'slurm' needs submitit: pip install submitit") from None
    study = runner.study
    executor = submitit.AutoExecutor(
        folder=folder or str(runner.output / "submitit"), cluster=cluster
    )
    executor.update_parameters(**(slurm_parameters or {}))
    phases = sorted(
        {(u.intermediate_task, u.seed) for u in pending if u.intermediate_task != BASELINE}
    )
    if phases:
        jobs = executor.submit_array(
            [_SubmititJob(study, "intermediate", (combo, seed)) for combo, seed in phases]
        )
        for job in tqdm(jobs, desc="intermediate jobs", unit="job", disable=not progress):
            job.result()  # raises with the job's log if it failed
    jobs = executor.submit_array(
        [_SubmititJob(study, "target", (u.seed, u.intermediate_task, u.target_task, u.run_id))
         for u in pending]
    )  # fmt: skip
    for job in tqdm(jobs, desc="study (slurm)", unit="run", disable=not progress):
        write(job.result())
