"""``deterministic: true`` switches the process to deterministic kernels before any CUDA work."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from xstilts.config import study_from_dict
from xstilts.experiments.runner import StudyRunner


@pytest.fixture()
def restore_determinism(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    before = (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.benchmark)
    yield
    torch.use_deterministic_algorithms(before[0])
    torch.backends.cudnn.benchmark = before[1]
    torch.backends.cudnn.deterministic = False


def make_runner(data: Path, out: Path, deterministic: bool) -> StudyRunner:
    study = study_from_dict({
        "target_tasks": ["xnli"], "data_dir": str(data), "output_dir": str(out),
        "deterministic": deterministic,
    })  # fmt: skip
    return StudyRunner(study, progress=False)


def test_deterministic_study_enables_deterministic_kernels(
    demo_data: Path, tmp_path: Path, restore_determinism: None
) -> None:
    import os

    make_runner(demo_data, tmp_path, deterministic=False)
    assert not torch.are_deterministic_algorithms_enabled()
    assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ
    make_runner(demo_data, tmp_path, deterministic=True)
    assert torch.are_deterministic_algorithms_enabled()
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
