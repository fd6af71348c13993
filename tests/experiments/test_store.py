"""The DuckDB results store: atomic runs, idempotent re-insert, export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from xstilts.errors import XstiltsError
from xstilts.experiments.schema import RESULT_COLUMNS
from xstilts.experiments.store import ResultStore


def rows(run_id: str, values: list[float]) -> list[dict]:
    base = {
        "run_id": run_id, "study": "s", "encoder": "e", "intermediate_task": "mnli",
        "target_task": "xnli", "seed": 0, "split": "test", "selection": "en_dev",
        "metric": "accuracy", "config_json": {"a": 1}, "started_at": datetime(2026, 1, 1),
        "seconds": 1.5,
    }  # fmt: skip
    return [{**base, "language": f"l{i}", "value": v} for i, v in enumerate(values)]


def test_add_and_read_back(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.duckdb") as store:
        assert not store.has_run("a")
        assert store.add_run(rows("a", [1.0, 2.0])) == 2
        assert store.has_run("a")
        frame = store.frame()
    assert list(frame.columns) == list(RESULT_COLUMNS)
    assert sorted(frame["value"]) == [1.0, 2.0]
    assert frame["config_json"][0] == '{"a": 1}'


def test_rewriting_a_run_replaces_it(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.duckdb") as store:
        store.add_run(rows("a", [1.0, 2.0]))
        store.add_run(rows("a", [3.0]))
        assert store.frame()["value"].tolist() == [3.0]


def test_failed_insert_leaves_nothing(tmp_path: Path) -> None:
    bad = rows("a", [1.0, 2.0])
    bad[1]["seed"] = "not an int"
    with ResultStore(tmp_path / "r.duckdb") as store:
        with pytest.raises(Exception):  # noqa: B017 - any conversion error
            store.add_run(bad)
        assert store.frame().empty


def test_export_parquet_and_csv(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.duckdb") as store:
        store.add_run(rows("a", [1.0, 2.0]))
        store.export(tmp_path / "out.parquet")
        store.export(tmp_path / "out.csv")
        with pytest.raises(XstiltsError, match=r"must be \.parquet or \.csv"):
            store.export(tmp_path / "out.xlsx")
    assert pd.read_parquet(tmp_path / "out.parquet")["value"].tolist() == [1.0, 2.0]
    assert pd.read_csv(tmp_path / "out.csv")["language"].tolist() == ["l0", "l1"]


def test_read_only_missing_store_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(XstiltsError, match="no results store"):
        ResultStore(tmp_path / "none.duckdb", read_only=True)


def items(run_id: str, scores: list[float]) -> list[dict]:
    base = {"run_id": run_id, "target_task": "xnli", "split": "test", "language": "de",
            "selection": "en_dev", "metric": "accuracy"}  # fmt: skip
    return [{**base, "item_id": str(i), "score": s} for i, s in enumerate(scores)]


def test_items_are_written_and_replaced_with_their_run(tmp_path: Path) -> None:
    with ResultStore(tmp_path / "r.duckdb") as store:
        store.add_run(rows("a", [50.0]), items("a", [0.0, 100.0]))
        store.add_run(rows("b", [100.0]), items("b", [100.0]))
        assert store.items("run_id = ?", ["a"])["score"].tolist() == [0.0, 100.0]
        store.add_run(rows("a", [100.0]), items("a", [100.0, 100.0, 100.0]))
        counts = store.items().groupby("run_id").size().to_dict()
    assert counts == {"a": 3, "b": 1}


def test_bad_items_roll_back_the_rows(tmp_path: Path) -> None:
    bad = items("a", [1.0])
    bad[0]["score"] = "not a number"
    with ResultStore(tmp_path / "r.duckdb") as store:
        with pytest.raises(Exception):  # noqa: B017 - any conversion error
            store.add_run(rows("a", [1.0]), bad)
        assert store.frame().empty and store.items().empty
        with pytest.raises(ValueError, match="must belong to the run"):
            store.add_run(rows("a", [1.0]), items("other", [1.0]))
        assert store.frame().empty


def test_a_store_without_the_items_table_reads_as_no_items(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "old.duckdb"
    columns = ", ".join(f'"{n}" {k}' for n, k in RESULT_COLUMNS.items())
    connection = duckdb.connect(str(path))
    connection.execute(f"CREATE TABLE results ({columns})")
    connection.close()
    with ResultStore(path, read_only=True) as store:
        assert store.items().empty


def test_a_seed_of_2_to_the_31_and_beyond_is_stored(tmp_path: Path) -> None:
    big = rows("a", [1.0])
    big[0]["seed"] = 2**31
    with ResultStore(tmp_path / "r.duckdb") as store:
        store.add_run(big)
        store.add_run([{**big[0], "run_id": "b", "seed": 2**62}])
        assert sorted(store.frame()["seed"].tolist()) == [2**31, 2**62]


def test_a_store_of_an_older_version_is_migrated_in_place(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "r.duckdb"
    old_columns = {name: ("INTEGER" if name == "seed" else kind)
                   for name, kind in RESULT_COLUMNS.items() if name != "seconds"}  # fmt: skip
    with duckdb.connect(str(path)) as connection:
        columns = ", ".join(f'"{name}" {kind}' for name, kind in old_columns.items())
        connection.execute(f"CREATE TABLE results ({columns})")
    big = rows("a", [1.0])
    big[0]["seed"] = 2**31
    with ResultStore(path) as store:
        store.add_run(big)
        frame = store.frame()
    assert frame["seed"].tolist() == [2**31] and frame["seconds"].tolist() == [1.5]


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_a_damaged_store_is_one_line_naming_the_file_and_the_rebuild(
    tmp_path: Path, damage: str
) -> None:
    path = tmp_path / "results.duckdb"
    with ResultStore(path) as store:
        for index in range(30):
            store.add_run(rows(f"run{index}", [float(i) for i in range(200)]))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3] if damage == "truncate" else b"not a database" * 99)
    for read_only in (True, False):
        with pytest.raises(XstiltsError) as caught, ResultStore(path, read_only) as store:
            store.frame()
        message = str(caught.value)
        assert "\n" not in message and str(path) in message
        assert f"xstilts rebuild-store {tmp_path}" in message


def test_a_full_disk_at_commit_is_one_line_and_keeps_the_committed_runs(tmp_path: Path) -> None:
    import duckdb

    class FullDisk:
        """The connection as DuckDB behaves when a write finds no space left."""

        def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
            self.connection = connection

        def execute(self, query: str, *args: object) -> object:
            if query.startswith("INSERT"):
                raise duckdb.IOException(
                    'IO Error: Could not write file "r.duckdb.wal": No space left on device'
                )
            return self.connection.execute(query, *args)

        def __getattr__(self, name: str) -> object:
            return getattr(self.connection, name)

    with ResultStore(tmp_path / "r.duckdb") as store:
        store.add_run(rows("a", [1.0]))
        store.connection = FullDisk(store.connection)  # type: ignore[assignment]
        with pytest.raises(XstiltsError) as caught:
            store.add_run(rows("b", [2.0]))
        assert "No space left" in str(caught.value) and "run again to resume" in str(caught.value)
        assert store.run_ids() == {"a"}
