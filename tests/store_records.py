"""Hand-made results-store rows for the analysis tests: ``row`` (one row), ``rows`` (a table of
rows) and ``write_records`` (a store written through the real ``ResultStore.add_run``, one run
per (study, encoder, intermediate, target, seed), as the runner leaves it).

Importable from any test module (``from store_records import rows``), as ``tiny_models``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

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


def row(**fields: Any) -> dict[str, Any]:
    """One store row: the defaults above overridden by ``fields`` (run_id filled on write)."""
    return {**DEFAULTS, **fields}


def rows(header: str, *values: Sequence[Any], **shared: Any) -> list[dict[str, Any]]:
    """Store rows from a header and one tuple per row, e.g.
    ``rows("language seed value", ("de", 0, 70.0), ("sw", 0, 55.0), target_task="xnli")``:
    what a test varies reads as a table, what it fixes is said once."""
    names = header.split()
    return [row(**shared, **dict(zip(names, cells, strict=True))) for cells in values]


def write_records(path: Path, records: Iterable[Mapping[str, Any]]) -> Path:
    """Write ``records`` (from :func:`row`) as one run per (study, encoder, intermediate,
    target, seed), the way the runner does."""
    runs: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for record in records:
        key = tuple(
            record[k] for k in ("study", "encoder", "intermediate_task", "target_task", "seed")
        )
        runs.setdefault(key, []).append(dict(record))
    with ResultStore(path) as store:
        for key, run_rows in runs.items():
            run_id = "-".join(str(part) for part in key)
            store.add_run([{**record, "run_id": run_id} for record in run_rows])
    return path
