"""Golden numbers of a fixed small study: a refactor of the runner, the phases, the executors or
the training loop must not change a single stored score.

The study covers the paths a refactor moves code along: a multi-task intermediate phase (two
tasks mixed by the sampler) beside the ``none`` baseline, a classification target with English-dev,
oracle and checkpoint-average selection and mid-run checkpoints, and a retrieval target with a
layer sweep. What is compared is every number the runs wrote — each store row's value by (phase,
task, split, language, metric, selection, layer), each set of item scores, each phase's training
record (steps, selected step, dev curve), the intermediate encoder's weights (a sum per tensor:
the tiny target classifier is near chance, the weights show any change in training) and a
pretraining cell's held-out check and weights — and nothing
that legitimately changes between runs or code versions (run ids and config ids hash package and
code versions; timings; timestamps).

The golden file was written by the code of main d575488, before the runner was split, and written
again (same code results: the old data still matched) when the demo's SST-2 training set grew
from 300 to 600 sentences, because the tiny test encoder's tokenizer is trained on the demo data
(``tests/tiny_models.py``). To write it again after a change that is *meant* to change numbers
(and say so in the commit)::

    XSTILTS_WRITE_GOLDEN=1 python -m pytest tests/experiments/test_golden_rows.py
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from xstilts.config import study_from_dict
from xstilts.experiments.runner import STORE_NAME, run_study
from xstilts.experiments.store import ResultStore

GOLDEN = Path(__file__).parent / "golden" / "study_rows.json"
TOLERANCE = 1e-9  # absolute; every number is computed in fp32/fp64 on the CPU, deterministically
ROW_KEY = ["intermediate_task", "target_task", "seed", "split", "language", "metric", "selection"]
PHASE = {"epochs": 1, "batch_size": 16, "max_length": 32, "learning_rate": 1e-3,
         "max_train_examples": 48, "eval_every_epochs": 0.5}  # fmt: skip


def golden_study(encoder: Path, data: Path, out: Path) -> Any:
    return study_from_dict({
        "name": "golden",
        # mean pooling: a random tiny encoder's <s> state barely depends on the input, so
        # with cls pooling every classifier here collapses to one class
        "encoder": {"name": str(encoder), "pooling": "mean"},
        "intermediate_tasks": ["none", "mnli+sst2"],
        "target_tasks": ["xnli", "tatoeba"],
        "languages": ["en", "de", "sw"],
        "seeds": [0],
        "data_dir": str(data),
        "output_dir": str(out),
        "threads": 1,
        "deterministic": True,
        "trackers": [],
        "intermediate": PHASE,
        "target": {**PHASE, "epochs": 2, "average_checkpoints": True, "checkpoint_every_steps": 2},
        "retrieval": {"layer": 1, "max_length": 32, "sweep_layers": True},
    })  # fmt: skip


def _without_seconds(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "seconds"}


def study_numbers(out: Path) -> dict[str, Any]:
    """Every number the study stored, keyed by what it is (never by run id)."""
    with ResultStore(out / STORE_NAME, read_only=True) as store:
        rows, items = store.frame(), store.items()
    phase_of = {
        run: f"{combo} -> {target} (seed {seed})"
        for run, combo, target, seed in rows[
            ["run_id", "intermediate_task", "target_task", "seed"]
        ].drop_duplicates().itertuples(index=False)
    }  # fmt: skip
    values = {
        " | ".join(str(row[k]) for k in ROW_KEY) + f" | layer {row['layer']}": float(row["value"])
        for _, row in rows.iterrows()
    }
    item_sets: dict[str, dict[str, Any]] = {}
    for key, group in items.groupby(["run_id", "split", "language", "selection", "metric"]):
        lines = sorted(f"{i}:{s!r}" for i, s in zip(group.item_id, group.score, strict=True))
        item_sets[" | ".join([phase_of[key[0]], *key[1:]])] = {
            "count": len(lines),
            "sum": float(group.score.sum()),
            "sha256": hashlib.sha256("\n".join(lines).encode()).hexdigest(),
        }
    training = {}
    for run, phase in phase_of.items():
        path = out / "runs" / run / "train.json"
        training[phase] = _without_seconds(json.loads(path.read_text(encoding="utf-8")))
    for meta in sorted((out / "intermediate").glob("*/meta.json")):
        stored = json.loads(meta.read_text(encoding="utf-8"))
        phase = f"intermediate {stored['tasks']} (seed {stored['seed']})"
        training[phase] = _without_seconds(stored["result"])
        training[phase]["weights"] = weight_sums(meta.with_name("encoder.safetensors"))
    return {"rows": dict(sorted(values.items())), "items": item_sets, "training": training}


def weight_sums(path: Path) -> dict[str, float]:
    """Sum of absolute values per tensor: any change in what training did moves them."""
    from safetensors.torch import load_file

    return {name: float(t.double().abs().sum()) for name, t in load_file(str(path)).items()}


def cell_numbers(out: Path) -> dict[str, Any]:
    """A tiny pretraining cell's budgets, held-out check and a checksum of its weights."""
    from xstilts.pretraining.cell import pretrain_cell, read_cell
    from xstilts.pretraining.design import ControlledDesign, DiversityLevel
    from xstilts.pretraining.tiny_encoder import TinyEncoderConfig

    design = ControlledDesign(
        diversity=(DiversityLevel(1.0, "same"),), budgets=(0, 300), english_budget=600,
        encoder=TinyEncoderConfig(hidden_size=16, layers=1, heads=2, intermediate_size=32),
        epochs=2.0, batch_size=8, held_out_lines=20,
    )  # fmt: skip
    folder = pretrain_cell(out, design, seed=1, progress=False)
    stored = read_cell(folder)
    checksum = weight_sums(folder / "encoder" / "model.safetensors")
    return {
        "budgets": stored["budgets"],
        "manipulation": stored["manipulation"],
        "weights": checksum,
    }


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Every place where ``actual`` differs from ``expected`` (numbers: by more than TOLERANCE)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = [f"{where}/{k}: missing" for k in expected if k not in actual]
        found += [f"{where}/{k}: unexpected" for k in actual if k not in expected]
        for key in expected.keys() & actual.keys():
            found += differences(expected[key], actual[key], f"{where}/{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(actual)} entries, expected {len(expected)}"]
        return [
            d
            for i, pair in enumerate(zip(expected, actual, strict=True))
            for d in differences(*pair, f"{where}[{i}]")
        ]
    numbers = (int, float)
    if isinstance(expected, numbers) and isinstance(actual, numbers):
        same = (math.isnan(expected) and math.isnan(actual)) or abs(expected - actual) <= TOLERANCE
        return [] if same else [f"{where}: {actual!r}, expected {expected!r}"]
    return [] if expected == actual else [f"{where}: {actual!r}, expected {expected!r}"]


