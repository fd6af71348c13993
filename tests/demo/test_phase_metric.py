"""The demo's phase lines name the metric each phase was selected on, controls included."""

from __future__ import annotations

import pytest

from xstilts.experiments.phases import PhaseResult, format_phases, phase_metric


def test_control_phases_are_named_by_what_they_train() -> None:
    assert phase_metric("mnli") == ("accuracy", pytest.approx(100 / 3))
    # shuffled labels: MNLI's own dev set (true labels) selects it, so MNLI's chance applies
    assert phase_metric("mnli@shuffled") == ("accuracy", pytest.approx(100 / 3))
    assert phase_metric("mnli@mlm-control") == ("masked-token accuracy", None)
    assert phase_metric("sst2") == ("accuracy", pytest.approx(50.0))


def test_a_control_phase_line() -> None:
    phase = PhaseResult(
        "intermediate", "mnli@mlm-control", "mnli@mlm-control", 0, "masked-token accuracy",
        12.5, [(98, 10.0), (196, 12.5)], 196, None,
    )  # fmt: skip
    assert format_phases([phase]).splitlines()[1] == (
        "  intermediate mnli@mlm-control (seed 0): dev en masked-token accuracy 12.5; "
        "196 steps; curve 10.0 12.5"
    )
