"""The demo study trains in bf16 only where the CPU has native bf16, else in fp32 (issue #12)."""

from __future__ import annotations

from pathlib import Path

from xstilts.cli import main
from xstilts.demo.study import FP32_NOTE, demo_study
from xstilts.experiments.plan import make_plan


def test_demo_falls_back_to_fp32_without_native_bf16(tmp_path: Path) -> None:
    native, emulated = (
        demo_study(tmp_path, native_bf16=True),
        demo_study(tmp_path, native_bf16=False),
    )
    assert (native.intermediate.precision, native.target.precision) == ("bf16", "bf16")
    assert (emulated.intermediate.precision, emulated.target.precision) == ("fp32", "fp32")
    # the precision is part of every trained run's id: fp32 rows never join the bf16 record's
    trained = {unit.run_id for unit in make_plan(native).units if unit.target_task == "xnli"}
    fallback = {unit.run_id for unit in make_plan(emulated).units}
    assert len(trained) == len(native.intermediate_tasks) - len(native.skip)
    assert not trained & fallback


def test_demo_prints_the_fallback(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("xstilts.demo.study.cpu_has_native_bf16", lambda: False)
    monkeypatch.setattr("xstilts.cli.study_commands._run_and_report", lambda study, *a, **k: 0)
    assert main(["demo", "--out", str(tmp_path), "--quiet"]) == 0
    assert FP32_NOTE in capsys.readouterr().out
