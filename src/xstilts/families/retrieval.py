"""Retrieval targets scored straight from an encoder, one module per protocol.

A task's spec names its protocol (``TaskSpec.protocol``): ``tatoeba`` (nearest neighbour, XTREME
direction; :mod:`.retrieval_tatoeba`), ``bucc`` (margin-based bitext mining;
:mod:`.retrieval_bucc`), ``ranking`` (mAP@20 over a shared pool; :mod:`.retrieval_ranking`).
Each protocol is a function of one :class:`~.retrieval_call.RetrievalCall` and the splits of one
language; all embed sentences with the one function of :mod:`.retrieval_embed` and search
neighbours with :mod:`.knn` (Tatoeba's top-1 uses ``evaluate.predict.nearest_neighbours``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torch import nn

from xstilts.config import RetrievalConfig
from xstilts.errors import XstiltsError
from xstilts.families import retrieval_bucc, retrieval_ranking, retrieval_tatoeba
from xstilts.families.base import RetrievalFamily, Tokenizer
from xstilts.families.retrieval_call import RetrievalCall, RetrievalProtocol, RetrievalScores
from xstilts.tasks.spec import TaskSpec

PROTOCOLS: dict[str, RetrievalProtocol] = {
    "tatoeba": retrieval_tatoeba.PROTOCOL,
    "bucc": retrieval_bucc.PROTOCOL,
    "ranking": retrieval_ranking.PROTOCOL,
}


def protocol_of(spec: TaskSpec) -> RetrievalProtocol:
    """The protocol a retrieval task's spec names; an unknown one is a one-line error."""
    try:
        return PROTOCOLS[spec.protocol]
    except KeyError:
        raise XstiltsError(
            f"task {spec.name!r}: unknown retrieval protocol {spec.protocol!r}"
        ) from None


def evaluate(
    encoder: nn.Module,
    tokenizer: Tokenizer,
    sets: dict[str, Sequence[Any]],
    spec: TaskSpec,
    settings: RetrievalConfig,
    language: str,
    work_dir: Path,
) -> RetrievalScores:
    """Dispatch on the task's declared protocol."""
    call = RetrievalCall(encoder, tokenizer, spec, settings, language, work_dir)
    return protocol_of(spec).evaluate(call, sets)


FAMILY = RetrievalFamily(name="retrieval", evaluate=evaluate)
