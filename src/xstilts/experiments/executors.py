"""Launchers: each runs a function over the pending units of a study (:class:`Work`).

They know units and functions, not the runner: ``runner.StudyRunner`` hands them its
``run_unit`` (this process) and two module-level jobs that rebuild the work in a fresh worker.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from xstilts.config import StudyConfig
from xstilts.errors import XstiltsError
from xstilts.experiments.plan import Unit
from xstilts.experiments.schema import BASELINE, RunRecords

log = logging.getLogger("xstilts")

WriteRows = Callable[[RunRecords], None]


@dataclass(frozen=True)
class Work:
    """What an executor runs.

    ``run`` runs one unit in this process. ``target_job(study, unit)`` and
    ``intermediate_job(study, combo, seed)`` do the same from the study alone in a fresh worker
    process; they must be module-level functions, which Ray and submitit pickle by reference.
    """

    study: StudyConfig
    output: Path  # the study's output folder (submitit's job folder lives under it)
    run: Callable[[Unit], RunRecords]
    target_job: Callable[[StudyConfig, Unit], RunRecords]
    intermediate_job: Callable[[StudyConfig, str, int], None]


Launcher = Callable[..., None]
"""``launch(work, pending, write, progress, **options)``: one of the ``run_*`` below."""


def run_local(work: Work, pending: list[Unit], write: WriteRows, progress: bool) -> None:
    """One run after another in this process."""
    bar = tqdm(pending, desc="study", unit="run", disable=not progress)
    for unit in bar:
        bar.set_postfix_str(f"{unit.intermediate_task} -> {unit.target_task} (seed {unit.seed})")
        write(work.run(unit))


def _target_after(
    job: Callable[[StudyConfig, Unit], RunRecords],
    study: StudyConfig,
    unit: Unit,
    *_dependencies: Any,
) -> RunRecords:
    """``job(study, unit)`` once its intermediate phase (a Ray dependency) is done."""
    return job(study, unit)


def run_ray(
    work: Work,
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
    intermediate = ray.remote(work.intermediate_job).options(**options)
    target = ray.remote(_target_after).options(**options)
    phases: dict[tuple[str, int], Any] = {}
    refs = {}
    for unit in pending:
        combo, seed = unit.intermediate_task, unit.seed
        dependency = []
        if combo != BASELINE:
            if (combo, seed) not in phases:
                phases[(combo, seed)] = intermediate.remote(work.study, combo, seed)
            dependency = [phases[(combo, seed)]]
        refs[target.remote(work.target_job, work.study, unit, *dependency)] = unit
    bar = tqdm(total=len(refs), desc="study (ray)", unit="run", disable=not progress)
    remaining = list(refs)
    while remaining:
        done, remaining = ray.wait(remaining, num_returns=1)
        unit = refs[done[0]]
        write(ray.get(done[0]))
        bar.update(1)
        bar.set_postfix_str(f"{unit.intermediate_task} -> {unit.target_task} (seed {unit.seed})")
    bar.close()


class _SubmititJob:
    """A picklable job for submitit: run one phase; on preemption, requeue the same call."""

    def __init__(self, job: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.job, self.args = job, args

    def __call__(self) -> Any:
        return self.job(*self.args)

    def checkpoint(self, *args: Any, **kwargs: Any) -> Any:
        """Requeue unchanged: training resumes from the checkpoint it wrote to disk."""
        import submitit

        return submitit.helpers.DelayedSubmission(self)


def run_slurm(
    work: Work,
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
    executor = submitit.AutoExecutor(
        folder=folder or str(work.output / "submitit"), cluster=cluster
    )
    executor.update_parameters(**(slurm_parameters or {}))
    phases = sorted(
        {(u.intermediate_task, u.seed) for u in pending if u.intermediate_task != BASELINE}
    )
    if phases:
        jobs = executor.submit_array(
            [
                _SubmititJob(work.intermediate_job, (work.study, combo, seed))
                for combo, seed in phases
            ]
        )
        for job in tqdm(jobs, desc="intermediate jobs", unit="job", disable=not progress):
            job.result()  # raises with the job's log if it failed
    jobs = executor.submit_array(
        [_SubmititJob(work.target_job, (work.study, unit)) for unit in pending]
    )
    for job in tqdm(jobs, desc="study (slurm)", unit="run", disable=not progress):
        write(job.result())
