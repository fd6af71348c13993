"""Control intermediates: shuffled labels and equal-step masked-LM on the task's own inputs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from helpers import result_rows
from tiny_models import build_tiny_encoder, corpus
from xstilts.config import study_from_dict
from xstilts.data.examples import ClassificationExample, SpanQAExample, TaggingExample
from xstilts.errors import XstiltsError
from xstilts.experiments import controls
from xstilts.experiments.plan import make_plan
from xstilts.experiments.runner import run_study
from xstilts.experiments.task_data import load_examples, task_data
from xstilts.tasks.registry import get_task


def pairs(n: int) -> list[ClassificationExample]:
    labels = ["entailment", "neutral", "contradiction"]
    return [ClassificationExample(str(i), f"premise {i}", f"hypothesis {i}", labels[i % 3])
            for i in range(n)]  # fmt: skip


def test_shuffled_labels_keep_the_distribution_and_break_the_relation() -> None:
    examples = pairs(300)
    shuffled = controls.shuffled_labels(examples)
    assert [e.text_a for e in shuffled] == [e.text_a for e in examples]
    assert Counter(e.label for e in shuffled) == Counter(e.label for e in examples)
    same = sum(a.label == b.label for a, b in zip(examples, shuffled, strict=True))
    assert 60 < same < 140  # about a third agree by chance, not all
    assert controls.shuffled_labels(examples) == shuffled  # a fixed permutation


def test_mlm_control_text_is_the_task_inputs() -> None:
    lines = controls.as_text(pairs(2))
    assert [line.text for line in lines] == ["premise 0 hypothesis 0", "premise 1 hypothesis 1"]
    tagged = TaggingExample("s1", ("Ada", "wrote"), ("B-PER", "O"))
    assert controls.example_text(tagged) == "Ada wrote"
    qa = SpanQAExample("q", "Who?", "Ada wrote.", ("Ada",), (0,))
    assert controls.example_text(qa) == "Who? Ada wrote."


def test_control_specs_and_errors() -> None:
    spec = controls.control_spec(get_task("mnli"), controls.MLM_CONTROL)
    assert spec.family == "masked_lm" and spec.name == "mnli@mlm-control"
    with pytest.raises(XstiltsError, match="cannot be shuffled"):
        controls.control_spec(get_task("squad"), controls.SHUFFLED)


def control_study(encoder: Path, data: Path, out: Path) -> object:
    small = {"epochs": 1, "batch_size": 32, "max_length": 48, "learning_rate": 1e-3,
             "max_train_examples": 64}  # fmt: skip
    return study_from_dict({
        "name": "controls", "encoder": {"name": str(encoder)},
        "intermediate_tasks": ["mnli", "mnli@shuffled", "mnli@mlm-control"],
        "target_tasks": ["xnli"], "seeds": [0], "data_dir": str(data), "output_dir": str(out),
        "threads": 1, "intermediate": small, "target": small,
    })  # fmt: skip


def test_controls_are_distinct_grid_entries(tiny_encoder: Path, demo_data: Path, tmp_path: Path):
    study = control_study(tiny_encoder, demo_data, tmp_path)
    plan = make_plan(study)
    keys = {plan.intermediate_key(c, 0) for c in study.intermediate_tasks}
    assert len(keys) == 3
    control = task_data(plan.tasks["mnli@mlm-control"])
    load_examples(control, study.intermediate)
    original = task_data(plan.tasks["mnli"])
    load_examples(original, study.intermediate)
    assert len(control.train) == len(original.train)  # one line per example: equal steps
    assert control.train[0].text == f"{original.train[0].text_a} {original.train[0].text_b}"
    shuffled = task_data(plan.tasks["mnli@shuffled"])
    load_examples(shuffled, study.intermediate)
    assert [e.label for e in shuffled.train] != [e.label for e in original.train]
    assert [e.label for e in shuffled.dev_en] == [e.label for e in original.dev_en]


@pytest.mark.slow
def test_controls_run_end_to_end(demo_data: Path, tmp_path: Path) -> None:
    encoder = build_tiny_encoder(tmp_path / "encoder", corpus(demo_data), mask_token="<mask>")
    summary = run_study(control_study(encoder, demo_data, tmp_path / "out"), progress=False)
    assert summary.runs_done == 3
    rows = result_rows(tmp_path / "out")
    assert set(rows.intermediate_task) == {"mnli", "mnli@shuffled", "mnli@mlm-control"}
