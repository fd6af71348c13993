"""Hand-made results stores for the analysis tests, in a test's own ``tmp_path``.

Every store here is written through the real ``ResultStore.add_run`` (one run = the rows of one
(study, encoder, intermediate, target, seed); the rows come from ``tests/store_records.py``), so
the analysis is tested on exactly what the runner would leave behind, and the expected numbers are
fixed by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from store_records import write_records
from xstilts.experiments.store import ResultStore


@pytest.fixture()
def store_factory(tmp_path: Path) -> Callable[[Iterable[Mapping[str, Any]], str], Path]:
    def make(records: Iterable[Mapping[str, Any]], name: str = "results.duckdb") -> Path:
        return write_records(tmp_path / name, records)

    return make


@pytest.fixture()
def store_rows(store_factory) -> Callable[..., pd.DataFrame]:
    """Write records through the real store and read them back, as the analysis reads them."""

    def read(records: Iterable[Mapping[str, Any]], name: str = "results.duckdb") -> pd.DataFrame:
        with ResultStore(store_factory(records, name), read_only=True) as store:
            return store.frame()

    return read
