"""experiments.oracle: per-language best steps, kept parameters, final oracle scores."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from xstilts.errors import XstiltsError
from xstilts.experiments.oracle import OracleTracker, languages_by_step, oracle_steps


def _dev(de: float, sw: float) -> dict[tuple[str, str, str], float]:
    return {("dev", "de", "accuracy"): de, ("dev", "sw", "accuracy"): sw}


def test_oracle_steps_take_each_languages_earliest_best_dev_step() -> None:
    history = {
        "10": {"dev\tde\taccuracy": 50.0, "dev\tsw\taccuracy": 40.0, "test\ten\taccuracy": 99.0},
        "20": {"dev\tde\taccuracy": 55.0, "dev\tsw\taccuracy": 40.0},
        "30": {"dev\tde\taccuracy": 55.0, "dev\tsw\taccuracy": 35.0},
    }
    # ties keep the earliest step; a language seen only in test has no oracle
    assert oracle_steps(history, "accuracy") == {"de": 20, "sw": 10}
    assert languages_by_step({"de": 20, "sw": 10, "fr": 20}) == {20: {"de", "fr"}, 10: {"sw"}}


def test_record_keeps_only_the_parameters_of_some_languages_best_step(tmp_path: Path) -> None:
    model = nn.Linear(2, 1)
    tracker = OracleTracker(tmp_path, "accuracy", "dev", is_main=True)
    for step, (de, sw) in enumerate([(50, 40), (60, 30), (70, 20)], start=1):
        with torch.no_grad():
            model.weight.fill_(step)
        tracker.record(step, _dev(de, sw), model)
    kept = sorted(p.name for p in (tmp_path / "oracle_states").iterdir())
    assert kept == ["step-1.safetensors", "step-3.safetensors"]  # sw's best, de's best
    # a new tracker (a resumed run) reads the history back
    assert OracleTracker(tmp_path, "accuracy", "dev", True).steps() == {"de": 3, "sw": 1}


def test_final_scores_use_each_languages_parameters_and_restore_the_selection(
    tmp_path: Path,
) -> None:
    model = nn.Linear(1, 1, bias=False)
    tracker = OracleTracker(tmp_path, "accuracy", "dev", is_main=True)
    for step, (de, sw) in enumerate([(50, 40), (60, 30)], start=1):
        with torch.no_grad():
            model.weight.fill_(float(step))
        tracker.record(step, _dev(de, sw), model)
    with torch.no_grad():
        model.weight.fill_(2.0)  # the English-dev choice: step 2
    sets = {(s, lang): [] for s in ("dev", "test") for lang in ("de", "sw")}

    def score(chosen: dict) -> dict:  # "accuracy" = the weight the model holds when scored
        return {(*key, "accuracy"): model.weight.item() for key in chosen}

    selected = {("test", "de", "accuracy"): 2.0, ("test", "sw", "accuracy"): 2.0}
    out = tracker.final_scores(model, sets, selected, 2, score)
    assert out == {
        ("dev", "de", "accuracy", "oracle"): 60.0,
        ("test", "de", "accuracy", "oracle"): 2.0,  # de peaked at the selected step
        ("dev", "sw", "accuracy", "oracle"): 40.0,
        ("test", "sw", "accuracy", "oracle"): 1.0,  # scored with step 1's parameters
    }
    assert model.weight.item() == 2.0
    (tmp_path / "oracle_states" / "step-1.safetensors").unlink()
    with pytest.raises(XstiltsError, match=r"oracle parameters of step 1 are missing"):
        tracker.final_scores(model, sets, selected, 2, score)
