"""The controlled experiment end to end: design -> pretraining cells -> X-STILTs grid -> table.

For each pretraining seed (a replicate encoder of the same design) the chain is:

    authored English + synthetic languages ──► from-scratch MLM encoder (budgets by design)
        ──► X-STILTs study on it: intermediate none | synth_nli (| controls)
            ──► targets synth_xnli (English train, zero-shot in every synthetic language)
                and synth_tatoeba (retrieval, scored from the intermediate checkpoint)

Each study is written as an ordinary study YAML (``studies/seed{n}.yaml``) and run by the ordinary
runner, so it is content-hashed, resumable and stored like any other; the pretraining cell is
addressed by its own content hash and trained once. ``design.csv`` joins every synthetic
language with its treatment (budget, exact tokens per seed, script share, word order, measured
distance to English) and its manipulation check (held-out masked-LM loss per seed).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from xstilts.config import load_study
from xstilts.experiments.runner import run_study
from xstilts.pretraining import grammar
from xstilts.pretraining.cell import pretrain_cell, read_cell
from xstilts.pretraining.corpus import ENGLISH
from xstilts.pretraining.design import ControlledDesign
from xstilts.pretraining.synthetic import measured_distance
from xstilts.pretraining.task_data import TaskSizes, write_task_data
from xstilts.tasks.synthetic import CLASSIFICATION_TARGET, INTERMEDIATE_TASK, RETRIEVAL_TARGET

STUDY_NAME = "controlled"
DESIGN_TABLE = "design.csv"


@dataclass(frozen=True)
class ControlledStudy:
    """A controlled experiment: its design, replicate seeds, task sizes and the X-STILTs grid."""

    design: ControlledDesign = field(default_factory=ControlledDesign)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    sizes: TaskSizes = field(default_factory=TaskSizes)
    intermediate_tasks: tuple[str, ...] = ("none", INTERMEDIATE_TASK)
    intermediate: dict[str, Any] = field(
        default_factory=lambda: {"learning_rate": 5e-4, "epochs": 3, "batch_size": 32}
    )
    target: dict[str, Any] = field(
        default_factory=lambda: {"learning_rate": 5e-4, "epochs": 4, "batch_size": 32}
    )
    threads: int = 2


def study_dict(controlled: ControlledStudy, encoder: Path, seed: int) -> dict[str, Any]:
    """The ordinary study (as its YAML would say it) for one replicate encoder."""
    length = controlled.design.encoder.max_positions
    return {
        "name": STUDY_NAME,
        "encoder": {"name": str(encoder), "pooling": "mean"},
        "intermediate_tasks": list(controlled.intermediate_tasks),
        "target_tasks": [CLASSIFICATION_TARGET, RETRIEVAL_TARGET],
        "seeds": [seed],
        "data_dir": "../data",
        "output_dir": "..",
        "intermediate": {**controlled.intermediate, "max_length": length},
        "target": {**controlled.target, "max_length": length},
        # the last of the tiny encoder's layers (XTREME's middle-layer rule is for 12/24 layers)
        "retrieval": {"layer": controlled.design.encoder.layers, "max_length": length},
        "threads": controlled.threads,
        "trackers": [],
        "oracle_selection": False,
    }


def run_controlled(output: Path, controlled: ControlledStudy, progress: bool = True) -> Path:
    """Run (or resume) every cell and study of ``controlled`` under ``output``; returns the
    design table's path. Everything is content-addressed, so a rerun skips finished work."""
    output.mkdir(parents=True, exist_ok=True)
    languages = [language for language, _ in controlled.design.languages()]
    write_task_data(output / "data", languages, controlled.sizes)
    cells = {}
    for seed in controlled.seeds:
        cells[seed] = pretrain_cell(output, controlled.design, seed, progress)
        path = output / "studies" / f"seed{seed}.yaml"
        path.parent.mkdir(exist_ok=True)
        text = yaml.safe_dump(study_dict(controlled, cells[seed] / "encoder", seed))
        path.write_text(text, encoding="utf-8")
        run_study(load_study(path), progress=progress)
    return write_design_table(output, controlled.design, cells)


def write_design_table(output: Path, design: ControlledDesign, cells: dict[int, Path]) -> Path:
    """One row per (language, seed): treatment, exact tokens and the manipulation check."""
    english = grammar.sentences(500, seed=12345)
    stored = {seed: read_cell(folder) for seed, folder in cells.items()}
    rows: list[dict[str, Any]] = []
    for language, budget in [(None, design.english_budget), *design.languages()]:
        code = ENGLISH if language is None else language.code
        distance = (
            {"lexical": 0.0, "script": 0.0, "order": 0.0}
            if language is None
            else measured_distance(language, english)
        )
        for seed, cell in stored.items():
            rows.append({
                "language": code, "seed": seed, "budget": budget,
                "tokens": cell["budgets"][code]["tokens"],
                "script_share": 0.0 if language is None else language.script_share,
                "word_order": "same" if language is None else language.word_order,
                "suffix": "" if language is None else language.suffix,
                "lexical_distance": distance["lexical"], "order_distance": distance["order"],
                "held_out_loss": cell["manipulation"][code]["loss"],
                "held_out_accuracy": cell["manipulation"][code]["accuracy"],
            })  # fmt: skip
    path = output / DESIGN_TABLE
    _write_csv(path, rows)
    return path


def _write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
