"""Grid -> DAG: every run of a study, addressed by content hash, without loading a model.

A study expands into intermediate phases (one per intermediate task combination and seed) and
target runs (one per intermediate phase and target task). Each has a key that hashes everything
that determines its result — encoder weights, task, data bytes, the *effective* result-relevant
settings (``experiments/settings.py``: recipe < study < per-task override), seed, world size and
package/code versions (``experiments/provenance.py``) —
so an intermediate checkpoint is trained once for every target that uses it, a finished run is
recognised by its key in the store, and any change that matters yields a new key.

This module imports no torch: ``xstilts plan`` answers in well under a second.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xstilts.config import StudyConfig, TrainConfig
from xstilts.data.examples import any_labelled, first_unlabelled
from xstilts.errors import DataError, XstiltsError
from xstilts.experiments.controls import CONTROL_VARIANTS, apply_control, control_spec
from xstilts.experiments.hashing import content_key, directory_digest
from xstilts.experiments.provenance import config_id, package_versions, world_size
from xstilts.experiments.schema import BASELINE
from xstilts.experiments.settings import (
    Effective,
    effective_retrieval,
    effective_train,
    per_task,
)
from xstilts.experiments.store import ResultStore
from xstilts.models.identity import EncoderIdentity, encoder_identity
from xstilts.tasks.registry import get_task, parse_task_name
from xstilts.tasks.spec import TaskSpec

log = logging.getLogger("xstilts")

STORE_NAME = "results.duckdb"


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


@dataclass
class TaskData:
    """One task as the study uses it: identity (cheap) and, after ``load``, its examples."""

    spec: TaskSpec
    directory: Path
    digest: str
    eval_languages: dict[str, list[str]]  # split -> languages evaluated (empty when intermediate)
    variant: str | None = None  # "translate-train": English + translated training copies
    train: list[Any] = dataclasses.field(default_factory=list)
    dev_en: list[Any] = dataclasses.field(default_factory=list)
    eval_sets: dict[tuple[str, str], list[Any]] = dataclasses.field(default_factory=dict)


def describe_task(
    spec: TaskSpec, study: StudyConfig, as_target: bool, variant: str | None = None
) -> TaskData:
    """Locate a task's data and fingerprint it, without reading examples (fast: used by plan)."""
    directory = Path(study.data_dir) / spec.name
    if variant in CONTROL_VARIANTS:
        spec = control_spec(spec, variant)
    if not directory.is_dir():
        raise XstiltsError(f"{directory}: data folder for task {spec.name!r} not found")
    if variant == "translate-train" and not translated_languages(directory):
        raise XstiltsError(
            f"{directory / 'translate-train'}: no translated training data; expected one folder "
            f"per language (e.g. translate-train/de/) holding {spec.name}'s training file(s)"
        )
    if not as_target and spec.train_split is None:
        raise XstiltsError(f"task {spec.name!r} cannot be an intermediate task (no training set)")
    eval_languages: dict[str, list[str]] = {}
    if as_target:
        for split in (spec.dev_split, spec.test_split):
            if split is not None:
                eval_languages[split] = spec.evaluation_languages(directory, split, study.languages)
        if not any(eval_languages.values()):
            why = _why_missing(spec, directory, study.languages)
            raise XstiltsError(
                f"{directory}: no evaluation data for task {spec.name!r} in languages "
                f"{', '.join(study.languages or spec.languages)}{why}"
            )
        found = {language for languages in eval_languages.values() for language in languages}
        absent = [lang for lang in study.languages if lang in spec.languages and lang not in found]
        if absent:  # a partial language set is evaluated, and said to be partial
            log.warning("%s: no local data for %s; evaluating %s", spec.name, ", ".join(absent),
                        ", ".join(sorted(found)))  # fmt: skip
    return TaskData(spec, directory, directory_digest(directory), eval_languages, variant)


