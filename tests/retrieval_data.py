"""The retrieval tests' shared material: the official-format fixtures (BUCC, LAReQA, Mewsli-X),
their specs and the embedding settings the tests use.

Importable from any test module (``from retrieval_data import SPEC``), as ``tiny_models``.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.config import RetrievalConfig
from xstilts.tasks.registry import TASKS

FIXTURES = Path(__file__).resolve().parent / "data" / "fixtures"
SPEC = {name: TASKS[name] for name in ("bucc2018", "lareqa", "mewslix")}
SETTINGS = RetrievalConfig(layer=-1, max_length=64, batch_size=8)


def retrieval_corpus() -> list[str]:
    """Every line of the retrieval fixtures: the tiny encoder's vocabulary covers them."""
    corpus: list[str] = []
    for task in ("bucc2018", "lareqa", "mewslix"):
        for path in sorted((FIXTURES / task).rglob("*")):
            if path.is_file():
                corpus.extend(path.read_text(encoding="utf-8").splitlines())
    return corpus
