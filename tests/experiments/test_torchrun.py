"""One study over two data-parallel processes (torchrun, gloo on CPU): same rows, half the steps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import torchrun
from xstilts.experiments.plan import STORE_NAME
from xstilts.experiments.store import ResultStore


@pytest.mark.slow
def test_torchrun_two_processes(tiny_encoder: Path, demo_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    config = tmp_path / "study.yaml"
    config.write_text(
        f"""name: ddp
encoder: {{name: "{tiny_encoder}"}}
intermediate_tasks: [none, mnli+sst2]
target_tasks: [xnli, tatoeba]
languages: [en, de, sw]
data_dir: "{demo_data}"
output_dir: "{out}"
threads: 1
trackers: []
intermediate: {{epochs: 1, batch_size: 16, max_length: 40, max_train_examples: 64}}
target: {{epochs: 1, batch_size: 16, max_length: 40, max_train_examples: 64}}
retrieval: {{layer: 1, max_length: 32}}
""",
        encoding="utf-8",
    )
    result = torchrun("-m", "xstilts.cli", "run", str(config), "--quiet")
    assert result.stdout.count("runs done") == 1  # only rank 0 reports
    with ResultStore(out / STORE_NAME, read_only=True) as store:
        rows = store.frame()
    assert rows["run_id"].nunique() == 4
    assert not rows.duplicated(["run_id", "split", "language", "metric", "selection"]).any()
    # 64 examples / batch 16 = 4 batches per epoch, sharded over 2 processes -> 2 steps
    configs = {d: json.loads((d / "config.json").read_text()) for d in (out / "runs").iterdir()}
    xnli_runs = [d for d, c in configs.items() if c["target_task"] == "xnli"]
    assert {json.loads((d / "train.json").read_text())["steps"] for d in xnli_runs} == {2}
    # rank 1 did the same retrieval work, writing only to its private scratch folder
    assert list((out / "runs").glob("*/.scratch-1/test-de.tsv"))
