"""A study's tasks: where each one's data is and its fingerprint (plan data), then its examples.

Two steps, so that planning reads no example: :func:`describe_task` locates a task's folder,
checks that it can play its role and hashes its bytes into a frozen :class:`PlannedTask` (part
of the plan); :func:`task_data` and :func:`load_examples` then read the splits a run needs into
a :class:`TaskData` (the runner's working copy, never part of the plan).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xstilts.config import StudyConfig, TrainConfig
from xstilts.data.examples import any_labelled, first_unlabelled
from xstilts.errors import DataError, XstiltsError
from xstilts.experiments.controls import CONTROL_VARIANTS, apply_control, control_spec
from xstilts.experiments.hashing import directory_digest
from xstilts.experiments.schema import BASELINE
from xstilts.tasks.layout import how_to_get
from xstilts.tasks.registry import get_task, parse_task_name
from xstilts.tasks.spec import TaskSpec

log = logging.getLogger("xstilts")


@dataclass(frozen=True)
class PlannedTask:
    """One task as the plan knows it: names, folder and fingerprint, no examples.

    The spec is looked up from the registry by ``task`` (a plan serialises names, not specs).
    """

    task: str  # the registry name ("mnli" of "mnli@shuffled")
    variant: str | None  # "translate-train" or a control; None for the task itself
    directory: Path
    digest: str  # content hash of the folder's bytes (part of every run id that uses it)
    eval_languages: dict[str, list[str]]  # split -> languages evaluated (empty when intermediate)

    @property
    def spec(self) -> TaskSpec:
        """The spec this task trains and scores with (a control variant's own spec)."""
        spec = get_task(self.task)
        return control_spec(spec, self.variant) if self.variant in CONTROL_VARIANTS else spec

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (the folder as a string)."""
        return {**dataclasses.asdict(self), "directory": str(self.directory)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlannedTask:
        return cls(**{**data, "directory": Path(data["directory"])})


@dataclass
class TaskData:
    """A planned task with, after :func:`load_examples`, its examples (a run's working copy)."""

    spec: TaskSpec
    directory: Path
    digest: str
    eval_languages: dict[str, list[str]]  # split -> languages evaluated (empty when intermediate)
    variant: str | None = None  # "translate-train": English + translated training copies
    train: list[Any] = dataclasses.field(default_factory=list)
    dev_en: list[Any] = dataclasses.field(default_factory=list)
    eval_sets: dict[tuple[str, str], list[Any]] = dataclasses.field(default_factory=dict)


def task_data(planned: PlannedTask) -> TaskData:
    """An empty working copy of a planned task; :func:`load_examples` fills it."""
    return TaskData(
        planned.spec, planned.directory, planned.digest, planned.eval_languages, planned.variant
    )


def describe_task(
    spec: TaskSpec, study: StudyConfig, as_target: bool, variant: str | None = None
) -> PlannedTask:
    """Locate a task's data and fingerprint it, without reading examples (fast: used by plan)."""
    base = spec.name
    directory = Path(study.data_dir) / spec.name
    if variant in CONTROL_VARIANTS:
        spec = control_spec(spec, variant)
    if not directory.is_dir():
        raise XstiltsError(
            f"{directory}: data folder for task {spec.name!r} not found; to get it: "
            f"{how_to_get(get_task(base), directory.parent)}"
        )
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
    return PlannedTask(base, variant, directory, directory_digest(directory), eval_languages)


def describe_tasks(study: StudyConfig) -> dict[str, PlannedTask]:
    """Every task of the study by the name the study gives it: targets first (with the languages
    each evaluates), then intermediate tasks (a target that is also intermediate is kept once)."""
    tasks = {name: describe_task(get_task(name), study, True) for name in study.target_tasks}
    for combo in study.intermediate_tasks:
        for name in combo.split("+"):
            if name == BASELINE:
                continue
            if name not in tasks:
                base, variant = parse_task_name(name)
                tasks[name] = describe_task(get_task(base), study, False, variant)
            elif tasks[name].spec.train_split is None:
                raise XstiltsError(
                    f"task {name!r} cannot be an intermediate task (no training set)"
                )
    return tasks


def _why_missing(spec: TaskSpec, directory: Path, wanted: Sequence[str]) -> str:
    """The loader's own account of where it looked (every path tried and how to get the data),
    for the first language asked for, so "no evaluation data" never leaves the user guessing."""
    split = spec.test_split or spec.dev_split
    data_dir = directory.parent
    languages = [lang for lang in wanted if lang in spec.languages] or list(spec.languages)
    if split is None or not languages:
        return ""
    try:
        spec.load(directory, split, languages[0])
    except XstiltsError as error:
        hint = "" if "to get it:" in str(error) else f"; to get it: {how_to_get(spec, data_dir)}"
        return f"; e.g. {split} {languages[0]!r}: {error}{hint}"
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
        data.train = _english_train(spec, directory)[:cap]
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


def _english_train(spec: TaskSpec, directory: Path) -> list[Any]:
    """The English training set. A missing file also says how to get the data: the loaders of
    the intermediate tasks name the paths they tried, not the command (``how_to_get``)."""
    try:
        return spec.load(directory, spec.train_split or "train", "en")
    except DataError as error:
        text = str(error)
        if "to get it:" in text or not ("expected one of" in text or "file not found" in text):
            raise
        where = error.path if error.line is None else f"{error.path}:{error.line}"
        base = get_task(parse_task_name(spec.name)[0])
        hint = how_to_get(base, directory.parent)
        raise DataError(
            error.path, error.line, f"{text.removeprefix(where + ': ')}; to get it: {hint}"
        ) from None


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
