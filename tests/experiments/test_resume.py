"""Kill a study with SIGKILL at several points, resume it: the rows equal an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from helpers import RESULT_KEY, result_rows
from xstilts.experiments.runner import STORE_NAME
from xstilts.experiments.store import ResultStore


def write_study(path: Path, encoder: Path, data: Path, out: Path) -> Path:
    path.write_text(
        f"""name: resume
encoder: {{name: "{encoder}"}}
intermediate_tasks: [none, mnli]
target_tasks: [xnli, tatoeba]
languages: [en, de, sw]
seeds: [0]
data_dir: "{data}"
output_dir: "{out}"
threads: 1
intermediate: {{epochs: 2, batch_size: 8, max_length: 40, learning_rate: 1.0e-3,
               max_train_examples: 96, eval_every_epochs: 0.5, checkpoint_every_steps: 1}}
target: {{epochs: 2, batch_size: 8, max_length: 40, learning_rate: 1.0e-3,
         max_train_examples: 96, eval_every_epochs: 0.5, checkpoint_every_steps: 1}}
retrieval: {{layer: 1, max_length: 32}}
""",
        encoding="utf-8",
    )
    return path


def start(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "xstilts.cli", "run", str(config), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def kill_when(process: subprocess.Popen[bytes], condition: Callable[[], bool]) -> bool:
    """SIGKILL ``process`` as soon as ``condition`` holds; False if it finished first."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if condition():
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.02)
    process.kill()
    raise AssertionError("condition never met")


def trainer_step(folder_glob: str, out: Path, at_least: int) -> Callable[[], bool]:
    def check() -> bool:
        for state in out.glob(folder_glob):
            try:
                if int(state.read_text().split('"step": ')[1].split(",")[0]) >= at_least:
                    return True
            except (OSError, IndexError, ValueError):
                continue
        return False

    return check


def stored_runs(out: Path, at_least: int) -> Callable[[], bool]:
    def check() -> bool:
        if not (out / STORE_NAME).exists():
            return False
        try:
            with ResultStore(out / STORE_NAME, read_only=True) as store:
                return store.frame()["run_id"].nunique() >= at_least
        except Exception:
            return False

    return check


@pytest.mark.slow
def test_sigkill_at_several_points_then_resume_equals_uninterrupted(
    tiny_encoder: Path, demo_data: Path, tmp_path: Path
) -> None:
    reference_out = tmp_path / "reference"
    reference = write_study(tmp_path / "reference.yaml", tiny_encoder, demo_data, reference_out)
    assert start(reference).wait() == 0
    expected = result_rows(reference_out)
    # xnli: 2 runs x 2 splits x 3 langs x (en_dev, oracle); tatoeba: 2 runs x (de, sw)
    assert len(expected) == 28
    out = tmp_path / "killed"
    config = write_study(tmp_path / "killed.yaml", tiny_encoder, demo_data, out)
    kill_points = [
        trainer_step("intermediate/*.training/trainer.json", out, 3),  # mid intermediate epoch 1
        trainer_step("intermediate/*.training/trainer.json", out, 17),  # mid intermediate epoch 2
        stored_runs(out, 1),  # after the first stored run
        trainer_step("runs/*/checkpoint/trainer.json", out, 5),  # mid target training
    ]
    kills = 0
    for condition in kill_points:
        kills += kill_when(start(config), condition)
    assert kills >= 3
    assert start(config).wait() == 0
    resumed = result_rows(out)
    pd.testing.assert_frame_equal(expected, resumed)
    assert not resumed.duplicated(RESULT_KEY).any()
