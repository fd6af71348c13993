"""Rows say where the time went (per language, per phase) and every study writes its log."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from xstilts.config import study_from_dict
from xstilts.experiments.runner import STORE_NAME, run_study
from xstilts.experiments.schema import RESULT_COLUMNS
from xstilts.experiments.store import ResultStore
from xstilts.experiments.timing import peak_memory_mib, share_by_examples


def test_share_by_examples_splits_a_pooled_pass() -> None:
    shared = share_by_examples(6.0, {("test", "de"): [1, 2], ("test", "sw"): [1, 2, 3, 4]})
    assert shared == {("test", "de"): 2.0, ("test", "sw"): 4.0}
    assert share_by_examples(1.0, {("test", "de"): []}) == {("test", "de"): 0.0}


def test_peak_memory_is_the_process_high_water_mark() -> None:
    before = peak_memory_mib()
    block = bytearray(64 * 2**20)  # 64 MiB touched
    block[::4096] = b"x" * len(block[::4096])
    assert peak_memory_mib() >= max(before, 64)


@pytest.fixture(scope="module")
def retrieval_only(
    tiny_encoder: Path, demo_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("retrieval-only")
    study = study_from_dict(
        {
            "name": "tatoeba-only",
            "encoder": {"name": str(tiny_encoder)},
            "intermediate_tasks": ["none"],
            "target_tasks": ["tatoeba"],
            "languages": ["de", "sw"],
            "data_dir": str(demo_data),
            "output_dir": str(out),
            "threads": 1,
            "retrieval": {"layer": 1, "max_length": 24},
        }
    )
    run_study(study, progress=False)
    return out


def test_retrieval_only_study_writes_its_log(retrieval_only: Path) -> None:
    log = (retrieval_only / "xstilts.log").read_text(encoding="utf-8")
    assert "study 'tatoeba-only'" in log
    assert "none -> tatoeba, seed 0" in log and "peak memory" in log


def test_rows_carry_per_language_seconds_and_memory(retrieval_only: Path) -> None:
    with ResultStore(retrieval_only / STORE_NAME, read_only=True) as store:
        rows = store.frame()
    assert set(rows.language) == {"de", "sw"}
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