def _why_missing(spec: TaskSpec, directory: Path, wanted: Sequence[str]) -> str:
    """The loader's own account of where it looked (every path tried and how to get the data),
    for the first language asked for, so "no evaluation data" never leaves the user guessing."""
    split = spec.test_split or spec.dev_split
    languages = [lang for lang in wanted if lang in spec.languages] or list(spec.languages)
    if split is None or not languages:
        return ""
    try:
        spec.load(directory, split, languages[0])
    except XstiltsError as error:
        return f"; e.g. {split} {languages[0]!r}: {error}"
    except (OSError, ValueError, KeyError, IndexError):
        return ""
    return ""


def translated_languages(directory: Path) -> list[str]:
    """Languages with a translate-train folder (sorted: the training order is deterministic)."""
    folder = directory / "translate-train"
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def load_examples(data: TaskData, train_config: TrainConfig) -> None:
    """Read every split the study needs into ``data`` (all parse errors surface here)."""
    spec, directory = data.spec, data.directory
    if spec.family != "retrieval" and spec.train_split is not None:
        cap = train_config.max_train_examples
        data.train = spec.load(directory, spec.train_split, "en")[:cap]
        if data.variant == "translate-train":  # same format, one folder per language
            for language in translated_languages(directory):
                folder = directory / "translate-train" / language
                data.train += spec.load(folder, spec.train_split, "en")[:cap]
        if not data.train:
            raise XstiltsError(f"{directory}: task {spec.name!r} has no English training examples")
        if spec.dev_split is not None:
            data.dev_en = spec.load(directory, spec.dev_split, "en")
        data.train, data.dev_en = apply_control(data.variant, data.train, data.dev_en)
    for split, languages in data.eval_languages.items():
        for language in languages:
            data.eval_sets[(split, language)] = spec.load(directory, split, language)
    _require_gold(data)


def _require_gold(data: TaskData) -> None:
    """Train and dev splits must carry gold (training and model selection need it); a test split
    is fully labelled (scored) or fully unlabelled (predicted for submission only), never mixed.
    Retrieval families report missing gold themselves."""
    spec = data.spec
    if spec.family == "retrieval":
        return
    needed = {("train", "en"): data.train, ("dev", "en"): data.dev_en}
    needed.update({key: sets for key, sets in data.eval_sets.items() if key[0] == spec.dev_split})
    optional = {key: sets for key, sets in data.eval_sets.items() if key not in needed}
    for (split, language), examples in {**needed, **optional}.items():
        missing = first_unlabelled(examples)
        if missing is None or ((split, language) in optional and not any_labelled(examples)):
            continue
        raise DataError(
            data.directory,
            None,
            f"{spec.name} {split} ({language}): example {missing!r:.60} has no gold label; "
            + (
                "a file the study trains on or selects with needs its label column/answers"
                if (split, language) in needed
                else "a test file is either fully labelled or fully unlabelled"
            ),
        )


