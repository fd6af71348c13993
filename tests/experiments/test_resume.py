"""Kill a study with SIGKILL at several points, resume it: the rows equal an uninterrupted run."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers import RESULT_KEY, result_rows


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


KILL_AT = Path(__file__).with_name("kill_at.py")


def run_until(config: Path, out: Path, *kill_point: str) -> bool:
    """Run the study and SIGKILL it at ``kill_point`` (see ``kill_at.py``); False if it
    finished before reaching it."""
    result = subprocess.run(
        [sys.executable, str(KILL_AT), str(config), str(out), *kill_point],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    if result.returncode == -signal.SIGKILL:
        return True
    assert result.returncode == 0, result.stderr[-3000:]
    return False


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
        ("trainer", "intermediate/*.training/trainer.json", "3"),  # mid intermediate epoch 1
        ("trainer", "intermediate/*.training/trainer.json", "17"),  # mid intermediate epoch 2
        ("stored", "1"),  # after the first stored run
        ("trainer", "runs/*/checkpoint/trainer.json", "5"),  # mid target training
    ]
    kills = 0
    for kill_point in kill_points:
        kills += run_until(config, out, *kill_point)
    assert kills >= 3
    assert start(config).wait() == 0
    resumed = result_rows(out)
    pd.testing.assert_frame_equal(expected, resumed)
    assert not resumed.duplicated(RESULT_KEY).any()
