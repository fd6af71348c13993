"""Each run folder keeps its own rows, so the store can always be rebuilt from the folders.

``runs/<run_id>/rows.json`` is written (atomically, with a sha256 of its rows) before the rows are
committed to ``results.duckdb``. So a kill between the two loses nothing: the next start commits
the finished run from its folder instead of training it again; and a damaged store is replaced by
``xstilts rebuild-store``, which reads every run folder (runs stored by versions that wrote no
``rows.json`` are carried over from the old store while it is still readable).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from xstilts.errors import XstiltsError, counted
from xstilts.experiments.schema import RESULT_COLUMNS, RunRecords
from xstilts.experiments.store import ResultStore
from xstilts.files import CorruptFileError, atomic_write_text, temporary_name
from xstilts.locking import output_lock

ROWS_FILE = "rows.json"
FORMAT = "xstilts-rows/1"
log = logging.getLogger("xstilts")


def _digest(rows: list[dict[str, Any]]) -> str:
    text = json.dumps(rows, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def write_run_rows(run_dir: Path, records: RunRecords) -> None:
    """Keep a run's rows and per-item scores in its folder (before the store commit)."""
    plain = [{key: _plain(value) for key, value in row.items()} for row in records["rows"]]
    items = records.get("items", [])
    document = {
        "format": FORMAT, "rows": plain, "sha256": _digest(plain),
        "items": items, "items_sha256": _digest(items),
    }  # fmt: skip
    atomic_write_text(run_dir / ROWS_FILE, json.dumps(document, indent=1))


def read_run_records(run_dir: Path) -> RunRecords:
    """The rows and items :func:`write_run_rows` kept (see :func:`read_run_rows`)."""
    rows = read_run_rows(run_dir)
    document = json.loads((run_dir / ROWS_FILE).read_text(encoding="utf-8"))
    items = document.get("items", [])
    if _digest(items) != document.get("items_sha256", _digest([])):
        raise CorruptFileError(f"{run_dir / ROWS_FILE}: item checksum mismatch (corrupt)")
    return {"rows": rows, "items": items}


def read_run_rows(run_dir: Path) -> list[dict[str, Any]]:
    """The rows :func:`write_run_rows` kept; :class:`CorruptFileError` names a damaged file."""
    path = run_dir / ROWS_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        rows = document["rows"]
        intact = document.get("format") == FORMAT and _digest(rows) == document.get("sha256")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise CorruptFileError(f"{path}: unreadable rows file ({error})") from None
    if not intact:
        raise CorruptFileError(f"{path}: checksum mismatch (the file is corrupt)")
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise CorruptFileError(f"{path}: rows must be a list of objects")
    if any(row.get("run_id") != run_dir.name for row in rows):
        raise CorruptFileError(f"{path}: rows of another run (expected run id {run_dir.name})")
    timestamps = [name for name, kind in RESULT_COLUMNS.items() if kind == "TIMESTAMP"]
    for row in rows:
        for name in timestamps:
            if isinstance(row.get(name), str):
                row[name] = datetime.fromisoformat(row[name])
    return rows


def commit_kept_runs(store_path: Path, run_dirs: list[Path]) -> int:
    """Commit the runs among ``run_dirs`` that finished but whose commit a kill prevented."""
    committed = 0
    for run_dir in run_dirs:
        if not (run_dir / ROWS_FILE).is_file():
            continue
        try:
            records = read_run_records(run_dir)
        except CorruptFileError as error:
            log.warning("%s; the run will be computed again", error)
            continue
        with ResultStore(store_path) as store:
            store.add_run(records["rows"], records["items"])
        committed += 1
    if committed:
        log.info("committed %s from their run folders", counted(committed, "finished run"))
    return committed


@dataclass
class RebuildSummary:
    store_path: Path
    runs: int = 0
    rows: int = 0
    from_old_store: int = 0
    skipped: list[str] = field(default_factory=list)  # one reason per run folder left out
    backup: Path | None = None


def rebuild_store(output_dir: Path, store_name: str) -> RebuildSummary:
    """Write a new store from ``output_dir/runs/*/rows.json``; the old file is kept as ``.bak``."""
    if not (output_dir / "runs").is_dir() and not (output_dir / store_name).exists():
        raise XstiltsError(f"{output_dir}: no runs/ folder and no {store_name}; nothing to rebuild")
    with output_lock(output_dir, "xstilts rebuild-store"):
        return _rebuild(output_dir, output_dir / store_name)


def _rebuild(output_dir: Path, store_path: Path) -> RebuildSummary:
    summary = RebuildSummary(store_path)
    runs: dict[str, RunRecords] = {}
    for run_dir in sorted((output_dir / "runs").glob("*/")):
        if not (run_dir / ROWS_FILE).is_file():
            summary.skipped.append(f"{run_dir.name}: no {ROWS_FILE}")
            continue
        try:
            runs[run_dir.name] = read_run_records(run_dir)
        except CorruptFileError as error:
            summary.skipped.append(str(error))
    old_rows = _readable_rows(store_path)
    if old_rows is not None:
        for run_id, rows in old_rows.items():
            if run_id not in runs:
                runs[run_id] = {"rows": rows, "items": []}
                summary.from_old_store += 1
    temporary = temporary_name(store_path)
    try:
        with ResultStore(temporary) as store:
            for records in runs.values():
                summary.rows += store.add_run(records["rows"], records["items"])
                summary.runs += 1
        if store_path.exists():  # a hard link: the old file stays in place until the swap
            summary.backup = store_path.with_name(store_path.name + ".bak")
            summary.backup.unlink(missing_ok=True)
            os.link(store_path, summary.backup)
        wal = store_path.with_name(store_path.name + ".wal")
        if wal.exists():  # the old file's journal must never be replayed onto the new one
            os.replace(wal, store_path.with_name(store_path.name + ".bak.wal"))
        os.replace(temporary, store_path)
    finally:
        for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
            if leftover.exists():
                leftover.unlink() if leftover.is_file() else shutil.rmtree(leftover)
    return summary


def _readable_rows(store_path: Path) -> dict[str, list[dict[str, Any]]] | None:
    """Every run's rows in the old store, or None when it cannot be read."""
    if not store_path.is_file():
        return None
    try:
        with ResultStore(store_path, read_only=True, lock_timeout=5) as store:
            frame = store.frame()
    except XstiltsError as error:
        log.warning("%s; only the run folders are used", error)
        return None
    frame = frame.astype(object).where(frame.notna(), None)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in frame.to_dict("records"):
        grouped.setdefault(str(row["run_id"]), []).append(row)
    return grouped


__all__ = ["ROWS_FILE", "RebuildSummary", "commit_kept_runs", "read_run_records", "read_run_rows",
           "rebuild_store", "write_run_rows"]  # fmt: skip