class StudyPlan:
    """The DAG of a study and the status of each node; :class:`StudyRunner` executes it."""

    def __init__(self, study: StudyConfig) -> None:
        self.study = study
        self.output = Path(study.output_dir)
        self.store_path = self.output / STORE_NAME
        self.tasks: dict[str, TaskData] = {}
        self._encoder: EncoderIdentity | None = None

    @property
    def encoder(self) -> EncoderIdentity:
        """Depth and weight fingerprint of the study's encoder (read once, no weights loaded)."""
        if self._encoder is None:
            self._encoder = encoder_identity(self.study.encoder.name)
        return self._encoder

    def provenance(self) -> dict[str, Any]:
        """What besides data and settings determines a score (hashed into every run id)."""
        return {
            "encoder_weights": self.encoder.weights,
            "world_size": world_size(),
            "versions": package_versions(),
        }

    def config_id(self) -> str:
        """The study configuration id stored with every row (``provenance.config_id``)."""
        return config_id(json.loads(self.study.to_json()), self.provenance())

    def intermediate_settings(self, combo: str) -> tuple[Effective, dict[str, Effective]]:
        """The shared optimiser settings of an intermediate phase, and each task's own."""
        names = combo.split("+")
        return (
            effective_train(self.study, "intermediate", names),
            per_task(self.study, "intermediate", names),
        )

    def target_settings(self, target: str) -> Effective:
        """A target run's effective settings (retrieval: layer resolved for the encoder)."""
        if self.tasks[target].spec.family == "retrieval":
            return effective_retrieval(self.study, target, self.encoder)
        return effective_train(self.study, "target", [target])

    def describe(self) -> None:
        """Locate and fingerprint every task (enough to compute every run id)."""
        study = self.study
        for name in study.target_tasks:
            self.tasks[name] = describe_task(get_task(name), study, True)
        for combo in study.intermediate_tasks:
            for name in combo.split("+"):
                if name == BASELINE:
                    continue
                if name not in self.tasks:
                    base, variant = parse_task_name(name)
                    self.tasks[name] = describe_task(get_task(base), study, False, variant)
                elif self.tasks[name].spec.train_split is None:
                    raise XstiltsError(
                        f"task {name!r} cannot be an intermediate task (no training set)"
                    )

    def intermediate_key(self, combo: str, seed: int) -> str:
        study = self.study
        if combo == BASELINE:
            return BASELINE
        shared, own = self.intermediate_settings(combo)
        return content_key(
            phase="intermediate",
            encoder=dataclasses.asdict(study.encoder),
            tasks=combo,
            data={name: self.tasks[name].digest for name in combo.split("+")},
            train=shared.result_relevant(),
            per_task={name: e.result_relevant() for name, e in own.items()},
            seed=seed,
            deterministic=study.deterministic,
            **self.provenance(),
        )

    def target_key(self, combo: str, target: str, seed: int) -> str:
        study = self.study
        return content_key(
            phase="target",
            intermediate=self.intermediate_key(combo, seed),
            encoder=dataclasses.asdict(study.encoder),
            target=target,
            data=self.tasks[target].digest,
            settings=self.target_settings(target).result_relevant(),
            languages=self.tasks[target].eval_languages,
            seed=seed,
            oracle_selection=study.oracle_selection,
            deterministic=study.deterministic,
            **self.provenance(),
        )

    def units(self) -> list[Unit]:
        """Every target run of the study, in seed, intermediate, target order."""
        return [
            Unit(seed, combo, target, self.target_key(combo, target, seed))
            for seed in self.study.seeds
            for combo in self.study.intermediate_tasks
            for target in self.study.target_tasks
        ]

    def intermediate_folder(self, combo: str, seed: int) -> Path:
        """Where the encoder after intermediate phase (combo, seed) is stored."""
        return self.output / "intermediate" / f"{combo}-{self.intermediate_key(combo, seed)}"

    def stored_run_ids(self) -> set[str]:
        """Run ids whose rows are committed in the store (one query)."""
        if not self.store_path.exists():
            return set()
        with ResultStore(self.store_path, read_only=True) as store:
            return store.run_ids()

    def plan(self) -> list[dict[str, Any]]:
        """What ``run`` would do: every run and its status, loading no model and no example."""
        self.describe()
        units = self.units()
        stored = self.stored_run_ids()
        items = []
        for unit in units:
            seed, combo, target, run_id = (
                unit.seed, unit.intermediate_task, unit.target_task, unit.run_id
            )  # fmt: skip
            folder = self.intermediate_folder(combo, seed)
            if combo == BASELINE:
                intermediate = "-"
            elif (folder / "encoder.safetensors").is_file():
                intermediate = "trained"
            elif folder.with_name(folder.name + ".training").exists():
                intermediate = "partial"
            else:
                intermediate = "to train"
            items.append({
                "seed": seed, "intermediate_task": combo, "target_task": target, "run_id": run_id,
                "intermediate": intermediate, "status": "done" if run_id in stored else "pending",
                "settings": self.target_settings(target),
                "intermediate_settings": (
                    None if combo == BASELINE else self.intermediate_settings(combo)[0]
                ),
            })  # fmt: skip
        return items
