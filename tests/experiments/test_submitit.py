"""The grid as submitit job arrays (local cluster) gives exactly the in-process rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from xstilts.config import study_from_dict
from xstilts.experiments.plan import STORE_NAME
from xstilts.experiments.runner import run_study
from xstilts.experiments.store import ResultStore

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


def rows(out: Path) -> pd.DataFrame:
    with ResultStore(out / STORE_NAME, read_only=True) as store:
        frame = store.frame().drop(columns=["started_at", "seconds", "config_json"])
    return frame.sort_values(["run_id", "split", "language", "metric", "selection"]).reset_index(
        drop=True
    )


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
    pd.testing.assert_frame_equal(rows(tmp_path / "local"), rows(tmp_path / "slurm"))
    assert list((tmp_path / "slurm" / "submitit").glob("*_result.pkl"))
