"""A pretraining cell: exact budgets, the check written, reuse, resume after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from xstilts.pretraining.cell import cell_folder, pretrain_cell, read_cell
from xstilts.pretraining.design import ControlledDesign, DiversityLevel
from xstilts.pretraining.tiny_encoder import TinyEncoderConfig

TINY = ControlledDesign(
    diversity=(DiversityLevel(1.0, "same"),),
    budgets=(0, 300),
    english_budget=600,
    encoder=TinyEncoderConfig(hidden_size=16, layers=1, heads=2, intermediate_size=32),
    epochs=2.0,
    batch_size=8,
    held_out_lines=20,
)

RUN = """
import os, signal, sys
from pathlib import Path
import xstilts.train.loop as loop
from xstilts.pretraining.cell import pretrain_cell
if sys.argv[2] == "die":  # SIGKILL ourselves right after the first checkpoint is on disk
    original = loop.save_checkpoint
    def save_and_die(*args, **kwargs):
        original(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
    loop.save_checkpoint = save_and_die
from xstilts.pretraining.design import ControlledDesign, DiversityLevel
from xstilts.pretraining.tiny_encoder import TinyEncoderConfig
design = ControlledDesign(
    diversity=(DiversityLevel(1.0, "same"),), budgets=(0, 3000), english_budget=6000,
    encoder=TinyEncoderConfig(hidden_size=16, layers=1, heads=2, intermediate_size=32),
    epochs=3.0, batch_size=8, held_out_lines=20,
)
print(pretrain_cell(Path(sys.argv[1]), design, 0, progress=False))
"""


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread, as the tests' studies use (threads: 1): on 2 shared cores the default
    thread pool made this tiny model's steps ~10x slower by contention."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_a_cell_records_exact_budgets_and_the_check(tmp_path: Path):
    folder = pretrain_cell(tmp_path, TINY, seed=1, progress=False)
    assert folder == cell_folder(tmp_path, TINY, 1)
    stored = read_cell(folder)
    budgets = stored["budgets"]
    assert budgets["en"]["budget"] == 600 and 580 <= budgets["en"]["tokens"] <= 600
    assert budgets["x-s100-eng-b0"] == {"budget": 0, "tokens": 0, "lines": 0}
    assert 280 <= budgets["x-s100-eng-b300"]["tokens"] <= 300
    assert set(stored["manipulation"]) == {"en", "x-s100-eng-b0", "x-s100-eng-b300"}
    assert all(v["loss"] > 0 and v["tokens"] > 0 for v in stored["manipulation"].values())
    assert stored["design"]["seed"] == 1
    weights = (folder / "encoder" / "model.safetensors").stat().st_mtime_ns
    assert pretrain_cell(tmp_path, TINY, seed=1, progress=False) == folder  # reused, not redone
    assert (folder / "encoder" / "model.safetensors").stat().st_mtime_ns == weights


def _run(out: Path, mode: str = "run") -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    return subprocess.Popen([sys.executable, "-c", RUN, str(out), mode], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # fmt: skip


@pytest.mark.slow
def test_a_cell_killed_mid_training_resumes_to_identical_weights(tmp_path: Path):
    clean = _run(tmp_path / "clean")
    assert clean.wait(timeout=600) == 0
    killed = _run(tmp_path / "killed", "die")
    assert killed.wait(timeout=600) == -signal.SIGKILL
    assert list((tmp_path / "killed" / "pretraining").glob("*.training/checkpoint*"))
    assert not list((tmp_path / "killed" / "pretraining").glob("*/encoder"))
    resumed = _run(tmp_path / "killed")
    assert resumed.wait(timeout=600) == 0
    folders = [Path(p.stdout.read().decode().strip()) for p in (clean, resumed)]
    first, second = (load_file(str(f / "encoder" / "model.safetensors")) for f in folders)
    assert first.keys() == second.keys()
    assert all((first[k] == second[k]).all() for k in first)
    checks = [json.loads((f / "manipulation.json").read_text()) for f in folders]
    assert checks[0] == checks[1]
