"""The real demo, end to end (slow: minutes on 2 cores): every phase learns past its floor.

Floors from issue #12: the MNLI-style intermediate reaches English dev accuracy >= 65 (chance
33.3), SST-2 >= 85 (chance 50), and the no-intermediate XNLI baseline is a real classifier:
English test accuracy >= 55 with every class >= 15% of its English test predictions. Every
number is read from what the run stored (meta.json, train.json, the store, prediction files).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from xstilts.cli import main
from xstilts.demo.study import demo_study
from xstilts.experiments.phases import study_phases
from xstilts.experiments.plan import STORE_NAME
from xstilts.experiments.store import ResultStore


@pytest.mark.slow
def test_demo_phases_learn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path), "--quiet"]) == 0
    printed = capsys.readouterr().out
    study = demo_study(tmp_path)
    phases = {(p.phase, p.task, p.intermediate_task, p.seed): p for p in study_phases(study)}
    for seed in study.seeds:
        assert phases[("intermediate", "mnli", "mnli", seed)].dev_score >= 65.0
        assert phases[("intermediate", "sst2", "sst2", seed)].dev_score >= 85.0
        baseline = phases[("target", "xnli", "none", seed)]
        assert min(baseline.prediction_shares.values()) >= 15.0, baseline.prediction_shares
    with ResultStore(tmp_path / STORE_NAME, read_only=True) as store:
        rows = store.frame(
            "target_task = 'xnli' AND intermediate_task = 'none' AND language = 'en' "
            "AND split = 'test' AND selection = 'en_dev'"
        )
    assert len(rows) == len(study.seeds) and rows["value"].min() >= 55.0
    assert "phases (English dev score" in printed and "findings (gain over none" in printed
