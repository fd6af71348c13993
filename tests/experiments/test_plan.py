"""``xstilts plan``: the DAG of a grid and its status, fast, without loading models."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from xstilts.config import study_from_dict
from xstilts.experiments.plan import STORE_NAME, StudyPlan, Unit
from xstilts.experiments.store import ResultStore


def grid(data: Path, out: Path, seeds: int, encoder: Path) -> object:
    return study_from_dict({
        "name": "grid", "encoder": {"name": str(encoder)},
        "intermediate_tasks": ["none", "mnli", "sst2", "mnli+sst2"],
        "target_tasks": ["xnli", "tatoeba"], "seeds": list(range(seeds)),
        "data_dir": str(data), "output_dir": str(out),
    })  # fmt: skip


def finish_all(plan: StudyPlan) -> None:
    """Pretend every run finished: one stored row per run id."""
    plan.describe()
    with ResultStore(plan.store_path) as store:
        for unit in plan.units():
            seed, combo, target, run_id = (
                unit.seed, unit.intermediate_task, unit.target_task, unit.run_id
            )  # fmt: skip
            store.add_run([{
                "run_id": run_id, "study": "grid", "encoder": "x", "intermediate_task": combo,
                "target_task": target, "language": "en", "seed": seed, "split": "test",
                "selection": "en_dev", "metric": "accuracy", "value": 1.0, "config_json": "{}",
                "started_at": datetime(2026, 1, 1), "seconds": 1.0,
            }])  # fmt: skip


def test_plan_lists_every_run_and_the_checkpoints_to_train(
    demo_data: Path, tmp_path: Path, tiny_encoder: Path
) -> None:
    items = StudyPlan(grid(demo_data, tmp_path, 2, tiny_encoder)).plan()
    assert len(items) == 4 * 2 * 2
    assert {i["status"] for i in items} == {"pending"}
    assert {i["intermediate"] for i in items if i["intermediate_task"] != "none"} == {"to train"}
    assert len({i["run_id"] for i in items}) == 16  # every run has its own address
    # one intermediate checkpoint serves both targets: same key across targets
    plan = StudyPlan(grid(demo_data, tmp_path, 2, tiny_encoder))
    plan.describe()
    assert plan.intermediate_folder("mnli", 0) == plan.intermediate_folder("mnli", 0)
    assert plan.intermediate_folder("mnli", 0) != plan.intermediate_folder("mnli", 1)


def test_finished_grid_replans_in_under_a_second_per_100_runs(
    demo_data: Path, tmp_path: Path, tiny_encoder: Path
) -> None:
    finish_all(StudyPlan(grid(demo_data, tmp_path, 16, tiny_encoder)))  # 4 x 2 x 16 = 128 runs
    start = time.perf_counter()
    items = StudyPlan(grid(demo_data, tmp_path, 16, tiny_encoder)).plan()
    elapsed = time.perf_counter() - start
    assert len(items) == 128 and {i["status"] for i in items} == {"done"}
    assert elapsed < 1.28, f"plan took {elapsed:.2f} s for 128 runs"


def test_plan_command_reports_nothing_to_do(
    demo_data: Path, tmp_path: Path, tiny_encoder: Path
) -> None:
    finish_all(StudyPlan(grid(demo_data, tmp_path / "out", 2, tiny_encoder)))
    config = tmp_path / "grid.yaml"
    config.write_text(
        f"""name: grid
encoder: {{name: "{tiny_encoder}"}}
intermediate_tasks: [none, mnli, sst2, mnli+sst2]
target_tasks: [xnli, tatoeba]
seeds: [0, 1]
data_dir: "{demo_data}"
output_dir: out
""",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "xstilts.cli", "plan", str(config), "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "xstilts: 16 runs: 16 done, 0 to run; 0 intermediate checkpoints to train"
    )
    assert (tmp_path / "out" / STORE_NAME).is_file()


def test_batch_sizes_of_prediction_and_resume_points_do_not_change_run_ids(
    demo_data: Path, tmp_path: Path, tiny_encoder: Path
) -> None:
    """A finished study stays finished when only eval_batch_size or checkpoint_every_steps
    change; a result-relevant setting (max_length) gives new run ids."""

    def run_ids(**target: object) -> set[str]:
        study = grid(demo_data, tmp_path, 1, tiny_encoder)
        for key, value in target.items():
            setattr(study.target, key, value)
        # (tatoeba runs score the intermediate checkpoint: target settings never touch them)
        items = StudyPlan(study).plan()
        return {item["run_id"] for item in items if item["target_task"] == "xnli"}

    base = run_ids()
    assert run_ids(eval_batch_size=512, checkpoint_every_steps=100) == base
    assert not run_ids(max_length=64) & base


def test_units_are_frozen_data_with_named_fields(
    demo_data: Path, tmp_path: Path, tiny_encoder: Path
) -> None:
    plan = StudyPlan(grid(demo_data, tmp_path, 1, tiny_encoder))
    plan.describe()
    units = plan.units()
    assert all(isinstance(unit, Unit) for unit in units) and len(units) == 4 * 2
    first = units[0]
    assert (first.seed, first.intermediate_task, first.target_task) == (0, "none", "xnli")
    record = json.loads(json.dumps(dataclasses.asdict(first)))
    assert Unit(**record) == first  # serialised and read back, nothing lost
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.seed = 1  # type: ignore[misc]
