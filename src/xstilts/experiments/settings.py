"""The effective settings of one run, and where each value came from.

Precedence, lowest first (design.md "Settings precedence"):

1. ``default``: the study section's dataclass default (``config.TrainConfig``/``RetrievalConfig``);
2. ``recipe:<source>``: the task's reference recipe (``TaskSpec.recipe``, ``tasks/recipe.py``);
3. ``study``: a key the study's ``intermediate:``/``target:``/``retrieval:`` section sets
   *explicitly* (``config.explicit_keys``; an unset key never beats a recipe);
4. ``tasks.<name>``: the study's per-task override section.

A multi-task intermediate phase shares one optimiser, so a key whose effective values differ
between its tasks falls back to the study section's value and says so; each task still featurizes
with its own ``max_length``/``doc_stride`` (``per_task``). This module loads no model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xstilts.config import RetrievalConfig, StudyConfig, TrainConfig, explicit_keys
from xstilts.errors import ConfigError
from xstilts.models.identity import EncoderIdentity
from xstilts.tasks.recipe import xtreme_layer
from xstilts.tasks.registry import get_task, parse_task_name
from xstilts.tasks.spec import TaskSpec

DEFAULT = "default"
STUDY = "study"

# Settings that cannot change a score: how often a resume point is saved, how many examples one
# prediction batch holds. Everything else of a section is hashed into the run id.
NOT_RESULT_RELEVANT = frozenset({"checkpoint_every_steps", "eval_batch_size"})


@dataclass(frozen=True)
class Effective:
    """One section's values for one run, with the origin of every key."""

    values: Any  # TrainConfig | RetrievalConfig
    sources: dict[str, str]

    def result_relevant(self) -> dict[str, Any]:
        """The values a run id hashes."""
        settings = dataclasses.asdict(self.values)
        return {k: v for k, v in settings.items() if k not in NOT_RESULT_RELEVANT}

    def describe(self) -> dict[str, Any]:
        """The values and their origins, as a run's stored config holds them."""
        return {
            "values": dataclasses.asdict(self.values),
            "sources": dict(sorted(self.sources.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (a plan's serialised form): ``section`` names the values' dataclass."""
        section = "retrieval" if isinstance(self.values, RetrievalConfig) else "train"
        return {"section": section, **self.describe()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Effective:
        """The inverse of :meth:`to_dict`."""
        section = RetrievalConfig if data["section"] == "retrieval" else TrainConfig
        return cls(section(**data["values"]), dict(data["sources"]))

    def lines(self) -> list[tuple[str, Any, str]]:
        """``(key, value, source)`` for every key, recipe/study/override ones first."""
        items = [(k, getattr(self.values, k), s) for k, s in self.sources.items()]
        return sorted(items, key=lambda item: (item[2] == DEFAULT, item[0]))


def _layered(section: Any, task: str, study: StudyConfig) -> tuple[dict[str, Any], dict[str, str]]:
    """One task's values and sources for ``section`` (a study section object)."""
    values = dataclasses.asdict(section)
    sources = dict.fromkeys(values, DEFAULT)
    base, _ = parse_task_name(task)
    for key, setting in get_task(base).recipe.settings().items():
        if key in values and key != "layer":
            values[key] = setting.value
            sources[key] = f"recipe:{setting.source}"
    for key in explicit_keys(section):
        values[key] = getattr(section, key)
        sources[key] = STUDY
    for key, value in study.tasks.get(base, {}).items():
        values[key] = value
        sources[key] = f"tasks.{base}"
    if "warmup_steps" in values and _rank(sources["warmup_ratio"]) > _rank(sources["warmup_steps"]):
        # a warm-up *ratio* set above the layer that fixed warm-up *steps* replaces them
        values["warmup_steps"], sources["warmup_steps"] = None, sources["warmup_ratio"]
    return values, sources


def _rank(source: str) -> int:
    """Precedence of a source: default < recipe < study < tasks.<name>."""
    if source.startswith("tasks."):
        return 3
    return {STUDY: 2, DEFAULT: 0}.get(source, 1)


def effective_train(study: StudyConfig, phase: str, tasks: Sequence[str]) -> Effective:
    """The ``phase`` ("intermediate" or "target") settings for a phase training ``tasks``."""
    section: TrainConfig = getattr(study, phase)
    layers = [_layered(section, task, study) for task in tasks]
    if len(layers) == 1:
        values, sources = layers[0]
        return Effective(TrainConfig(**values), sources)
    values, sources = {}, {}
    for key, study_value in dataclasses.asdict(section).items():
        seen = [layer[0][key] for layer in layers]
        origins = list(dict.fromkeys(layer[1][key] for layer in layers))
        if all(value == seen[0] for value in seen):
            values[key], sources[key] = seen[0], " + ".join(origins)
        else:
            differ = ", ".join(f"{t}={v}" for t, v in zip(tasks, seen, strict=True))
            values[key], sources[key] = study_value, f"{DEFAULT} (tasks differ: {differ})"
    return Effective(TrainConfig(**values), sources)


def per_task(study: StudyConfig, phase: str, tasks: Sequence[str]) -> dict[str, Effective]:
    """Each task's own settings (its featurization length and QA window within a shared phase)."""
    return {task: effective_train(study, phase, [task]) for task in tasks}


def effective_retrieval(study: StudyConfig, task: str, encoder: EncoderIdentity) -> Effective:
    """Retrieval settings of ``task`` with the layer resolved for ``encoder``'s depth.

    An explicit ``layer`` outside the encoder's ``hidden_states`` is a one-line error naming the
    key that set it, raised by ``xstilts plan``/``run`` before any model is loaded.
    """
    values, sources = _layered(study.retrieval, task, study)
    depth = encoder.depth
    if sources["layer"] == DEFAULT:
        rule = get_task(task).recipe.layer_rule
        if rule is not None and rule.value == "xtreme":
            values["layer"], sources["layer"] = xtreme_layer(depth), f"recipe:{rule.source}"
        else:
            values["layer"], sources["layer"] = depth, f"{DEFAULT} (last layer)"
    layer = values["layer"]
    if layer is None:
        layer = values["layer"] = depth
    if not -(depth + 1) <= layer <= depth:
        where = "retrieval.layer" if sources["layer"] == STUDY else f"{sources['layer']}.layer"
        raise ConfigError(
            f"{where}: layer {layer} is out of range for encoder {encoder.name!r} ({depth} layers: "
            f"0 = embeddings ... {depth} = last, or -{depth + 1} ... -1)"
        )
    values["layer"] = layer % (depth + 1)  # negative -> the same hidden state counted from 0
    return Effective(RetrievalConfig(**values), sources)


def with_settings(spec: TaskSpec, config: TrainConfig) -> TaskSpec:
    """The spec as the family sees it in this run: a QA window with the effective doc stride."""
    if spec.family != "span_qa":
        return spec
    return dataclasses.replace(spec, defaults={**spec.defaults, "doc_stride": config.doc_stride})


def with_layer(scores: dict[tuple[Any, ...], float]) -> dict[tuple[Any, ...], float]:
    """Score keys as (split, language, metric, selection, layer); trained runs have no layer."""
    return {(key if len(key) == 5 else (*key, None)): value for key, value in scores.items()}
