"""Helpers shared by test modules: ``from helpers import result_rows``, as for ``tiny_models``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from xstilts.experiments.plan import STORE_NAME
from xstilts.experiments.store import ResultStore
from xstilts.files import file_digest

# One stored row per key: what a run scored, where and how it was selected.
RESULT_KEY = ["run_id", "split", "language", "metric", "selection"]
# Measured, so different on every run.
TIMING_COLUMNS = ["seconds", "train_seconds", "intermediate_seconds", "eval_seconds"]
TIMING_COLUMNS += ["peak_memory_mib"]


def result_rows(out: Path) -> pd.DataFrame:
    """The study's stored rows in a fixed order, without the timing and config columns.

    Timings differ from run to run and ``config_json`` is what ``run_id`` hashes, so two runs of
    one study (resumed, rerun, or through another executor) compare with ``assert_frame_equal``.
    """
    with ResultStore(out / STORE_NAME, read_only=True) as store:
        frame = store.frame()
    return (
        frame.drop(columns=["started_at", "config_json", *TIMING_COLUMNS])
        .sort_values(RESULT_KEY)
        .reset_index(drop=True)
    )


def torchrun(*args: str, processes: int = 2, timeout: int = 300) -> subprocess.CompletedProcess:
    """``torchrun --nproc_per_node N args...`` with one thread per process (gloo on CPU), its
    output captured; asserts a zero exit status and shows the end of stderr when not."""
    launcher = Path(sys.executable).with_name("torchrun")
    if not launcher.exists():
        launcher = Path(shutil.which("torchrun") or "torchrun")
    result = subprocess.run(
        [str(launcher), "--nproc_per_node", str(processes), *args],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def fingerprint(folder: Path) -> dict[str, str]:
    """``{path relative to folder: sha256}`` of every file below ``folder``."""
    return {
        path.relative_to(folder).as_posix(): file_digest(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def changed_files(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The files added, changed or removed between two :func:`fingerprint`s."""
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
