"""``xstilts plan``: the DAG of a grid and its status, fast, without loading models."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from xstilts.cli import main
from xstilts.config import load_study, study_from_dict
from xstilts.experiments.plan import (
    STORE_NAME,
    PlanSummary,
    StudyPlan,
    Unit,
    make_plan,
    run_status,
    summarize,
)
from xstilts.experiments.store import ResultStore


def grid(data: Path, out: Path, seeds: int, encoder: Path, **sections: object) -> Any:
    return study_from_dict({
        "name": "grid", "encoder": {"name": str(encoder)},
        "intermediate_tasks": ["none", "mnli", "sst2", "mnli+sst2"],
        "target_tasks": ["xnli", "tatoeba"], "seeds": list(range(seeds)),
        "data_dir": str(data), "output_dir": str(out), **sections,
    })  # fmt: skip


def finish_all(plan: StudyPlan) -> None:
    """Pretend every run finished: one stored row per run id."""
    with ResultStore(plan.store_path) as store:
        for unit in plan.units:
            store.add_run([{
                "run_id": unit.run_id, "study": "grid", "encoder": "x",
                "intermediate_task": unit.intermediate_task, "target_task": unit.target_task,
                "language": "en", "seed": unit.seed, "split": "test", "selection": "en_dev",
                "metric": "accuracy", "value": 1.0, "config_json": "{}",
                "started_at": datetime(2026, 1, 1), "seconds": 1.0,
            }])  # fmt: skip


def test_plan_lists_every_run_and_the_checkpoints_to_train(
    demo_data: Path, tmp_path: Path, tiny_encoder: Path
) -> None:
    plan = make_plan(grid(demo_data, tmp_path, 2, tiny_encoder))
    statuses = run_status(plan)
    assert len(statuses) == 4 * 2 * 2
    assert not any(status.done for status in statuses)
    trained = {s.checkpoint for s in statuses if s.unit.intermediate_task != "none"}
    assert trained == {"to train"}
    assert len({s.unit.run_id for s in statuses}) == 16  # every run has its own address
    # one intermediate phase per (combination, seed), shared by both targets
    assert [(p.tasks, p.seed) for p in plan.intermediates] == [
        (combo, seed) for seed in (0, 1) for combo in ("mnli", "sst2", "mnli+sst2")
    ]
    assert plan.intermediate_folder("mnli", 0) != plan.intermediate_folder("mnli", 1)
    assert summarize(statuses) == PlanSummary(runs=16, done=0, to_run=16, checkpoints_to_train=6)


def test_skipped_cells_have_no_run_and_leave_the_others_unchanged(
    demo_data: Path, tmp_path: Path, tiny_encoder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full = make_plan(grid(demo_data, tmp_path, 1, tiny_encoder))
    plan = make_plan(grid(demo_data, tmp_path, 1, tiny_encoder, skip=["sst2 -> xnli"]))
    cells = {(u.intermediate_task, u.target_task) for u in plan.units}
    assert ("sst2", "xnli") not in cells and ("sst2", "tatoeba") in cells
    assert len(plan.units) == len(full.units) - 1
    # skip is a grid axis: the other runs keep their ids and the study its configuration id
    assert {u.run_id for u in plan.units} < {u.run_id for u in full.units}
    assert plan.config_id == full.config_id
    assert [p.tasks for p in plan.intermediates] == ["mnli", "sst2", "mnli+sst2"]
    config = tmp_path / "skip.yaml"
    config.write_text(
        f'encoder: {{name: "{tiny_encoder}"}}\nintermediate_tasks: [none, sst2]\n'
        f'target_tasks: [xnli, tatoeba]\nskip: [sst2 -> xnli]\ndata_dir: "{demo_data}"\n',
        encoding="utf-8",
    )
    assert main(["plan", str(config), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "3 runs: 0 done, 3 to run" in printed and "not run (skip): sst2 -> xnli" in printed


def test_finished_grid_replans_in_under_a_second_per_100_runs(
    demo_data: Path, tmp_path: Path, tiny_encoder: Path
) -> None:
    finish_all(make_plan(grid(demo_data, tmp_path, 16, tiny_encoder)))  # 4 x 2 x 16 = 128 runs
    start = time.perf_counter()
    statuses = run_status(make_plan(grid(demo_data, tmp_path, 16, tiny_encoder)))
    elapsed = time.perf_counter() - start
    assert len(statuses) == 128 and all(status.done for status in statuses)
    assert elapsed < 1.28, f"plan took {elapsed:.2f} s for 128 runs"


def test_a_finished_grid_has_nothing_to_do_and_the_command_prints_the_same_plan(
    demo_data: Path, tmp_path: Path, tiny_encoder: Path
) -> None:
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
    plan = make_plan(load_study(config))
    finish_all(plan)
    assert summarize(run_status(plan)) == PlanSummary(16, 16, 0, 0)
    assert (tmp_path / "out" / STORE_NAME).is_file()
    result = subprocess.run(
        [sys.executable, "-m", "xstilts.cli", "plan", str(config), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert StudyPlan.from_dict(json.loads(result.stdout)) == plan


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
        return {u.run_id for u in make_plan(study).units if u.target_task == "xnli"}

    base = run_ids()
    assert run_ids(eval_batch_size=512, checkpoint_every_steps=100) == base
    assert not run_ids(max_length=64) & base


def test_units_are_frozen_data_with_named_fields(
    demo_data: Path, tmp_path: Path, tiny_encoder: Path
) -> None:
    units = make_plan(grid(demo_data, tmp_path, 1, tiny_encoder)).units
    assert all(isinstance(unit, Unit) for unit in units) and len(units) == 4 * 2
    first = units[0]
    assert (first.seed, first.intermediate_task, first.target_task) == (0, "none", "xnli")
    record = json.loads(json.dumps(dataclasses.asdict(first)))
    assert Unit(**record) == first  # serialised and read back, nothing lost
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.seed = 1  # type: ignore[misc]


def test_the_plan_is_frozen_data_that_round_trips_through_json(
    demo_data: Path, tmp_path: Path, tiny_encoder: Path
) -> None:
    """A plan read back from JSON equals the original, and so does the plan of the study it
    carries: the study keeps which keys it set (a set value beats a recipe, a default does not)."""
    study = grid(
        demo_data, tmp_path, 1, tiny_encoder,
        target={"learning_rate": 3e-5, "epochs": 1}, tasks={"xnli": {"batch_size": 8}},
    )  # fmt: skip
    plan = make_plan(study)
    settings = plan.target_settings["xnli"]
    assert settings.sources["learning_rate"] == "study"  # set explicitly, equal to the default
    assert settings.sources["batch_size"] == "tasks.xnli"
    assert settings.sources["max_length"].startswith("recipe:")
    text = json.dumps(plan.to_dict())
    again = StudyPlan.from_dict(json.loads(text))
    assert again == plan and json.dumps(again.to_dict()) == text
    assert make_plan(again.study) == plan
    assert again.intermediate("mnli+sst2", 0).task_settings.keys() == {"mnli", "sst2"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.config_id = "other"  # type: ignore[misc]
