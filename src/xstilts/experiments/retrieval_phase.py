"""The target phase of a retrieval task: nothing is trained; every language is scored straight
from the encoder at the run's layer (selection ``no_selection``).

With ``sweep_layers`` every hidden state is scored too (``layer_sweep`` rows, one per layer), and
per (split, language) the layer best on the headline metric gives the ``oracle`` rows: chosen on
the scored data itself, so an upper bound, never a headline.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from torch import nn
from tqdm.auto import tqdm

from xstilts.config import RetrievalConfig
from xstilts.experiments.context import PhaseScores, Processes
from xstilts.experiments.oracle import oracle_layers
from xstilts.experiments.settings import Effective
from xstilts.experiments.task_data import TaskData
from xstilts.families.base import RetrievalFamily
from xstilts.families.registry import FAMILY_OPS
from xstilts.families.retrieval_items import retrieval_item_records
from xstilts.tasks.recipe import Selection


def retrieval_scores(
    encoder: nn.Module,
    tokenizer: Any,
    data: TaskData,
    run_dir: Path,
    settings: Effective,
    depth: int,
    processes: Processes,
) -> PhaseScores:
    """Every score of one retrieval run and (main process) its per-query items, read back from
    the prediction files at the run's layer; ``depth`` is the encoder's number of layers."""
    predictions_dir = run_dir / "predictions"
    if not processes.is_main:  # same work, but files go to a private scratch folder
        predictions_dir = run_dir / f".scratch-{processes.index}"
    config: RetrievalConfig = settings.values
    eval_seconds: dict[tuple[str, str], float] = {}
    at_run_layer = retrieval_at(
        encoder, tokenizer, data, config, predictions_dir, eval_seconds, processes.progress
    )
    scores: dict[tuple[Any, ...], float] = {
        (*key, Selection.NO_SELECTION.value): value for key, value in at_run_layer.items()
    }
    if config.sweep_layers:
        sweep: dict[tuple[str, str, str, str, int], float] = {}
        for layer in range(depth + 1):
            at_layer = dataclasses.replace(config, layer=layer)
            folder = predictions_dir / f"layer-{layer}"
            for key, value in retrieval_at(
                encoder, tokenizer, data, at_layer, folder, eval_seconds, processes.progress
            ).items():
                sweep[(*key, Selection.LAYER_SWEEP.value, layer)] = value
        scores.update(sweep)
        scores.update(oracle_layers(sweep, data.spec.metric))
    items = (  # per query, from the files the protocols wrote
        retrieval_item_records(data.spec, data.eval_sets, predictions_dir)
        if processes.is_main
        else []
    )
    return PhaseScores(scores, eval_seconds, items=items, layer=config.layer)


def retrieval_at(
    encoder: nn.Module,
    tokenizer: Any,
    data: TaskData,
    config: RetrievalConfig,
    predictions_dir: Path,
    eval_seconds: dict[tuple[str, str], float],
    progress: bool,
) -> dict[tuple[str, str, str], float]:
    """Every (split, language, metric) of one retrieval task with one set of settings.

    The first pass over a (split, language) sets its ``eval_seconds``: the run's own layer
    (a layer sweep follows it).
    """
    family = FAMILY_OPS[data.spec.family]
    assert isinstance(family, RetrievalFamily)
    predictions_dir.mkdir(parents=True, exist_ok=True)
    by_language: dict[str, dict[str, list[Any]]] = {}
    for (split, language), examples in sorted(data.eval_sets.items()):
        by_language.setdefault(language, {})[split] = examples
    scores: dict[tuple[str, str, str], float] = {}
    for language, sets in tqdm(
        by_language.items(), desc=f"evaluate {data.spec.name}", unit="lang", leave=False,
        disable=not progress,
    ):  # fmt: skip
        clock = time.perf_counter()
        results = family.evaluate(
            encoder, tokenizer, sets, data.spec, config, language, predictions_dir
        )
        for split in sets:  # a language's splits are evaluated together (BUCC threshold)
            eval_seconds.setdefault((split, language), time.perf_counter() - clock)
        for (split, metric), value in results.items():
            scores[(split, language, metric)] = value
    return scores
