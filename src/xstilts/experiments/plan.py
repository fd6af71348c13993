"""Grid -> DAG: every run of a study, addressed by content hash, without loading a model.

A study expands into intermediate phases (one per intermediate task combination and seed) and
target runs (one per intermediate phase and target task). Each has a key that hashes everything
that determines its result — encoder weights, task, data bytes, the *effective* result-relevant
settings (``experiments/settings.py``: recipe < study < per-task override), seed, world size and
package/code versions (``experiments/provenance.py``) —
so an intermediate checkpoint is trained once for every target that uses it, a finished run is
recognised by its key in the store, and any change that matters yields a new key.

The plan is data: :func:`make_plan` computes a frozen :class:`StudyPlan` once, which prints,
compares and round-trips through JSON (``to_dict``/``from_dict``); the runner and the phases read
it and never change it. What is already done is a question about the output folder, not about the
plan: :func:`run_status` answers it.

This module imports no torch: ``xstilts plan`` answers in well under a second.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xstilts.config import StudyConfig, explicit_keys, study_from_dict
from xstilts.config_checks import skipped_cells
from xstilts.experiments.hashing import content_key
from xstilts.experiments.provenance import config_id, package_versions, world_size
from xstilts.experiments.schema import BASELINE
from xstilts.experiments.settings import (
    Effective,
    effective_retrieval,
    effective_train,
    per_task,
)
from xstilts.experiments.store import ResultStore
from xstilts.experiments.task_data import PlannedTask, describe_tasks
from xstilts.models.identity import EncoderIdentity, encoder_identity

STORE_NAME = "results.duckdb"
# The study sections whose explicitly set keys beat a task's recipe (``config.explicit_keys``).
SECTIONS = ("intermediate", "target", "retrieval")


@dataclass(frozen=True)
class Unit:
    """One target run: the unit of work whose rows are committed together.

    Plain data (frozen, printable, ``dataclasses.asdict`` gives its JSON): executors hand units
    to workers and the plan prints them; fields are read by name, never by position.
    """

    seed: int
    intermediate_task: str
    target_task: str
    run_id: str


@dataclass(frozen=True)
class IntermediatePhase:
    """One intermediate checkpoint (task combination, seed): trained once, for every target."""

    tasks: str  # "mnli" or "mnli+sst2"
    seed: int
    key: str  # content hash: the checkpoint's folder name, and part of its targets' run ids
    settings: Effective  # the shared optimiser settings of the phase
    task_settings: dict[str, Effective]  # each task's own (its featurisation length, QA window)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tasks": self.tasks, "seed": self.seed, "key": self.key,
            "settings": self.settings.to_dict(),
            "task_settings": {name: e.to_dict() for name, e in self.task_settings.items()},
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IntermediatePhase:
        own = {name: Effective.from_dict(e) for name, e in data["task_settings"].items()}
        settings = Effective.from_dict(data["settings"])
        return cls(data["tasks"], data["seed"], data["key"], settings, own)


@dataclass(frozen=True)
class StudyPlan:
    """The DAG of a study as data: its tasks, intermediate phases and target runs, with the
    effective settings and content key of each. Built by :func:`make_plan`; never mutated."""

    study: StudyConfig
    encoder: EncoderIdentity  # depth and weight fingerprint (no weights loaded)
    provenance: dict[str, Any]  # what besides data and settings a score depends on
    config_id: str  # the study configuration id stored with every row
    tasks: dict[str, PlannedTask]  # by the name the study gives it ("mnli@shuffled")
    target_settings: dict[str, Effective]  # per target task (retrieval: layer resolved)
    intermediates: tuple[IntermediatePhase, ...]  # seed, then combination order; no baseline
    units: tuple[Unit, ...]  # every target run, in seed, intermediate, target order

    @property
    def output(self) -> Path:
        return Path(self.study.output_dir)

    @property
    def store_path(self) -> Path:
        return self.output / STORE_NAME

    def intermediate(self, combo: str, seed: int) -> IntermediatePhase:
        """The intermediate phase (combo, seed); the baseline has none."""
        for phase in self.intermediates:
            if phase.tasks == combo and phase.seed == seed:
                return phase
        raise KeyError(f"no intermediate phase {combo!r} (seed {seed}) in this plan")

    def intermediate_key(self, combo: str, seed: int) -> str:
        return BASELINE if combo == BASELINE else self.intermediate(combo, seed).key

    def intermediate_folder(self, combo: str, seed: int) -> Path:
        """Where the encoder after intermediate phase (combo, seed) is stored."""
        return self.output / "intermediate" / f"{combo}-{self.intermediate_key(combo, seed)}"

    def to_dict(self) -> dict[str, Any]:
        """The plan as plain JSON values (``from_dict`` reads it back equal)."""
        return {
            "study": _study_dict(self.study),
            "encoder": dataclasses.asdict(self.encoder),
            "provenance": self.provenance,
            "config_id": self.config_id,
            "tasks": {name: task.to_dict() for name, task in self.tasks.items()},
            "target_settings": {name: e.to_dict() for name, e in self.target_settings.items()},
            "intermediates": [phase.to_dict() for phase in self.intermediates],
            "units": [dataclasses.asdict(unit) for unit in self.units],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudyPlan:
        return cls(
            study=study_from_dict(data["study"], "<plan>"),
            encoder=EncoderIdentity(**data["encoder"]),
            provenance=data["provenance"],
            config_id=data["config_id"],
            tasks={name: PlannedTask.from_dict(t) for name, t in data["tasks"].items()},
            target_settings={
                name: Effective.from_dict(e) for name, e in data["target_settings"].items()
            },
            intermediates=tuple(IntermediatePhase.from_dict(p) for p in data["intermediates"]),
            units=tuple(Unit(**unit) for unit in data["units"]),
        )


def _study_dict(study: StudyConfig) -> dict[str, Any]:
    """The study as ``study_from_dict`` reads it back with the same explicit keys: a section keeps
    only the keys the study set (every other key holds its default), so a recipe still wins."""
    data: dict[str, Any] = json.loads(study.to_json())
    for section in SECTIONS:
        keys = sorted(explicit_keys(getattr(study, section)))  # a set: sorted, or the JSON varies
        data[section] = {key: data[section][key] for key in keys}
    return data


def make_plan(study: StudyConfig) -> StudyPlan:
    """Locate and fingerprint every task, resolve every phase's settings and key every run."""
    tasks = describe_tasks(study)
    encoder = encoder_identity(study.encoder.name)
    provenance = {
        "encoder_weights": encoder.weights,
        "world_size": world_size(),
        "versions": package_versions(),
    }
    targets = {
        name: effective_retrieval(study, name, encoder)
        if tasks[name].spec.family == "retrieval"
        else effective_train(study, "target", [name])
        for name in study.target_tasks
    }
    intermediates = tuple(
        _intermediate_phase(study, tasks, combo, seed, provenance)
        for seed in study.seeds
        for combo in study.intermediate_tasks
        if combo != BASELINE
    )
    keys = {(phase.tasks, phase.seed): phase.key for phase in intermediates}
    skipped = skipped_cells(study)
    units = tuple(
        Unit(seed, combo, target, _target_key(
            study, tasks[target], targets[target], keys.get((combo, seed), BASELINE), seed,
            provenance,
        ))
        for seed in study.seeds
        for combo in study.intermediate_tasks
        for target in study.target_tasks
        if (combo, target) not in skipped
    )  # fmt: skip
    identity = config_id(json.loads(study.to_json()), provenance)
    return StudyPlan(study, encoder, provenance, identity, tasks, targets, intermediates, units)


