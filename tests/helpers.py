"""Helpers shared by test modules: ``from helpers import result_rows``, as for ``tiny_models``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from xstilts.experiments.plan import STORE_NAME
from xstilts.experiments.store import ResultStore

# One stored row per key: what a run scored, where and how it was selected.
RESULT_KEY = ["run_id", "split", "language", "metric", "selection"]


def result_rows(out: Path) -> pd.DataFrame:
    """The study's stored rows in a fixed order, without the timing and config columns.

    Timings differ from run to run and ``config_json`` is what ``run_id`` hashes, so two runs of
    one study (resumed, rerun, or through another executor) compare with ``assert_frame_equal``.
    """
    with ResultStore(out / STORE_NAME, read_only=True) as store:
        frame = store.frame()
    return (
        frame.drop(columns=["started_at", "seconds", "config_json"])
        .sort_values(RESULT_KEY)
        .reset_index(drop=True)
    )
