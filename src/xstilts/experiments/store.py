"""The results store: an embedded DuckDB file with one tidy row per score.

All rows of one run are written in a single transaction, so a killed process leaves either the
whole run or nothing — never a half run — and ``has_run`` is the resume test.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from xstilts.errors import XstiltsError
from xstilts.experiments.schema import ITEM_COLUMNS, ITEMS_TABLE, RESULT_COLUMNS

TABLE = "results"


def _connect(path: Path, read_only: bool, lock_timeout: float) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, waiting while another process holds its lock.

    A running study opens the store only for the instant it commits a run, so ``xstilts
    results``/``report`` can read while a study runs; either side waits out the other's lock.
    """
    deadline = time.monotonic() + lock_timeout
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise store_error(path, "cannot open the results store", error) from None
        except duckdb.Error as error:
            raise store_error(path, "cannot open the results store", error) from None
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


def store_error(path: Path, what: str, error: BaseException) -> XstiltsError:
    """One line for a DuckDB failure, with the way out when the file itself is damaged."""
    text = " ".join(str(error).split())
    if len(text) > 300:
        text = text[:300] + " ..."
    hint = ""
    damaged = ("not a valid duckdb", "could not read", "corrupt", "checksum", "serializ")
    if any(word in text.lower() for word in damaged):
        hint = f"; the file is damaged: rebuild it with `xstilts rebuild-store {path.parent}`"
    elif "no space left" in text.lower() or "disk is full" in text.lower():
        hint = "; free space and run again to resume (committed runs are kept)"
    return XstiltsError(f"{path}: {what} ({text}){hint}")


def _migrate(connection: duckdb.DuckDBPyConnection) -> None:
    """Bring a store written by an older version up to :data:`RESULT_COLUMNS` (additive only).

    Seeds were INTEGER, which refused seed 2**31 after the run had trained; new columns are
    added empty so the runs already stored stay readable.
    """
    existing = dict(
        connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
            [TABLE],
        ).fetchall()
    )
    for name, kind in RESULT_COLUMNS.items():
        if name not in existing:
            connection.execute(f'ALTER TABLE {TABLE} ADD COLUMN "{name}" {kind}')
        elif kind == "BIGINT" and existing[name] == "INTEGER":
            connection.execute(f'ALTER TABLE {TABLE} ALTER "{name}" TYPE BIGINT')


