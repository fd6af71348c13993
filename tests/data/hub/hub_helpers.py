"""Helpers shared by the hub test modules (``from hub_helpers import load``, as for ``designs``).

Rows are built in memory in the exact Hub schema (the ``xtreme.py`` features the parquet files
were generated from: ClassLabel columns as ids, ``answers`` as ``{answer_start: [...], text:
[...]}``, Tatoeba sentences with their line ending, BUCC ids in ``source_lang``/``target_lang``).
Several tests emulate the loading script on an official fixture and check that the round trip
official → Hub rows → :func:`convert_rows` → loader gives the examples the official file gives.
No test touches the network: :func:`fetch` is driven by a fake ``load_dataset``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xstilts.data.hub import HubSource
from xstilts.tasks.registry import get_task

FIXTURES = Path(__file__).parents[1] / "fixtures"


def load(task: str, data_dir: Path, split: str, language: str) -> list[Any]:
    """Through the registry, as the runner does."""
    return get_task(task).load(data_dir / task, split, language)


def hub_source(task: str) -> HubSource:
    """The task spec's Hub source (what the ``xstilts fetch`` command passes to ``fetch``)."""
    source = get_task(task).hub
    assert source is not None, f"{task} has no Hub source"
    return source


def found(task: str, data_dir: Path, split: str) -> list[str]:
    return get_task(task).languages_found(data_dir / task, split)


def squad_row(question_id: str, context: str, question: str, answers, title=None) -> dict:
    row = {
        "id": question_id,
        "context": context,
        "question": question,
        "answers": {"answer_start": [s for s, _ in answers], "text": [t for _, t in answers]},
    }
    if title is not None:
        row["title"] = title
    return row
