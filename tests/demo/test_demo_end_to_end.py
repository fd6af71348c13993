"""The real demo, end to end (slow: minutes on 2 cores): every phase learns past its floor, and
the report shows the controls and the power statement.

Floors from issue #12: the MNLI-style intermediate reaches English dev accuracy >= 65 (chance
33.3), SST-2 >= 85 (chance 50) where the demo trains it, and the no-intermediate XNLI baseline is
a real classifier: English test accuracy >= 55 with every class >= 15% of its English test
predictions. Issue #13: the demo's report holds its control intermediate (shuffled labels, same
steps) next to ``none`` and states the minimum detectable effect. Every number is
read from what the run stored (meta.json, train.json, the store, prediction files, report.md).

``XSTILTS_DEMO_OUT=folder`` keeps the run in that folder (a finished folder is resumed, not
retrained), so the one slow run can also feed ``python -m xstilts.analysis.demo_readme folder``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xstilts.analysis.demo_summary import collect
from xstilts.cli import main
from xstilts.demo.study import demo_study
from xstilts.experiments.phases import PhaseResult, study_phases
from xstilts.experiments.plan import STORE_NAME
from xstilts.experiments.store import ResultStore

FLOORS = {"mnli": 65.0, "sst2": 85.0}  # English dev accuracy of each intermediate phase
BASELINE_EN_TEST = 55.0
BASELINE_MIN_SHARE = 15.0
CONTROLS = ("mnli@shuffled",)  # the demo's control (mnli@mlm-control: a grid entry too)


@pytest.mark.slow
def test_demo_phases_learn_and_report_controls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = Path(os.environ.get("XSTILTS_DEMO_OUT") or tmp_path)
    assert main(["demo", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    study = demo_study(out)
    assert set(CONTROLS) <= set(study.intermediate_tasks)
    with ResultStore(out / STORE_NAME, read_only=True) as store:
        rows = store.frame("study = ?", [study.name])
    phases = {(p.phase, p.task, p.intermediate_task, p.seed): p for p in study_phases(study, rows)}
    for seed in study.seeds:
        for task, floor in FLOORS.items():
            if task in study.intermediate_tasks:
                assert phases[("intermediate", task, task, seed)].dev_score >= floor
        baseline: PhaseResult = phases[("target", "xnli", "none", seed)]
        assert min(baseline.prediction_shares.values()) >= BASELINE_MIN_SHARE, baseline
        for control in CONTROLS:  # the controls were trained, as many steps as the task
            trained = phases[("intermediate", control, control, seed)]
            assert trained.steps == phases[("intermediate", "mnli", "mnli", seed)].steps
    english = rows[
        (rows["target_task"] == "xnli") & (rows["intermediate_task"] == "none")
        & (rows["language"] == "en") & (rows["split"] == "test")
        & (rows["selection"] == "en_dev")
    ]  # fmt: skip
    assert len(english) == len(study.seeds) and english["value"].min() >= BASELINE_EN_TEST
    assert "phases (English dev score" in printed and "findings (" in printed
    for control in CONTROLS:
        assert f"vs the control {control}" in printed
    report = (out / "report" / "report.md").read_text(encoding="utf-8")
    gains = report.split("## Gains over `none` and over the controls", 1)[1]
    assert all(control in gains for control in CONTROLS)
    power = report.split("## Power", 1)[1].split("\n## ", 1)[0]
    assert "xnli: the smallest gain this study can detect at 80% power" in power
    assert collect(study, out / STORE_NAME)["phases"]  # the README record can be taken from it
