"""One training phase of a study: any trainable family, one task or several mixed by a sampler.

Featurized training sets are cached by content; each epoch's batches are a pure function of
(seed, epoch), which is what lets the loop resume a killed run exactly; model selection reads the
mean English-dev headline metric over the phase's tasks. The loop itself is ``train.loop.train``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from xstilts.config import TrainConfig
from xstilts.data.cache import cached, tokenizer_digest
from xstilts.data.featurize import training_batches
from xstilts.experiments.settings import with_settings
from xstilts.experiments.task_data import TaskData
from xstilts.families.base import Family, predict_sets
from xstilts.families.registry import trainable_family
from xstilts.models.heads import EncoderWithHeads
from xstilts.models.packing import pack_batch
from xstilts.tasks.spec import TaskSpec
from xstilts.train.loop import train
from xstilts.train.packing import packing_first_position
from xstilts.train.samplers import interleave

Batch = dict[str, Any]


def phase_features(
    data: TaskData,
    family: Family,
    spec: TaskSpec,
    config: TrainConfig,
    tokenizer: Any,
    feature_cache: Path | None,
) -> list[Any]:
    """The task's featurized training set, cached under everything that determines it."""
    key = {
        "task": data.spec.name,
        "variant": data.variant,
        "data": data.digest,
        "examples": len(data.train),
        "tokenizer": tokenizer_digest(tokenizer),
        "max_length": config.max_length,
        "doc_stride": config.doc_stride,
        "family": data.spec.family,
    }
    return cached(
        feature_cache,
        key,
        lambda: family.featurize(data.train, tokenizer, spec, config.max_length),
    )


def epoch_batches(
    features: Mapping[str, Sequence[Any]],
    families: Mapping[str, Family],
    examples: Sequence[int],
    pad_id: int,
    config: TrainConfig,
    seed: int,
    packing: Mapping[str, tuple[int, int]] | None = None,
) -> Callable[[int], list[Batch]]:
    """``batches(epoch)``: every task's length-grouped batches, mixed by ``config.sampler``.

    A pure function of (seed, epoch): a resumed run rebuilds exactly the same batches. The last
    epoch asked for is kept, as the loop asks for it again (it counts the steps of epoch 0 first).
    """
    kept: dict[int, list[Batch]] = {}

    def build(epoch: int) -> list[Batch]:
        generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
        per_task: list[list[Batch]] = []
        for name, feats in features.items():
            lengths = [families[name].feature_length(f) for f in feats]
            batches = []
            for indices in training_batches(lengths, config.batch_size, generator):
                batch = families[name].collate([feats[i] for i in indices], pad_id)
                if packing and name in packing:  # same loss, fewer padded tokens
                    batch = pack_batch(batch, packing[name][0], pad_id, packing[name][1])
                batch["task"] = name
                batches.append(batch)
            per_task.append(batches)
        # jiant samples tasks by their numbers of examples
        return interleave(per_task, config.sampler, config.temperature, generator, examples)

    def batches(epoch: int) -> list[Batch]:
        if epoch not in kept:
            kept.clear()
            kept[epoch] = build(epoch)
        return kept[epoch]

    return batches


def dev_evaluator(
    model: nn.Module,
    tasks: Sequence[TaskData],
    families: Mapping[str, Family],
    specs: Mapping[str, TaskSpec],
    own: Mapping[str, TrainConfig],
    tokenizer: Any,
    config: TrainConfig,
    on_evaluation: Callable[[int], None] | None,
) -> Callable[[int], float] | None:
    """``evaluate(step)``: the mean English-dev headline metric over the tasks that have a dev
    set (None when none has one); ``on_evaluation(step)`` is called first at every point."""
    with_dev = [data for data in tasks if data.dev_en]
    if not with_dev:
        return None

    def evaluate(step: int) -> float:
        if on_evaluation is not None:
            on_evaluation(step)
        scores = []
        for data in with_dev:
            family, spec = families[data.spec.name], specs[data.spec.name]
            predicted = predict_sets(
                family, model, spec, {"en": data.dev_en}, tokenizer, own[spec.name].max_length,
                config.eval_batch_size, config.precision,
            )["en"]  # fmt: skip
            scores.append(family.score(predicted, data.dev_en, data.spec, "en")[data.spec.metric])
        return sum(scores) / len(scores)

    return evaluate


def train_phase(
    model: EncoderWithHeads,
    tasks: Sequence[TaskData],
    tokenizer: Any,
    config: TrainConfig,
    seed: int,
    description: str,
    checkpoint_dir: Path | None = None,
    progress: bool = True,
    log_dir: Path | None = None,
    trackers: Sequence[str] = (),
    on_evaluation: Callable[[int], None] | None = None,
    feature_cache: Path | None = None,
    task_configs: dict[str, TrainConfig] | None = None,
) -> dict[str, Any]:
    """Train the encoder with one head per task (several tasks: mixed by ``config.sampler``).

    ``config`` drives the optimiser; ``task_configs`` (default: ``config``) gives each task its
    own featurization length and QA window. Model selection uses the mean English-dev headline
    metric over the tasks (or keeps the last step, ``config.selection == "last"``).
    """
    families = {data.spec.name: trainable_family(data.spec.family) for data in tasks}
    own = {data.spec.name: (task_configs or {}).get(data.spec.name, config) for data in tasks}
    specs = {data.spec.name: with_settings(data.spec, own[data.spec.name]) for data in tasks}
    features = {
        name: phase_features(data, families[name], specs[name], own[name], tokenizer, feature_cache)
        for data in tasks
        for name in [data.spec.name]
    }
    examples = [len(data.train) for data in tasks]
    packing = {  # rows of max_length tokens, positions from the encoder's first (train/packing.py)
        name: (own[name].max_length, first)
        for name, family in families.items()
        if (first := packing_first_position(config, family.name, model.encoder)) is not None
    }
    batches = epoch_batches(
        features, families, examples, tokenizer.pad_token_id, config, seed, packing
    )

    def compute_loss(m: nn.Module, batch: Batch) -> torch.Tensor:
        return families[batch["task"]].loss(m, batch["task"], batch)

    evaluate = dev_evaluator(model, tasks, families, specs, own, tokenizer, config, on_evaluation)
    result = train(
        model, batches, compute_loss, evaluate, config, description,
        checkpoint_dir=checkpoint_dir, checkpoint_every=config.checkpoint_every_steps,
        progress=progress, log_dir=log_dir, trackers=trackers,
    )  # fmt: skip
    return dataclasses.asdict(result)