def _target_key(
    study: StudyConfig,
    task: PlannedTask,
    settings: Effective,
    intermediate_key: str,
    seed: int,
    provenance: dict[str, Any],
) -> str:
    return content_key(
        phase="target",
        intermediate=intermediate_key,
        encoder=dataclasses.asdict(study.encoder),
        target=task.task,
        data=task.digest,
        settings=settings.result_relevant(),
        languages=task.eval_languages,
        seed=seed,
        oracle_selection=study.oracle_selection,
        deterministic=study.deterministic,
        **provenance,
    )


def _intermediate_phase(
    study: StudyConfig,
    tasks: dict[str, PlannedTask],
    combo: str,
    seed: int,
    provenance: dict[str, Any],
) -> IntermediatePhase:
    names = combo.split("+")
    shared = effective_train(study, "intermediate", names)
    own = per_task(study, "intermediate", names)
    key = content_key(
        phase="intermediate",
        encoder=dataclasses.asdict(study.encoder),
        tasks=combo,
        data={name: tasks[name].digest for name in names},
        train=shared.result_relevant(),
        per_task={name: e.result_relevant() for name, e in own.items()},
        seed=seed,
        deterministic=study.deterministic,
        **provenance,
    )
    return IntermediatePhase(combo, seed, key, shared, own)


@dataclass(frozen=True)
class RunStatus:
    """Where one unit stands in the output folder."""

    unit: Unit
    checkpoint: str  # its intermediate encoder: "-" (baseline), "trained", "partial", "to train"
    done: bool  # its rows are committed to the store


@dataclass(frozen=True)
class PlanSummary:
    """The counts ``xstilts plan`` reports."""

    runs: int
    done: int
    to_run: int
    checkpoints_to_train: int  # distinct intermediate phases a pending run still needs


def stored_run_ids(store_path: Path) -> set[str]:
    """Run ids whose rows are committed in the store (one query)."""
    if not store_path.exists():
        return set()
    with ResultStore(store_path, read_only=True) as store:
        return store.run_ids()


def run_status(plan: StudyPlan) -> list[RunStatus]:
    """Every unit's status, loading no model and no example."""
    stored = stored_run_ids(plan.store_path)
    statuses = []
    for unit in plan.units:
        folder = plan.intermediate_folder(unit.intermediate_task, unit.seed)
        if unit.intermediate_task == BASELINE:
            checkpoint = "-"
        elif (folder / "encoder.safetensors").is_file():
            checkpoint = "trained"
        elif folder.with_name(folder.name + ".training").exists():
            checkpoint = "partial"
        else:
            checkpoint = "to train"
        statuses.append(RunStatus(unit, checkpoint, unit.run_id in stored))
    return statuses


def summarize(statuses: list[RunStatus]) -> PlanSummary:
    """What is left to do: pending runs and the intermediate checkpoints they still need."""
    pending = [status for status in statuses if not status.done]
    to_train = {
        (s.unit.intermediate_task, s.unit.seed) for s in pending if s.checkpoint != "trained"
    }
    to_train = {phase for phase in to_train if phase[0] != BASELINE}
    return PlanSummary(len(statuses), len(statuses) - len(pending), len(pending), len(to_train))
