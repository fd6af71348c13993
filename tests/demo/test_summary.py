"""The demo's per-phase printout and findings come from what the runs stored (no recomputation).

A tiny study (tiny XLM-R, real demo files) is run once; its stored numbers are then overwritten
with sentinels, and the printed text must show the sentinels: the printout reads train.json,
the intermediate's meta.json and the prediction files, and nothing else.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from xstilts.analysis.demo_summary import collect, demo_summary, summary_text
from xstilts.cli.study_commands import _run_and_report
from xstilts.config import study_from_dict
from xstilts.experiments.phases import study_phases
from xstilts.experiments.plan import STORE_NAME, make_plan
from xstilts.experiments.runner import run_study
from xstilts.experiments.store import ResultStore


def tiny_demo(encoder: Path, data: Path, out: Path) -> object:
    settings = {"epochs": 1, "batch_size": 32, "max_length": 32, "learning_rate": 1e-3,
                "max_train_examples": 64}  # fmt: skip
    return study_from_dict({
        "name": "tiny-demo", "encoder": {"name": str(encoder)},
        "intermediate_tasks": ["none", "sst2"], "target_tasks": ["xnli"],
        "languages": ["en", "de", "sw"], "seeds": [0], "data_dir": str(data),
        "output_dir": str(out), "threads": 1, "intermediate": settings, "target": settings,
    })  # fmt: skip


@pytest.fixture(scope="module")
def finished(tiny_encoder: Path, demo_data: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("tiny-demo")
    study = tiny_demo(tiny_encoder, demo_data, out)
    run_study(study, progress=False)
    return study


@pytest.fixture()
def tampered(finished, tmp_path: Path):
    """A copy of the finished study whose stored phase numbers are replaced by sentinels."""
    out = tmp_path / "out"
    shutil.copytree(finished.output_dir, out)
    study = tiny_demo(Path(finished.encoder.name), Path(finished.data_dir), out)
    plan = make_plan(study)
    meta_file = plan.intermediate_folder("sst2", 0) / "meta.json"
    meta = json.loads(meta_file.read_text())
    meta["result"].update(best_dev=87.25, dev_history=[[1, 61.5], [2, 87.25]], steps=2)
    meta_file.write_text(json.dumps(meta))
    baseline_run = plan.units[0].run_id
    train_file = out / "runs" / baseline_run / "train.json"
    info = json.loads(train_file.read_text())
    info.update(best_dev=56.75, dev_history=[[1, 41.0], [2, 56.75]], steps=2)
    train_file.write_text(json.dumps(info))
    predictions = out / "runs" / baseline_run / "predictions" / "test-en.tsv"
    count = len(predictions.read_text().split())
    labels = ["entailment"] * (count - count // 4) + ["contradiction"] * (count // 4)
    predictions.write_text("".join(f"{label}\n" for label in labels))
    return study, count


def test_phases_are_read_from_the_stored_files(tampered) -> None:
    study, count = tampered
    with ResultStore(Path(study.output_dir) / STORE_NAME, read_only=True) as store:
        rows = store.frame()
    phases = {(p.phase, p.intermediate_task): p for p in study_phases(study, rows)}
    assert set(phases) == {("intermediate", "sst2"), ("target", "none"), ("target", "sst2")}
    sst2 = phases[("intermediate", "sst2")]
    assert (sst2.dev_score, sst2.chance, sst2.steps) == (87.25, 50.0, 2)
    baseline = phases[("target", "none")]
    assert baseline.dev_score == 56.75 and baseline.chance == pytest.approx(100 / 3)
    share = 100 * (count // 4) / count
    assert baseline.prediction_shares == pytest.approx(
        {"entailment": 100 - share, "neutral": 0.0, "contradiction": share}
    )


def test_demo_prints_the_stored_numbers(tampered, capsys: pytest.CaptureFixture[str]) -> None:
    study, count = tampered
    assert _run_and_report(study, quiet=True, report=True) == 0
    printed = capsys.readouterr().out
    assert (
        "intermediate sst2 (seed 0): dev en accuracy 87.2, chance 50.0; 2 steps; curve 61.5 87.2"
        in printed
    )
    assert "target xnli after none (seed 0): dev en accuracy 56.8, chance 33.3; 2 steps" in printed
    share = 100 * (count // 4) / count
    assert (
        f"test en predictions: entailment {100 - share:.1f}%, neutral 0.0%, "
        f"contradiction {share:.1f}%"
    ) in printed
    assert "xnli (test, accuracy, mean of 1 seed; Δ = gain over none)" in printed
    assert "sst2 → xnli vs none: " in printed and "2 zero-shot languages" in printed
    assert "0 runs done" in printed  # everything was read back, nothing retrained


def test_record_round_trip_gives_the_printed_text(finished) -> None:
    store = Path(finished.output_dir) / STORE_NAME
    record = json.loads(json.dumps(collect(finished, store)))
    assert summary_text(record) == demo_summary(finished, store)
    assert {row["language"] for row in record["rows"]} == {"en", "de", "sw"}
    assert {group["language"] for group in record["items"]} == {"en", "de", "sw"}
