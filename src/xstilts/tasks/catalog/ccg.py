"""CCG supertagging (CCGbank), English: an X-STILTs intermediate task.

Files (jiant's layout, ``jiant/tasks/lib/ccg.py``): ``ccg/ccg.{train,dev,test}`` with
``tokens<TAB>categories`` lines and ``ccg/tags_to_id.json``.

*Labels.* ``TaskSpec.labels`` is a fixed tuple but the CCG category set lives in the data
(``tags_to_id.json``, built from the LDC-licensed CCGbank, so it cannot ship here). We follow
jiant, whose ``CCGTask`` has ``LABELS = range(1363)`` and feeds the *ids* that ``tags_to_id.json``
gives each category: the ccg labels are the strings ``"0"`` … ``"1362"`` and :func:`load_ccg`
maps every category to its id. The head size is thus fixed before any data is read, and the
accuracy is the same as over category strings (the map is one-to-one: duplicate or out-of-range
ids are errors). Prediction files of ccg therefore hold ids, to be mapped back with
``tags_to_id.json``; ccg is an intermediate task, so they are rarely written at all.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from xstilts.data.ccg_format import read_ccg, read_ccg_tags_to_id
from xstilts.data.examples import TaggingExample
from xstilts.errors import DataError
from xstilts.tasks.recipe import jiant_intermediate
from xstilts.tasks.spec import TaskSpec

#: jiant ``CCGTask.num_labels``: the size of its ``tags_to_id.json``.
CCG_LABEL_COUNT = 1363
CCG_LABELS: tuple[str, ...] = tuple(str(i) for i in range(CCG_LABEL_COUNT))
CCG_SPLITS = ("train", "dev", "test")


def ccg_tags_to_id(task_dir: Path) -> dict[str, int]:
    """``tags_to_id.json``, checked to be one-to-one onto ids below :data:`CCG_LABEL_COUNT`."""
    path = task_dir / "tags_to_id.json"
    mapping = read_ccg_tags_to_id(path)
    seen: dict[int, str] = {}
    for tag, tag_id in mapping.items():
        if not 0 <= tag_id < CCG_LABEL_COUNT:
            raise DataError(
                path, None, f"category {tag!r} has id {tag_id}; expected 0..{CCG_LABEL_COUNT - 1}"
            )
        if tag_id in seen:
            raise DataError(
                path, None, f"categories {seen[tag_id]!r} and {tag!r} share id {tag_id}"
            )
        seen[tag_id] = tag
    return mapping


def load_ccg(task_dir: Path, split: str, language: str) -> list[TaggingExample]:
    """jiant's ``ccg.{split}``, each category replaced by its ``tags_to_id.json`` id (a string)."""
    if language != "en":
        raise DataError(task_dir, None, f"CCG is English only, not {language!r}")
    if split not in CCG_SPLITS:
        raise DataError(task_dir, None, f"CCG has splits {', '.join(CCG_SPLITS)}, not {split!r}")
    tags_to_id = ccg_tags_to_id(task_dir)
    examples = read_ccg(task_dir / f"ccg.{split}", tags_to_id=tags_to_id)
    return [
        dataclasses.replace(example, tags=tuple(str(tags_to_id[tag]) for tag in example.tags or ()))
        for example in examples
    ]


def ccg_languages_found(task_dir: Path, split: str) -> list[str]:
    return ["en"] if (task_dir / f"ccg.{split}").is_file() else []


SPEC = TaskSpec(
    name="ccg",
    family="tagging",
    languages=("en",),
    load=load_ccg,
    languages_found=ccg_languages_found,
    metric="token_accuracy",  # jiant CCGEvaluationScheme: accuracy over tagged positions
    labels=CCG_LABELS,
    test_split=None,  # an intermediate task: trained on train, selected on dev (as mnli)
    description="CCGbank supertagging (ids from tags_to_id.json), English",
    recipe=jiant_intermediate(),
    citation=(
        "Hockenmaier & Steedman 2007. CCGbank: A Corpus of CCG Derivations and "
        "Dependency Structures Extracted from the Penn Treebank. Computational "
        "Linguistics"
    ),
    source="CCGbank (LDC2005T13), in jiant's ccg.{train,dev,test} + tags_to_id.json layout",
)
