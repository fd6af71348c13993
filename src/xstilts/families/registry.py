"""``FAMILY_OPS[family name]`` -> the family's code. One explicit dict, filled by imports."""

from __future__ import annotations

from xstilts.families import (
    classification,
    masked_lm,
    multiple_choice,
    retrieval,
    span_qa,
    tagging,
)
from xstilts.families.base import Family, RetrievalFamily

FAMILY_OPS: dict[str, Family | RetrievalFamily] = {
    "classification": classification.FAMILY,
    "multiple_choice": multiple_choice.FAMILY,
    "masked_lm": masked_lm.FAMILY,
    "span_qa": span_qa.FAMILY,
    "tagging": tagging.FAMILY,
    "retrieval": retrieval.FAMILY,
}


def trainable_family(name: str) -> Family:
    """The ops of a trainable family; retrieval families cannot be trained."""
    ops = FAMILY_OPS.get(name)
    if not isinstance(ops, Family):
        from xstilts.errors import XstiltsError

        raise XstiltsError(f"family {name!r} has no training code (retrieval tasks are eval-only)")
    return ops
