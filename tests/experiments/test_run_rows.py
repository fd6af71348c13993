"""Rows kept in each run folder: checksummed, committed after a kill, a store rebuilt from them."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from xstilts.errors import XstiltsError
from xstilts.experiments.run_rows import (
    ROWS_FILE,
    commit_kept_runs,
    read_run_records,
    read_run_rows,
    rebuild_store,
    write_run_rows,
)
from xstilts.experiments.store import ResultStore
from xstilts.files import CorruptFileError
from xstilts.locking import output_lock


def rows(run_id: str, values: list[float]) -> list[dict]:
    base = {
        "run_id": run_id, "study": "s", "encoder": "e", "intermediate_task": "mnli",
        "target_task": "xnli", "seed": 2**31, "split": "test", "selection": "en_dev",
        "metric": "accuracy", "config_json": '{"a": 1}',
        "started_at": datetime(2026, 1, 1, 12, 30, 5, 250), "seconds": 1.5,
    }  # fmt: skip
    return [{**base, "language": f"l{i}", "value": v} for i, v in enumerate(values)]


def _run(out: Path, run_id: str, values: list[float]) -> Path:
    run_dir = out / "runs" / run_id
    run_dir.mkdir(parents=True)
    scores = [{"run_id": run_id, "item_id": "0", "score": 1.0}]
    write_run_rows(run_dir, {"rows": rows(run_id, values), "items": scores})
    return run_dir


def test_rows_round_trip_exactly(tmp_path: Path) -> None:
    run_dir = _run(tmp_path, "abc", [1.0, float("nan"), 3.25])
    back = read_run_rows(run_dir)
    original = rows("abc", [1.0, float("nan"), 3.25])
    assert [r["value"] for r in back][::2] == [1.0, 3.25]
    assert [{k: v for k, v in r.items() if k != "value"} for r in back] == [
        {k: v for k, v in r.items() if k != "value"} for r in original
    ]


def test_items_round_trip_with_their_rows(tmp_path: Path) -> None:
    records = read_run_records(_run(tmp_path, "abc", [1.0]))
    assert records["items"] == [{"run_id": "abc", "item_id": "0", "score": 1.0}]
    assert [r["value"] for r in records["rows"]] == [1.0]


@pytest.mark.parametrize("damage", ["flip", "truncate", "other run"])
def test_a_damaged_rows_file_is_named(tmp_path: Path, damage: str) -> None:
    run_dir = _run(tmp_path, "abc", [1.0, 2.0])
    path = run_dir / ROWS_FILE
    text = path.read_text(encoding="utf-8")
    if damage == "flip":
        path.write_text(text.replace("1.0", "7.0", 1), encoding="utf-8")
    elif damage == "truncate":
        path.write_text(text[: len(text) // 2], encoding="utf-8")
    else:
        (tmp_path / "runs" / "xyz").mkdir()
        (tmp_path / "runs" / "xyz" / ROWS_FILE).write_text(text, encoding="utf-8")
        run_dir = tmp_path / "runs" / "xyz"
    with pytest.raises(CorruptFileError) as caught:
        read_run_rows(run_dir)
    assert ROWS_FILE in str(caught.value) and "\n" not in str(caught.value)


def test_finished_runs_a_kill_kept_from_the_store_are_committed(tmp_path: Path) -> None:
    kept = [_run(tmp_path, "a", [1.0]), _run(tmp_path, "b", [2.0, 3.0])]
    (tmp_path / "runs" / "c").mkdir()  # a run that never finished
    damaged = _run(tmp_path, "d", [4.0])
    (damaged / ROWS_FILE).write_text("{", encoding="utf-8")
    store_path = tmp_path / "results.duckdb"
    assert commit_kept_runs(store_path, [*kept, tmp_path / "runs" / "c", damaged]) == 2
    with ResultStore(store_path, read_only=True) as store:
        assert store.run_ids() == {"a", "b"}


def test_rebuild_restores_the_table_of_a_destroyed_store(tmp_path: Path) -> None:
    store_path = tmp_path / "results.duckdb"
    for run_id, values in (("a", [1.0, 2.0]), ("b", [3.0])):
        _run(tmp_path, run_id, values)
        with ResultStore(store_path) as store:
            store.add_run(rows(run_id, values))
    with ResultStore(store_path, read_only=True) as store:
        before = store.frame().sort_values(["run_id", "language"]).reset_index(drop=True)
    store_path.write_bytes(b"\0" * 5000)
    (tmp_path / "runs" / "old-version").mkdir()  # a folder without rows.json is reported
    summary = rebuild_store(tmp_path, "results.duckdb")
    assert (summary.runs, summary.rows) == (2, 3)
    assert summary.skipped == ["old-version: no rows.json"]
    assert summary.backup is not None and summary.backup.read_bytes() == b"\0" * 5000
    with ResultStore(store_path, read_only=True) as store:
        after = store.frame().sort_values(["run_id", "language"]).reset_index(drop=True)
    assert after.equals(before)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".lock",
        "results.duckdb",
        "results.duckdb.bak",
        "runs",
    ]


def test_rebuild_keeps_runs_only_the_old_readable_store_has(tmp_path: Path) -> None:
    store_path = tmp_path / "results.duckdb"
    _run(tmp_path, "a", [1.0])
    with ResultStore(store_path) as store:
        store.add_run(rows("legacy", [5.0, 6.0]))  # stored by a version without rows.json
    summary = rebuild_store(tmp_path, "results.duckdb")
    assert (summary.runs, summary.rows, summary.from_old_store) == (2, 3, 1)
    with ResultStore(store_path, read_only=True) as store:
        assert store.run_ids() == {"a", "legacy"}
        assert json.loads(store.frame()["config_json"][0]) == {"a": 1}


def test_rebuild_refuses_a_busy_folder_and_an_empty_one(tmp_path: Path) -> None:
    with pytest.raises(XstiltsError, match="nothing to rebuild"):
        rebuild_store(tmp_path, "results.duckdb")
    _run(tmp_path, "a", [1.0])
    with output_lock(tmp_path), pytest.raises(XstiltsError, match="in use by another"):
        rebuild_store(tmp_path, "results.duckdb")
