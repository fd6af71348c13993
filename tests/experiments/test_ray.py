"""The grid through Ray on a local cluster gives exactly the in-process rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers import result_rows
from xstilts.config import study_from_dict
from xstilts.experiments.runner import run_study

ray = pytest.importorskip("ray")


def study(encoder: Path, data: Path, out: Path):  # type: ignore[no-untyped-def]
    return study_from_dict({
        "name": "ray", "encoder": {"name": str(encoder)},
        "intermediate_tasks": ["none", "mnli", "sst2"], "target_tasks": ["xnli", "tatoeba"],
        "languages": ["en", "de", "sw"], "seeds": [0, 1], "data_dir": str(data),
        "output_dir": str(out), "threads": 1,
        "intermediate": {"epochs": 1, "batch_size": 32, "max_length": 32, "max_train_examples": 64},
        "target": {"epochs": 1, "batch_size": 32, "max_length": 32, "max_train_examples": 64},
        "retrieval": {"layer": 1, "max_length": 32},
    })  # fmt: skip


@pytest.mark.slow
def test_ray_local_cluster_matches_in_process(
    tiny_encoder: Path, demo_data: Path, tmp_path: Path
) -> None:
    local = run_study(study(tiny_encoder, demo_data, tmp_path / "local"), progress=False)
    assert local.runs_done == 12
    try:
        summary = run_study(
            study(tiny_encoder, demo_data, tmp_path / "ray"),
            progress=False,
            executor="ray",
            num_cpus=2,
        )
    finally:
        ray.shutdown()
    assert summary.runs_done == 12
    pd.testing.assert_frame_equal(result_rows(tmp_path / "local"), result_rows(tmp_path / "ray"))
    # each intermediate checkpoint (2 tasks x 2 seeds) was trained once, for both targets
    folders = (tmp_path / "ray" / "intermediate").iterdir()
    trained = sorted(p.name.split("-")[0] for p in folders if not p.name.endswith(".logs"))
    assert trained == ["mnli", "mnli", "sst2", "sst2"]