class ResultStore:
    """A thin wrapper over one DuckDB file; open, use, close (or use as a context manager)."""

    def __init__(self, path: str | Path, read_only: bool = False, lock_timeout: float = 60) -> None:
        self.path = Path(path)
        if read_only and not self.path.is_file():
            raise XstiltsError(f"{self.path}: no results store here (run a study first)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = _connect(self.path, read_only, lock_timeout)
        if not read_only:
            columns = ", ".join(f'"{name}" {kind}' for name, kind in RESULT_COLUMNS.items())
            try:
                self.connection.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ({columns})")
                items = ", ".join(f'"{name}" {kind}' for name, kind in ITEM_COLUMNS.items())
                self.connection.execute(f"CREATE TABLE IF NOT EXISTS {ITEMS_TABLE} ({items})")
                _migrate(self.connection)
            except duckdb.Error as error:
                self.connection.close()
                raise store_error(self.path, "cannot prepare the results store", error) from None

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()

    def _read(self, query: str, parameters: list[Any], fetch: str) -> Any:
        """Run a read query; a damaged file becomes one line naming it (not a DuckDB trace)."""
        try:
            return getattr(self.connection.execute(query, parameters), fetch)()
        except duckdb.Error as error:
            raise store_error(self.path, "cannot read the results store", error) from None

    def has_run(self, run_id: str) -> bool:
        """Whether a run's rows are already stored (its transaction committed)."""
        query = f"SELECT 1 FROM {TABLE} WHERE run_id = ? LIMIT 1"
        return self._read(query, [run_id], "fetchone") is not None

    def run_ids(self) -> set[str]:
        """Every run id with committed rows."""
        rows = self._read(f"SELECT DISTINCT run_id FROM {TABLE}", [], "fetchall")
        return {row[0] for row in rows}

    def add_run(
        self,
        rows: Iterable[Mapping[str, Any]],
        items: Iterable[Mapping[str, Any]] = (),
    ) -> int:
        """Insert all rows of one run, and its per-item scores, atomically; returns the number
        of rows written. A run's items are replaced together with its rows."""
        import pandas as pd

        frame = pd.DataFrame(list(rows), columns=list(RESULT_COLUMNS))
        if frame.empty:
            return 0
        if frame["run_id"].nunique() != 1:
            raise ValueError("add_run takes the rows of exactly one run")
        frame["layer"] = pd.array(
            [None if pd.isna(v) else int(v) for v in frame["layer"]], dtype="Int64"
        )
        frame["config_json"] = frame["config_json"].map(
            lambda c: c if isinstance(c, str) else json.dumps(c, sort_keys=True)
        )
        self.connection.execute("BEGIN TRANSACTION")
        try:
            self.connection.execute(f"DELETE FROM {TABLE} WHERE run_id = ?", [frame["run_id"][0]])
            self.connection.register("incoming", frame)
            self.connection.execute(f"INSERT INTO {TABLE} BY NAME SELECT * FROM incoming")
            self.connection.unregister("incoming")
            self._replace_items(str(frame["run_id"][0]), items)
            self.connection.execute("COMMIT")
        except duckdb.Error as error:
            with contextlib.suppress(duckdb.Error):
                self.connection.execute("ROLLBACK")
            raise store_error(self.path, "cannot commit the run's rows", error) from None
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                self.connection.execute("ROLLBACK")
            raise
        return len(frame)

    def _replace_items(self, run_id: str, items: Iterable[Mapping[str, Any]]) -> None:
        """Inside ``add_run``'s transaction: the run's item scores replace any stored ones."""
        import pandas as pd

        self.connection.execute(f"DELETE FROM {ITEMS_TABLE} WHERE run_id = ?", [run_id])
        item_frame = pd.DataFrame(list(items), columns=list(ITEM_COLUMNS))
        if item_frame.empty:
            return
        if set(item_frame["run_id"]) != {run_id}:
            raise ValueError("add_run: item scores must belong to the run being written")
        self.connection.register("incoming_items", item_frame)
        self.connection.execute(f"INSERT INTO {ITEMS_TABLE} SELECT * FROM incoming_items")
        self.connection.unregister("incoming_items")

    def has_items_table(self) -> bool:
        """Whether the store has the items table (stores written before it existed do not)."""
        found = self.connection.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_name = ?", [ITEMS_TABLE]
        ).fetchone()
        return found is not None

    def items(self, where: str = "", parameters: list[Any] | None = None) -> Any:
        """Per-item scores (optionally filtered) as a DataFrame; empty for an older store."""
        import pandas as pd

        if not self.has_items_table():
            return pd.DataFrame(columns=list(ITEM_COLUMNS))
        query = f"SELECT * FROM {ITEMS_TABLE}" + (f" WHERE {where}" if where else "")
        return self.connection.execute(query, parameters or []).df()

    def frame(self, where: str = "", parameters: list[Any] | None = None) -> Any:
        """All rows (optionally filtered with a SQL condition) as a DataFrame."""
        query = f"SELECT * FROM {TABLE}" + (f" WHERE {where}" if where else "")
        return self._read(query, parameters or [], "df")

    def export(self, out: str | Path) -> Path:
        """Write every row to ``.parquet`` or ``.csv`` (chosen by the suffix)."""
        out = Path(out)
        suffix = out.suffix.lower()
        if suffix not in (".parquet", ".csv"):
            raise XstiltsError(f"{out}: export format must be .parquet or .csv")
        out.parent.mkdir(parents=True, exist_ok=True)
        fmt = "FORMAT PARQUET" if suffix == ".parquet" else "FORMAT CSV, HEADER"
        target = str(out).replace("'", "''")
        query = f"COPY (SELECT * FROM {TABLE} ORDER BY ALL) TO '{target}' ({fmt})"
        self._read(query, [], "fetchall")
        return out
