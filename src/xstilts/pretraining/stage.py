"""The ``pretraining:`` stage of a study: cells first, then the X-STILTs grid on each cell.

A study whose YAML has a ``pretraining:`` section (``config_pretraining.py``) is run as:

1. every cell's sources are checked (a folder with text files, or a hub dataset) and the base
   encoder is identified — before any training, so a missing corpus fails in seconds, not
   after the first cell's GPU-hours;
2. each cell is trained once (``continued.train_cell``: content-addressed under
   ``pretraining.cell_dir``, default ``<output_dir>/pretraining``; a second study declaring the
   same cell, or a rerun, reuses it; a killed one resumes);
3. the study's grid runs on each cell's encoder as an ordinary study named
   ``<name>-cell<k>`` (its encoder is the cell's folder, so its run ids hash the cell's
   weights), into the same store; ``pretraining_cells.csv`` in the output folder maps every
   (cell, language) to its budget, the tokens actually trained and the encoder folder.

The stage sits above ``experiments`` (it hands studies to the ordinary runner) and below ``cli``.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import torch

from xstilts.config import StudyConfig
from xstilts.config_pretraining import PretrainingConfig
from xstilts.errors import XstiltsError
from xstilts.models.identity import encoder_identity
from xstilts.pretraining.continued import (
    CellRequest,
    cell_folder,
    is_trained,
    read_record,
    train_cell,
)
from xstilts.pretraining.text_corpus import check_source, source_fingerprint

CELL_TABLE = "pretraining_cells.csv"


@dataclass(frozen=True)
class PlannedCell:
    """One cell as ``xstilts plan`` shows it; ``request`` is None when it cannot be keyed yet."""

    index: int
    budgets: dict[str, int]  # English replay included
    steps: int  # optimizer steps of one process (world size 1)
    request: CellRequest | None
    folder: Path | None
    status: str  # trained | partial | to train | what is missing


def cell_dir(study: StudyConfig) -> Path:
    section = _section(study)
    return Path(section.cell_dir) if section.cell_dir else Path(study.output_dir) / "pretraining"


def cell_budgets(section: PretrainingConfig, cell: dict[str, int]) -> dict[str, int]:
    """A designed cell's budgets with its English replay tokens added."""
    return {**cell, section.english: section.english_tokens(cell)}


def _section(study: StudyConfig) -> PretrainingConfig:
    if study.pretraining is None:
        raise XstiltsError(f"study {study.name!r} has no pretraining: section")
    return study.pretraining


def _missing_sources(section: PretrainingConfig, budgets: dict[str, int]) -> list[str]:
    missing = []
    for code, tokens in sorted(budgets.items()):
        if tokens <= 0:
            continue
        try:
            check_source(Path(section.corpus_dir), section.hub_dataset, code)
        except XstiltsError as error:
            missing.append(str(error))
    return missing


def plan_cells(study: StudyConfig) -> list[PlannedCell]:
    """Every cell of the study with its budgets, steps and status; trains and reads nothing big."""
    section = _section(study)
    try:
        weights: str | None = encoder_identity(study.encoder.name).weights
        encoder_problem = ""
    except XstiltsError as error:
        weights, encoder_problem = None, str(error)
    corpus_dir, block = Path(section.corpus_dir), section.train.max_length - 2
    planned = []
    for index, cell in enumerate(section.designed_cells()):
        budgets = cell_budgets(section, cell)
        blocks = sum(math.ceil(tokens / block) for tokens in budgets.values())
        steps = math.ceil(blocks / section.train.batch_size)
        missing = _missing_sources(section, budgets)
        request = folder = None
        if missing:
            status = "corpus missing: " + "; ".join(missing)
        elif weights is None:
            status = f"encoder not available: {encoder_problem}"
        else:
            sources = {
                code: source_fingerprint(corpus_dir, section.hub_dataset, code)
                for code, tokens in sorted(budgets.items())
                if tokens > 0
            }
            request = CellRequest(
                study.encoder.name, weights, budgets, sources, corpus_dir, section.hub_dataset,
                section.hub_config, section.train, section.seed, study.encoder.attention,
                section.held_out_lines,
            )  # fmt: skip
            folder = cell_folder(cell_dir(study), request)
            partial = folder.with_name(folder.name + ".training").exists()
            status = "trained" if is_trained(folder) else "partial" if partial else "to train"
        planned.append(PlannedCell(index, budgets, steps, request, folder, status))
    return planned


def run_cells(study: StudyConfig, progress: bool = True) -> list[StudyConfig]:
    """Train (or reuse) every cell; returns the ordinary study to run on each cell's encoder."""
    planned = plan_cells(study)
    if study.threads:
        torch.set_num_threads(study.threads)
    problems = [f"cell {c.index}: {c.status}" for c in planned if c.request is None]
    if problems:
        raise XstiltsError("pretraining: " + problems[0] + (
            f" (and {len(problems) - 1} more cells)" if len(problems) > 1 else ""
        ))  # fmt: skip
    folders = []
    for cell in planned:
        assert cell.request is not None
        folders.append(train_cell(cell_dir(study), cell.request, progress))
    write_cell_table(study, folders)
    return [cell_study(study, index, folder) for index, folder in enumerate(folders)]


def cell_study(study: StudyConfig, index: int, folder: Path) -> StudyConfig:
    """The study's grid on one cell's encoder (no pretraining section of its own)."""
    encoder = dataclasses.replace(study.encoder, name=str(folder / "encoder"))
    return dataclasses.replace(
        study, name=f"{study.name}-cell{index}", encoder=encoder, pretraining=None
    )


def write_cell_table(study: StudyConfig, folders: list[Path]) -> Path:
    """One row per (cell, language): designed budget, tokens actually trained, held-out loss."""
    path = Path(study.output_dir) / CELL_TABLE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["study", "cell", "language", "budget", "tokens", "held_out_loss", "encoder"]
        )
        for index, folder in enumerate(folders):
            record = read_record(folder)
            held_out = record.get("held_out", {})
            for code, row in sorted(record["budgets"].items()):
                loss = held_out[code]["loss"] if code in held_out else ""
                writer.writerow([
                    f"{study.name}-cell{index}", index, code, row["budget"], row["tokens"], loss,
                    str(folder / "encoder"),
                ])  # fmt: skip
    return path


def describe_cells(study: StudyConfig) -> str:
    """What ``xstilts plan`` prints for the pretraining stage (and the grid after it)."""
    section = _section(study)
    planned = plan_cells(study)
    lines = []
    for cell in planned:
        total = sum(cell.budgets.values())
        budgets = ", ".join(
            f"{code} {tokens:,}" for code, tokens in cell.budgets.items() if code != section.english
        )
        key = cell.folder.name if cell.folder is not None else "(no key yet)"
        lines.append(
            f"cell {cell.index}  {key}  {cell.status}\n"
            f"    {budgets}; English replay {cell.budgets[section.english]:,} "
            f"({section.english_replay:.0%}); {total:,} tokens, {cell.steps:,} steps of "
            f"{section.train.batch_size} x {section.train.max_length} (one process)"
        )
    grid = len(study.intermediate_tasks) * len(study.target_tasks) * len(study.seeds)
    lines.append(
        f"xstilts: {len(planned)} pretraining cells ({sum(c.status == 'trained' for c in planned)} "
        f"trained); then {grid} runs on each cell's encoder ({grid * len(planned)} in all; run "
        "ids follow from each cell's weights)"
    )
    return "\n".join(lines)
