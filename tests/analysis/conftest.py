"""Hand-made results stores for the analysis tests.

Every store here is written through the real ``ResultStore.add_run`` (one run = the rows of one
(study, encoder, intermediate, target, seed)), so the analysis is tested on exactly what the
runner would leave behind, and the expected numbers are fixed by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from xstilts.experiments.store import ResultStore

DEFAULTS: dict[str, Any] = {
    "study": "s",
    "encoder": "xlmr",
    "split": "test",
    "selection": "en_dev",
    "metric": "accuracy",
    "config_json": {},
    "started_at": datetime(2026, 1, 1),
    "seconds": 1.0,
}


def score(**fields: Any) -> dict[str, Any]:
    """One store row: the defaults above overridden by ``fields`` (run_id filled on write)."""
    return {**DEFAULTS, **fields}


def rows_of(header: str, *values: Sequence[Any], **shared: Any) -> list[dict[str, Any]]:
    """Store rows from a header and one tuple per row, e.g.
    ``rows_of("language seed value", ("de", 0, 70.0), ("sw", 0, 55.0), target_task="xnli")``:
    what a test varies reads as a table, what it fixes is said once."""
    names = header.split()
    return [score(**shared, **dict(zip(names, row, strict=True))) for row in values]


def write_store(path: Path, records: Iterable[Mapping[str, Any]]) -> Path:
    """Write ``records`` (from :func:`score`) as one run per (study, encoder, intermediate,
    target, seed), the way the runner does."""
    runs: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for record in records:
        key = tuple(
            record[k] for k in ("study", "encoder", "intermediate_task", "target_task", "seed")
        )
        runs.setdefault(key, []).append(dict(record))
    with ResultStore(path) as store:
        for key, rows in runs.items():
            run_id = "-".join(str(part) for part in key)
            store.add_run([{**row, "run_id": run_id} for row in rows])
    return path


@pytest.fixture()
def store_factory(tmp_path: Path) -> Callable[[Iterable[Mapping[str, Any]], str], Path]:
    def make(records: Iterable[Mapping[str, Any]], name: str = "results.duckdb") -> Path:
        return write_store(tmp_path / name, records)

    return make


@pytest.fixture()
def store_rows(store_factory) -> Callable[..., pd.DataFrame]:
    """Write records through the real store and read them back, as the analysis reads them."""

    def read(records: Iterable[Mapping[str, Any]], name: str = "results.duckdb") -> pd.DataFrame:
        with ResultStore(store_factory(records, name), read_only=True) as store:
            return store.frame()

    return read


@pytest.fixture(scope="session")
def rows() -> Callable[..., list[dict[str, Any]]]:
    """:func:`rows_of`, as a fixture."""
    return rows_of


@pytest.fixture(scope="session")
def row() -> Callable[..., dict[str, Any]]:
    """The :func:`score` row builder, as a fixture (conftest modules are not importable)."""
    return score


@pytest.fixture(scope="session")
def write_records() -> Callable[[Path, Iterable[Mapping[str, Any]]], Path]:
    """:func:`write_store`, usable from module-scoped fixtures."""
    return write_store
