"""Rows say where the time went (per language, per phase) and every study writes its log."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import duckdb
import pytest
from torch import nn

from xstilts.cli import main
from xstilts.config import StudyConfig, study_from_dict
from xstilts.experiments.runner import STORE_NAME, run_study
from xstilts.experiments.schema import RESULT_COLUMNS
from xstilts.experiments.store import ResultStore
from xstilts.experiments.timing import peak_memory_mib
from xstilts.families import base as family_base
from xstilts.families.base import Family, predict_sets_timed
from xstilts.tasks.spec import TaskSpec


def test_each_language_is_timed_not_apportioned(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]  # the timer predict_sets_timed reads: advanced by the fake predict alone

    def slow_for_swahili(model, task, examples, tokenizer, spec, max_length, batch_size) -> list:
        """A predict whose cost depends on the language, not on the number of examples."""
        clock[0] += 0.25 * sum(example == "sw" for example in examples)
        return [f"label-{example}" for example in examples]

    monkeypatch.setattr(family_base, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    family = cast(Family, SimpleNamespace(predict=slow_for_swahili))
    spec = cast(TaskSpec, SimpleNamespace(name="xnli"))
    sets = {("test", "de"): ["de"] * 3, ("test", "sw"): ["sw"]}
    args = (family, nn.Linear(1, 1), spec, sets, None, 16)
    predictions, seconds = predict_sets_timed(*args)
    assert predictions == {("test", "de"): ["label-de"] * 3, ("test", "sw"): ["label-sw"]}
    # by example counts German would get 3/4 of the time; measured, Swahili took it all
    assert seconds == {("test", "de"): 0.0, ("test", "sw"): 0.25}


def test_peak_memory_is_the_process_high_water_mark() -> None:
    before = peak_memory_mib()
    block = bytearray(64 * 2**20)  # 64 MiB touched
    block[::4096] = b"x" * len(block[::4096])
    assert peak_memory_mib() >= max(before, 64)


# Authored for this test, in LASER's Tatoeba layout: line i of both files are translations.
AMHARIC = ["ውሃ እፈልጋለሁ።", "ቶም ቤት ውስጥ ነው።", "ዛሬ ቀዝቃዛ ነው።", "መጽሐፉን አንብቤዋለሁ።"]
ENGLISH = ["I want water.", "Tom is at home.", "It is cold today.", "I have read the book."]


def tatoeba_study(
    name: str, encoder: Path, data: Path, out: Path, languages: list[str]
) -> StudyConfig:
    return study_from_dict(
        {
            "name": name,
            "encoder": {"name": str(encoder)},
            "intermediate_tasks": ["none"],
            "target_tasks": ["tatoeba"],
            "languages": languages,
            "data_dir": str(data),
            "output_dir": str(out),
            "threads": 1,
            "retrieval": {"layer": 1, "max_length": 24},
        }
    )


@pytest.fixture(scope="module")
def tatoeba_data(demo_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """German and Swahili from the demo, and Amharic (the LASER release's ``amh`` pair)."""
    data = tmp_path_factory.mktemp("tatoeba-data")
    shutil.copytree(demo_data / "tatoeba", data / "tatoeba")
    for code, lines in (("amh", AMHARIC), ("eng", ENGLISH)):
        (data / "tatoeba" / f"tatoeba.amh-eng.{code}").write_text(
            "\n".join(lines) + "\n", encoding="utf-8"
        )
    return data


@pytest.fixture(scope="module")
def retrieval_only(
    tiny_encoder: Path, tatoeba_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("retrieval-only")
    languages = ["de", "sw", "amh"]
    run_study(tatoeba_study("tatoeba-only", tiny_encoder, tatoeba_data, out, languages), False)
    return out


def test_retrieval_only_study_writes_its_log(retrieval_only: Path) -> None:
    log = (retrieval_only / "xstilts.log").read_text(encoding="utf-8")
    assert "study 'tatoeba-only'" in log
    assert "none -> tatoeba, seed 0" in log and "peak memory" in log
    assert "study 'tatoeba-only': 1 run done, 0 already stored, " in log  # not "1 runs"


def test_each_study_of_a_process_logs_only_its_own_lines(
    retrieval_only: Path, tiny_encoder: Path, tatoeba_data: Path, tmp_path: Path
) -> None:
    run_study(tatoeba_study("second-study", tiny_encoder, tatoeba_data, tmp_path, ["de"]), False)
    first = (retrieval_only / "xstilts.log").read_text(encoding="utf-8")
    second = (tmp_path / "xstilts.log").read_text(encoding="utf-8")
    assert "second-study" in second and "tatoeba-only" not in second
    assert "second-study" not in first


def test_rows_carry_per_language_seconds_and_memory(retrieval_only: Path) -> None:
    with ResultStore(retrieval_only / STORE_NAME, read_only=True) as store:
        rows = store.frame()
    assert set(rows.language) == {"de", "sw", "am"}
    assert (rows.eval_seconds > 0).all()
    assert (rows.eval_seconds <= rows.seconds).all()
    assert rows.groupby("language").eval_seconds.first().sum() <= rows.seconds.iloc[0]
    assert (rows.train_seconds == 0).all() and (rows.intermediate_seconds == 0).all()
    assert (rows.peak_memory_mib > 0).all()


def test_a_store_from_before_the_timing_columns_gains_them(tmp_path: Path) -> None:
    path = tmp_path / STORE_NAME
    old = {name: kind for name, kind in RESULT_COLUMNS.items() if name != "eval_seconds"}
    connection = duckdb.connect(str(path))
    connection.execute(
        "CREATE TABLE results (" + ", ".join(f'"{n}" {k}' for n, k in old.items()) + ")"
    )
    connection.close()
    row = {name: None for name in RESULT_COLUMNS} | {"run_id": "r", "value": 1.0}
    with ResultStore(path) as store:
        store.add_run([row | {"eval_seconds": 2.5}])
        frame = store.frame()
    assert list(frame.columns)[-1] == "eval_seconds"
    assert frame.eval_seconds.tolist() == [2.5]


def test_amharic_runs_and_its_predictions_score_as_stored(
    retrieval_only: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (predicted,) = retrieval_only.glob("runs/*/predictions/test-am.tsv")
    gold = tmp_path / "test-am.tsv"
    gold.write_text("".join(f"{i}\n" for i in range(len(AMHARIC))), encoding="utf-8")
    capsys.readouterr()
    argv = ["score", "tatoeba", "--lang", "am", "--pred", str(predicted), "--gold", str(gold)]
    assert main(argv) == 0
    scored = json.loads(capsys.readouterr().out)["accuracy"]
    with ResultStore(retrieval_only / STORE_NAME, read_only=True) as store:
        stored = store.frame("language = 'am' AND metric = 'accuracy'")["value"].item()
    assert scored == pytest.approx(stored)
