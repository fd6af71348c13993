"""Range checks of every study value, run when the study is loaded — before any training.

A value the types accept can still be nonsense that fails only after hours of work (a NaN
learning rate trains to NaN; a seed over the store's integer range trains and then cannot be
written; dropout 1.5 raises inside the first forward pass). Each check names the key path and the
expected range in one line.
"""

from __future__ import annotations

import math
from typing import Any, TypeAlias

from xstilts.errors import ConfigError
from xstilts.errors import short_repr as _short

# The sections are xstilts.config's dataclasses; this module sits below config (it is what config
# calls), so they are typed by what is read from them rather than imported.
StudyConfig: TypeAlias = Any
TrainConfig: TypeAlias = Any
RetrievalConfig: TypeAlias = Any

# Seeds are stored as BIGINT and fed to torch.Generator (64 bits) as seed * 100_003 + epoch; the
# numpy/torch convention of a 32-bit unsigned seed keeps both far from any overflow.
MAX_SEED = 2**32 - 1
MAX_THREADS = 4096
MAX_BATCH = 1 << 20
MAX_LENGTH = 1 << 20
MAX_EPOCHS = 10_000


def check_ranges(study: StudyConfig) -> None:
    """Study-wide values (training and retrieval sections are checked where they are built, as
    per-task overrides need the same checks)."""
    if study.threads is not None:
        _in_range("threads", study.threads, 1, MAX_THREADS)
    for index, seed in enumerate(study.seeds):
        _in_range(f"seeds[{index}]", seed, 0, MAX_SEED)
    unique("seeds", study.seeds)
    unique("intermediate_tasks", study.intermediate_tasks)
    unique("target_tasks", study.target_tasks)
    skipped_cells(study)
    if not study.encoder.name.strip():
        raise ConfigError("encoder.name: must not be empty")
    for where, value in (
        ("encoder.name", study.encoder.name),
        ("data_dir", study.data_dir),
        ("output_dir", study.output_dir),
    ):
        _path_value(where, value)
    dropout = study.encoder.dropout
    if not (math.isfinite(dropout) and 0.0 <= dropout < 1.0):
        raise ConfigError(f"encoder.dropout: expected a value in [0, 1), got {dropout!r}")


def check_retrieval_ranges(path: str, retrieval: RetrievalConfig) -> None:
    """Ranges of a retrieval section (the layer needs the encoder's depth: plan settings)."""
    _in_range(f"{path}.max_length", retrieval.max_length, 8, MAX_LENGTH)
    _in_range(f"{path}.batch_size", retrieval.batch_size, 1, MAX_BATCH)


def check_train_ranges(phase: str, train: TrainConfig) -> None:
    """Ranges of a training section (``phase`` is its key path, e.g. ``tasks.xnli``)."""
    _positive_finite(f"{phase}.learning_rate", train.learning_rate)
    _positive_finite(f"{phase}.epochs", train.epochs, MAX_EPOCHS)
    _positive_finite(f"{phase}.eval_every_epochs", train.eval_every_epochs, MAX_EPOCHS)
    _positive_finite(f"{phase}.temperature", train.temperature)
    _positive_finite(f"{phase}.max_grad_norm", train.max_grad_norm)
    _fraction(f"{phase}.warmup_ratio", train.warmup_ratio)
    if not (math.isfinite(train.weight_decay) and train.weight_decay >= 0):
        raise ConfigError(f"{phase}.weight_decay: expected a finite value >= 0")
    _in_range(f"{phase}.batch_size", train.batch_size, 1, MAX_BATCH)
    _in_range(f"{phase}.eval_batch_size", train.eval_batch_size, 1, MAX_BATCH)
    _in_range(f"{phase}.max_length", train.max_length, 8, MAX_LENGTH)
    _in_range(f"{phase}.checkpoint_every_steps", train.checkpoint_every_steps, 0, 2**40)
    if train.max_train_examples is not None:
        _in_range(f"{phase}.max_train_examples", train.max_train_examples, 1, 2**40)
    _in_range(f"{phase}.doc_stride", train.doc_stride, 1, MAX_LENGTH)
    if train.warmup_steps is not None:
        _in_range(f"{phase}.warmup_steps", train.warmup_steps, 0, 2**40)


