"""The one explicit task registry: ``TASKS[name] -> TaskSpec``.

Filled by plain code below, never by import-time decorators scattered over files, so a reader sees
every task of the study on one page.
"""

from __future__ import annotations

from xstilts.tasks import (
    glue_xnli,
    mewslix,
    mlm_tasks,
    more_classification_tasks,
    more_retrieval_tasks,
    multiple_choice_tasks,
    qa_tasks,
    retrieval_tasks,
    synthetic_tasks,
    tagging_tasks,
)
from xstilts.tasks.spec import TaskSpec

_SPECS: list[TaskSpec] = [
    *glue_xnli.SPECS,
    *more_classification_tasks.SPECS,
    *multiple_choice_tasks.SPECS,
    *qa_tasks.SPECS,
    *mlm_tasks.SPECS,
    *tagging_tasks.SPECS,
    *retrieval_tasks.SPECS,
    *more_retrieval_tasks.SPECS,
    *mewslix.SPECS,
    *synthetic_tasks.SPECS,
]

TASKS: dict[str, TaskSpec] = {spec.name: spec for spec in _SPECS}


# Variants of an intermediate task, written ``task@variant`` in a study:
# - translate-train: the English training set plus machine-translated copies supplied by the user
#   in the same official format under ``<task>/translate-train/<lang>/`` (Phang et al.'s baseline).
# - shuffled / mlm-control: control intermediates (labels permuted; masked-LM on the task's own
#   English inputs for the same steps), see experiments/controls.py.
TASK_VARIANTS = ("translate-train", "shuffled", "mlm-control")


def parse_task_name(name: str) -> tuple[str, str | None]:
    """``"mnli@translate-train"`` -> ``("mnli", "translate-train")``; ``"mnli"`` -> no variant."""
    base, _, variant = name.partition("@")
    return base, (variant or None)


def get_task(name: str) -> TaskSpec:
    """Look a task up by name; an unknown name is a one-line user error listing the known ones."""
    from xstilts.errors import XstiltsError

    try:
        return TASKS[name]
    except KeyError:
        raise XstiltsError(f"unknown task {name!r}; known: {', '.join(sorted(TASKS))}") from None