@pytest.fixture()
def restore_determinism(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``deterministic: true`` switches the whole process; later tests get it back as it was."""
    import torch

    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    before = (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.benchmark)
    deterministic = torch.backends.cudnn.deterministic
    yield
    torch.use_deterministic_algorithms(before[0])
    torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = before[1], deterministic


def test_the_study_stores_the_golden_numbers(
    tiny_encoder: Path, demo_data: Path, tmp_path: Path, restore_determinism: None
) -> None:
    run_study(golden_study(tiny_encoder, demo_data, tmp_path / "study"), progress=False)
    actual = {
        "study": study_numbers(tmp_path / "study"),
        "cell": cell_numbers(tmp_path / "cell"),
    }
    if os.environ.get("XSTILTS_WRITE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        pytest.skip(f"wrote {GOLDEN}")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert differences(expected, actual) == []


def test_the_comparison_sees_a_changed_score() -> None:
    """The check can fail: one score off by 1e-6, or one row missing, is reported by name."""
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    changed = json.loads(json.dumps(expected))
    key = next(iter(changed["study"]["rows"]))
    changed["study"]["rows"][key] += 1e-6
    assert differences(expected, changed) == [f"/study/rows/{key}: " + (
        f"{expected['study']['rows'][key] + 1e-6!r}, expected {expected['study']['rows'][key]!r}"
    )]  # fmt: skip
    del changed["study"]["rows"][key]
    assert differences(expected, changed) == [f"/study/rows/{key}: missing"]
