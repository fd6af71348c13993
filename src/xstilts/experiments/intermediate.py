"""The intermediate phase: the encoder as a target run receives it.

An intermediate checkpoint is addressed by content hash (``IntermediatePhase.key`` of the plan) and
trained once for every target task and run that uses it; a later run loads it. Only the encoder
is kept: every target phase gets a new head.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from xstilts.errors import XstiltsError
from xstilts.experiments.context import Processes
from xstilts.experiments.encoders import (
    build_encoder,
    load_encoder_state,
    new_head,
    save_encoder,
)
from xstilts.experiments.plan import StudyPlan
from xstilts.experiments.schema import BASELINE
from xstilts.experiments.task_data import TaskData
from xstilts.experiments.training import train_phase
from xstilts.files import CorruptFileError, discard_folder
from xstilts.models.heads import EncoderWithHeads

log = logging.getLogger("xstilts")


def encoder_after_intermediate(
    plan: StudyPlan, data: Mapping[str, TaskData], combo: str, seed: int, processes: Processes
) -> tuple[nn.Module, Any]:
    """The encoder after intermediate phase (combo, seed): trained on ``data`` (the tasks'
    examples by name) and stored on first use."""
    encoder, tokenizer = build_encoder(plan.study)
    if combo == BASELINE:
        return encoder, tokenizer
    folder = plan.intermediate_folder(combo, seed)
    processes.barrier()  # all processes see the same checkpoint state
    if not _load_stored(encoder, folder, processes):
        train_intermediate(plan, data, encoder, tokenizer, combo, seed, processes)
    return encoder, tokenizer


def _load_stored(encoder: nn.Module, folder: Path, processes: Processes) -> bool:
    """Load the stored checkpoint; False when there is none, or (one process) it was corrupt
    and has been moved aside to be trained again."""
    if not (folder / "encoder.safetensors").is_file():
        return False
    try:
        load_encoder_state(encoder, folder)
        return True
    except CorruptFileError as error:
        if processes.count > 1:
            raise XstiltsError(f"{error}; delete {folder} to train it again") from None
        log.warning("%s; moving %s aside and training it again", error, folder)
        aside = folder.with_name(folder.name + ".corrupt")
        shutil.rmtree(aside, ignore_errors=True)
        folder.rename(aside)
        return False


def train_intermediate(
    plan: StudyPlan,
    data: Mapping[str, TaskData],
    encoder: nn.Module,
    tokenizer: Any,
    combo: str,
    seed: int,
    processes: Processes,
) -> None:
    """Train ``encoder`` on the tasks of ``combo`` (one head each) and store it; the encoder
    kept is the English-dev choice (a checkpoint average is not stored)."""
    study, folder = plan.study, plan.intermediate_folder(combo, seed)
    names = combo.split("+")
    phase = plan.intermediate(combo, seed)
    torch.manual_seed(seed)
    heads = {data[n].spec.name: new_head(study, encoder, data[n].spec) for n in names}
    model = EncoderWithHeads(encoder, heads)
    log.info("intermediate training %s (seed %d) -> %s", combo, seed, folder)
    partial = folder.with_name(folder.name + ".training")
    result = train_phase(
        model,
        [data[n] for n in names],
        tokenizer,
        phase.settings.values,
        seed,
        f"intermediate {combo}",
        partial,
        processes.progress,
        log_dir=folder.with_name(folder.name + ".logs"),
        trackers=study.trackers,
        feature_cache=plan.output / "features",
        task_configs={data[n].spec.name: phase.task_settings[n].values for n in names},
    )
    result.pop("average_state", None)
    log.info("intermediate %s done: %s", combo, json.dumps(result))
    if processes.is_main:
        meta = {"tasks": combo, "seed": seed, "encoder": study.encoder.name, "result": result}
        save_encoder(encoder, folder, meta)
        discard_folder(partial)
    processes.barrier()


def intermediate_seconds(plan: StudyPlan, combo: str, seed: int) -> float:
    """Training time of the intermediate checkpoint, as measured when it was trained."""
    if combo == BASELINE:
        return 0.0
    meta = plan.intermediate_folder(combo, seed) / "meta.json"
    try:
        result = json.loads(meta.read_text(encoding="utf-8")).get("result", {})
        return float(result.get("seconds", 0.0))
    except (OSError, ValueError, AttributeError):
        return 0.0
