"""The grid as submitit job arrays (local cluster) gives exactly the in-process rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers import result_rows
from xstilts.config import study_from_dict
from xstilts.experiments.runner import run_study

pytest.importorskip("submitit")


def study(encoder: Path, data: Path, out: Path):  # type: ignore[no-untyped-def]
    return study_from_dict({
        "name": "slurm", "encoder": {"name": str(encoder)},
        "intermediate_tasks": ["none", "sst2"], "target_tasks": ["xnli"],
        "languages": ["en", "sw"], "seeds": [0], "data_dir": str(data),
        "output_dir": str(out), "threads": 1, "trackers": [],
        "intermediate": {"epochs": 1, "batch_size": 32, "max_length": 32, "max_train_examples": 32},
        "target": {"epochs": 1, "batch_size": 32, "max_length": 32, "max_train_examples": 32},
    })  # fmt: skip


@pytest.mark.slow
def test_submitit_local_cluster_matches_in_process(
    tiny_encoder: Path, demo_data: Path, tmp_path: Path
) -> None:
    run_study(study(tiny_encoder, demo_data, tmp_path / "local"), progress=False)
    summary = run_study(
        study(tiny_encoder, demo_data, tmp_path / "slurm"),
        progress=False,
        executor="slurm",
        cluster="local",
        slurm_parameters={"timeout_min": 10},
    )
    assert summary.runs_done == 2
    pd.testing.assert_frame_equal(result_rows(tmp_path / "local"), result_rows(tmp_path / "slurm"))
    assert list((tmp_path / "slurm" / "submitit").glob("*_result.pkl"))
