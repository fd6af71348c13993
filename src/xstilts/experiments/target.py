"""The target phase of a trained task: fine-tune on English, then score every language.

True zero-shot: the kept parameters are chosen on English dev (``en_dev``) or are the last ones
(``last``: the recipe's or study's rule, or a task without an English dev set). Every (split,
language) is scored under them; optionally also under the checkpoint average (``ckpt_avg``) and
at each language's own best dev step (``oracle``, an upper bound: ``experiments/oracle.py``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from xstilts.config import StudyConfig, TrainConfig
from xstilts.experiments.context import PhaseScores, Processes
from xstilts.experiments.encoders import new_head
from xstilts.experiments.oracle import OracleTracker
from xstilts.experiments.settings import Effective, with_settings
from xstilts.experiments.task_data import TaskData
from xstilts.experiments.training import train_phase
from xstilts.families.base import Family, predict_sets, predict_sets_timed
from xstilts.families.items import item_records
from xstilts.families.registry import trainable_family
from xstilts.files import atomic_write_text
from xstilts.models.heads import EncoderWithHeads
from xstilts.tasks.recipe import Selection
from xstilts.tasks.spec import TaskSpec
from xstilts.train.checkpoint import swapped_parameters

SetKey = tuple[str, str]  # (split, language)
Scores = dict[tuple[str, str, str], float]  # (split, language, metric) -> value


@dataclass
class SetScorer:
    """Scores evaluation sets with the model's current parameters.

    The final pass (``write_to`` given) predicts and times each (split, language) on its own
    (``predict_sets_timed``), writes the prediction files (main process) and keeps the item
    scores labelled with the kept selection; the dev passes during training pool every set.
    """

    family: Family
    model: nn.Module
    spec: TaskSpec
    tokenizer: Any
    config: TrainConfig
    kept: Selection
    is_main: bool
    items: list[dict[str, Any]] = field(default_factory=list)
    eval_seconds: dict[SetKey, float] = field(default_factory=dict)

    def __call__(
        self, chosen: Mapping[SetKey, Sequence[Any]], write_to: Path | None = None
    ) -> Scores:
        config = self.config
        args = (self.family, self.model, self.spec, chosen, self.tokenizer, config.max_length,
                config.eval_batch_size, config.precision)  # fmt: skip
        # the kept evaluation times each language on its own; dev passes pool them all
        timed: dict[SetKey, float] = {}
        if write_to is None:
            predictions = predict_sets(*args)
        else:
            predictions, timed = predict_sets_timed(*args)
        scores: Scores = {}
        for (split, language), examples in chosen.items():
            clock = time.perf_counter()
            predicted = predictions[(split, language)]
            for metric, value in self.family.score(
                predicted, examples, self.spec, language
            ).items():
                scores[(split, language, metric)] = value
            if write_to is not None:  # the kept model's final pass: its items and files
                self.items.extend(
                    item_records(self.family, predicted, examples, self.spec, split, language,
                                 self.kept.value)
                )  # fmt: skip
                self.eval_seconds[(split, language)] = timed[(split, language)] + (
                    time.perf_counter() - clock
                )
                if self.is_main:
                    atomic_write_text(
                        write_to / f"{split}-{language}.{self.spec.prediction_suffix}",
                        self.family.format_predictions(examples, predicted),
                    )
        return scores


def fine_tune_and_predict(
    study: StudyConfig,
    encoder: nn.Module,
    tokenizer: Any,
    data: TaskData,
    seed: int,
    run_dir: Path,
    settings: Effective,
    processes: Processes,
    feature_cache: Path,
) -> PhaseScores:
    """Train on English with the run's effective settings; score every (split, language), and
    each item of it under the kept parameters (the item records, without run id).

    With ``oracle_selection``, every dev evaluation also scores every language's dev set, and
    each language additionally gets its scores at the step where *its own* dev score peaked
    (selection ``oracle``, Keung et al. 2020; see ``experiments/oracle.py``).
    """
    config = settings.values
    spec = with_settings(data.spec, config)
    torch.manual_seed(seed)
    model = EncoderWithHeads(encoder, {spec.name: new_head(study, encoder, spec)})
    kept = Selection.EN_DEV if data.dev_en and config.selection == "en_dev" else Selection.LAST
    score = SetScorer(
        trainable_family(spec.family), model, spec, tokenizer, config, kept, processes.is_main
    )
    sets = dict(sorted(data.eval_sets.items()))
    dev_sets = {key: examples for key, examples in sets.items() if key[0] == spec.dev_split}
    oracle = OracleTracker(run_dir, spec.metric, spec.dev_split or "dev", processes.is_main)

    def record(step: int) -> None:
        oracle.record(step, score(dev_sets), model)

    info = train_phase(
        model, [data], tokenizer, config, seed, f"target {spec.name}",
        run_dir / "checkpoint", processes.progress, log_dir=run_dir / "logs",
        trackers=study.trackers, on_evaluation=record if study.oracle_selection else None,
        feature_cache=feature_cache,
    )  # fmt: skip
    predictions_dir = run_dir / "predictions"
    predictions_dir.mkdir(exist_ok=True)
    selected = score(sets, predictions_dir)
    scores: dict[tuple[Any, ...], float] = {
        (*key, kept.value): value for key, value in selected.items()
    }
    average = info.pop("average_state", None)
    if average:
        with swapped_parameters(model, average):
            scores.update({(*k, "ckpt_avg"): v for k, v in score(sets).items()})
    if study.oracle_selection and oracle.history:
        scores.update(oracle.final_scores(model, sets, selected, info["best_step"], score))
        info["oracle_steps"] = oracle.steps()
    return PhaseScores(scores, score.eval_seconds, info, score.items)
