"""span_qa end to end: SQuAD 2.0 -> XQuAD, MLQA, TyDiQA on a tiny XLM-R through the study runner,
with the official-format fixtures in ``fixtures/span_qa``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from span_qa_data import SPECS, qa_data_dir
from xstilts.config import study_from_dict
from xstilts.evaluate.score import score_file
from xstilts.experiments.runner import STORE_NAME, run_study
from xstilts.experiments.store import ResultStore
from xstilts.families import registry as family_registry
from xstilts.families import span_qa


@pytest.fixture(scope="module")
def finished_study(
    qa_encoder_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    data = qa_data_dir(tmp_path_factory.mktemp("qa-data"))
    out = tmp_path_factory.mktemp("qa-study")
    train = {"epochs": 2, "batch_size": 8, "max_length": 48, "learning_rate": 1e-3}
    config = {
        "name": "tiny-qa", "encoder": {"name": str(qa_encoder_dir)},
        "intermediate_tasks": ["squad_v2"], "target_tasks": ["xquad", "mlqa", "tydiqa"],
        "seeds": [0], "data_dir": str(data), "output_dir": str(out), "threads": 1,
        "intermediate": train, "target": train,
    }  # fmt: skip
    # Works before and after span_qa is registered for real: the test sets its own entries.
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(family_registry.FAMILY_OPS, "span_qa", span_qa.FAMILY)
        summary = run_study(study_from_dict(config), progress=False)
    assert summary.runs_done == 3
    return out, data


def test_study_scores_every_language_in_range(finished_study: tuple[Path, Path]) -> None:
    out, _ = finished_study
    with ResultStore(out / STORE_NAME, read_only=True) as store:
        rows = store.frame()
    found = {
        (task, split): set(group.language)
        for (task, split), group in rows.groupby(["target_task", "split"])
    }
    assert found == {
        ("xquad", "dev"): {"en"}, ("xquad", "test"): {"en", "de", "zh"},
        ("mlqa", "dev"): {"en", "de"}, ("mlqa", "test"): {"en", "de", "zh"},
        ("tydiqa", "test"): {"en", "sw"},
    }  # fmt: skip
    assert set(rows.metric) == {"exact_match", "f1"}
    assert rows.value.between(0.0, 100.0).all()
    assert (rows.intermediate_task == "squad_v2").all()


def test_study_writes_json_predictions_keyed_by_question_id(
    finished_study: tuple[Path, Path],
) -> None:
    out, data = finished_study
    files = sorted((out / "runs").glob("*/predictions/*"))
    assert len(files) == 11  # xquad 1 dev + 3 test, mlqa 2 + 3, tydiqa 2
    for path in files:
        predicted = json.loads(path.read_text(encoding="utf-8"))
        split, language = path.stem.split("-")
        task = json.loads((path.parents[1] / "config.json").read_text())["target_task"]
        examples = SPECS[task].load(data / task, split, language)
        assert list(predicted) == [e.id for e in examples]
        for example in examples:  # extractive: a piece of the question's own context
            assert isinstance(predicted[example.id], str)
            assert predicted[example.id] in example.context


def test_predictions_files_rescore_to_the_stored_values(finished_study: tuple[Path, Path]) -> None:
    """``xstilts score`` on a written file gives what the run stored (one metric, two paths)."""
    out, data = finished_study
    with ResultStore(out / STORE_NAME, read_only=True) as store:
        rows = store.frame()
    rows = rows[rows.selection == "last"]  # XTREME's QA rule (the recipe's selection)
    gold = {
        ("xquad", "de"): data / "xquad" / "xquad.de.json",
        ("mlqa", "zh"): data / "mlqa" / "test" / "test-context-zh-question-zh.json",
        ("tydiqa", "sw"): data / "tydiqa" / "tydiqa-goldp-v1.1-dev" / "tydiqa.sw.dev.json",
    }
    for (task, language), gold_path in gold.items():
        run_id = rows[rows.target_task == task].run_id.iloc[0]
        (prediction,) = (out / "runs" / run_id / "predictions").glob(f"test-{language}.*")
        rescored = score_file(task, language, prediction, gold_path)
        stored = rows[
            (rows.run_id == run_id) & (rows.split == "test") & (rows.language == language)
        ]
        assert rescored == pytest.approx(dict(zip(stored.metric, stored.value, strict=True)))