def skipped_cells(study: StudyConfig) -> frozenset[tuple[str, str]]:
    """The study's ``skip`` entries as ``(intermediate, target)`` pairs, each checked: the form
    ``a -> b``, both names in the grid, not the baseline (every gain is measured against it),
    and not every target of an intermediate task (then it should not be listed at all)."""
    cells = []
    for index, entry in enumerate(study.skip):
        where = f"skip[{index}]"
        parts = [part.strip() for part in entry.split("->")] if isinstance(entry, str) else []
        if len(parts) != 2 or not all(parts):
            raise ConfigError(f'{where}: expected "intermediate -> target", got {_short(entry)}')
        intermediate, target = parts
        if intermediate not in study.intermediate_tasks or target not in study.target_tasks:
            raise ConfigError(
                f"{where}: {_short(entry)} is not a cell of this grid (intermediate_tasks x "
                "target_tasks)"
            )
        if intermediate == "none":
            raise ConfigError(
                f"{where}: the baseline cell {_short(entry)} cannot be skipped: every gain is "
                "measured against it"
            )
        cells.append((intermediate, target))
    unique("skip", [f"{intermediate} -> {target}" for intermediate, target in cells])
    for intermediate in {cell[0] for cell in cells}:
        if all((intermediate, target) in cells for target in study.target_tasks):
            raise ConfigError(
                f"skip: every target of {intermediate!r} is skipped; remove it from "
                "intermediate_tasks instead"
            )
    return frozenset(cells)


def check_task_combination(index: int, name: str) -> list[str]:
    """The parts of ``a+b``: none empty, none repeated, and ``none`` only on its own."""
    parts = name.split("+")
    if any(not part for part in parts):
        raise ConfigError(f"intermediate_tasks[{index}]: {name!r:.60} has an empty part")
    if len(parts) > 1 and "none" in parts:
        raise ConfigError(
            f"intermediate_tasks[{index}]: 'none' (no intermediate phase) cannot be combined "
            f"with other tasks in {name!r:.60}; list it as its own entry"
        )
    if len(set(parts)) != len(parts):
        raise ConfigError(f"intermediate_tasks[{index}]: {name!r:.60} names a task twice")
    return parts


def _path_value(where: str, value: str) -> None:
    """A name that will become a path must be one the file system can hold (no NUL, components
    of at most 255 bytes, 4096 in all), or every later ``stat`` fails with a raw OSError."""
    encoded = value.encode("utf-8", "surrogatepass")
    parts = encoded.replace(b"\\", b"/").split(b"/")
    if b"\x00" in encoded or len(encoded) > 4096 or any(len(part) > 255 for part in parts):
        raise ConfigError(
            f"{where}: {_short(value)} is not a usable path or name (no NUL character, "
            "at most 255 bytes per folder name and 4096 in all)"
        )


def _in_range(where: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{where}: expected an integer in {low}..{high}, got {_short(value)}")


def _positive_finite(where: str, value: float, high: float = math.inf) -> None:
    if not (math.isfinite(value) and 0 < value <= high):
        limit = "" if high == math.inf else f" and <= {high:g}"
        raise ConfigError(f"{where}: expected a finite number > 0{limit}, got {_short(value)}")


def _fraction(where: str, value: float) -> None:
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise ConfigError(f"{where}: expected a value in [0, 1], got {_short(value)}")


def unique(where: str, values: list[Any]) -> None:
    """No value listed twice (seeds, tasks, pretraining languages and budgets)."""
    seen: set[Any] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise ConfigError(f"{where}[{index}]: {_short(value)} is listed twice")
        seen.add(value)
