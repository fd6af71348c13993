"""Multiple choice from the Hub: CommonsenseQA (``tau/commonsense_qa``) → the release jsonl.

``tau/commonsense_qa`` is parquet since its "Convert dataset to Parquet" commit (94630fe); its
card's ``dataset_info`` gives one config (``default``) with splits ``train`` (9,741),
``validation`` (1,221) and ``test`` (1,140, ``answerKey`` empty) and the features ``id``,
``question`` (the stem), ``question_concept``, ``choices`` (a sequence of ``{label, text}``,
stored as ``{label: [...], text: [...]}``) and ``answerKey``. The release file nests the stem and
choices under ``question``; that is what the reader reads, so the rows are written back that way.

**XCOPA** (``cambridgeltl/xcopa``): parquet per language since "Convert dataset to Parquet" and
the "Add {lang} data files" commits (e.g. 5abe7ba, c9333d9), files ``{lang}/validation-00000-of-
00001.parquet`` and ``{lang}/test-00000-of-00001.parquet``; configs ``et ht id it qu sw ta th tr
vi zh`` (and ``translation-{lang}``, not read), splits ``validation`` (100) and ``test`` (500, its
labels released); features ``premise``, ``choice1``, ``choice2``, ``question`` (``cause`` /
``effect``), ``label`` (int32 0/1), ``idx`` (int32), ``changed`` (bool) (the card's
``dataset_info``; its viewer shows the rows). Commits of that series still list the loading
script ``xcopa.py`` beside the parquet files (f444c11), and ``datasets`` 4 refuses any repo that
holds a script, so the files are read directly (``HubSource.file_pattern``). Written as
``val.{lang}.jsonl`` / ``test.{lang}.jsonl``, the release's own records.

**COPA** (XCOPA's English train/dev): ``aps/super_glue`` (formerly ``super_glue``) is a loading
script; the Hub's ``refs/convert/parquet`` branch holds its rows as ``copa/{train,validation,
test}/0000.parquet`` (parquet-converter commits 5ac8656, a65f286), features ``premise``,
``choice1``, ``choice2``, ``question``, ``idx``, ``label`` (ClassLabel ``choice1``, ``choice2``:
0/1; -1 on the hidden test split, which is not fetched). Written as ``COPA/train.jsonl`` and
``COPA/val.jsonl``, SuperGLUE's own layout.

**Script-only repo** (no data files on the main branch; ``datasets`` 4 runs no loading script,
so it is not fetched and the message says where the release is): ``Rowan/hellaswag``
(``hellaswag.py``, which downloads ``github.com/rowanz/hellaswag``
``data/hellaswag_{train,val,test}.jsonl``; a parquet conversion exists only as the unmerged pull
request #7, and no stored source shows its ``refs/convert/parquet`` files). Social IQa and Cosmos
QA, also loading scripts, are read from that branch: :mod:`.converted`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from xstilts.data.hub.rows import Conversion, Row, write_text
from xstilts.data.hub.source import (
    CONVERTED_BRANCH,
    CONVERTED_FILE_PATTERN,
    HubSource,
    script_only_source,
)

COMMONSENSEQA_REPO = "tau/commonsense_qa"
COMMONSENSEQA_HUB_SPLITS = ("train", "validation")
_COMMONSENSEQA_FILES = {"train": "train_rand_split.jsonl", "validation": "dev_rand_split.jsonl"}


def write_commonsenseqa(job: Conversion, rows: list[Row]) -> list[Path]:
    """``train_rand_split.jsonl`` / ``dev_rand_split.jsonl`` in the release's nesting."""
    lines = []
    for index, row in enumerate(rows):
        choices = job.get(row, index, "choices")
        labels = choices.get("label") if isinstance(choices, Mapping) else None
        texts = choices.get("text") if isinstance(choices, Mapping) else None
        if not isinstance(labels, Sequence) or not isinstance(texts, Sequence):
            raise job.error(index, f"choices should be {{label: [...], text: [...]}}: {choices!r}")
        if len(labels) != len(texts):
            raise job.error(index, f"{len(labels)} choice labels for {len(texts)} texts")
        record = {
            "answerKey": job.text(row, index, "answerKey"),
            "id": job.text(row, index, "id"),
            "question": {
                "question_concept": job.text(row, index, "question_concept"),
                "choices": [
                    {"label": label, "text": text}
                    for label, text in zip(labels, texts, strict=True)
                ],
                "stem": job.text(row, index, "question"),
            },
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    path = job.task_dir / _COMMONSENSEQA_FILES[job.split]
    return [write_text(path, "".join(line + "\n" for line in lines))]


XCOPA_REPO = "cambridgeltl/xcopa"
#: The language configs of ``cambridgeltl/xcopa`` (the card's ``dataset_info``, in its order).
XCOPA_HUB_LANGUAGES = ("et", "ht", "id", "it", "qu", "sw", "ta", "th", "tr", "vi", "zh")
XCOPA_HUB_SPLITS = ("validation", "test")
XCOPA_FILE_PATTERN = "{config}/{split}-00000-of-00001.parquet"
COPA_REPO = "aps/super_glue"
COPA_HUB_SPLITS = ("train", "validation")
_COPA_NAMES = {"train": "train", "validation": "val", "test": "test"}
_COPA_QUESTIONS = ("cause", "effect")


def write_xcopa(job: Conversion, rows: list[Row]) -> list[Path]:
    """``val.{lang}.jsonl`` / ``test.{lang}.jsonl`` of config ``{lang}``."""
    path = job.task_dir / f"{_COPA_NAMES[job.split]}.{job.config}.jsonl"
    return [write_text(path, _copa_lines(job, rows))]


def write_copa(job: Conversion, rows: list[Row]) -> list[Path]:
    """SuperGLUE's ``COPA/train.jsonl`` / ``COPA/val.jsonl`` (XCOPA's English)."""
    path = job.task_dir / "COPA" / f"{_COPA_NAMES[job.split]}.jsonl"
    return [write_text(path, _copa_lines(job, rows))]


def _copa_lines(job: Conversion, rows: list[Row]) -> str:
    """COPA/XCOPA jsonl records; a label that is not 0/1 (the hidden test's -1) is refused."""
    lines = []
    for index, row in enumerate(rows):
        question = job.text(row, index, "question")
        if question not in _COPA_QUESTIONS:
            raise job.error(index, f"question should be cause or effect, not {question!r}")
        record = {
            "premise": job.text(row, index, "premise"),
            "choice1": job.text(row, index, "choice1"),
            "choice2": job.text(row, index, "choice2"),
            "question": question,
            "label": job.integer(row, index, "label", choices=2),
            "idx": job.integer(row, index, "idx"),
        }
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    return "".join(lines)


def _xcopa_hub() -> HubSource:
    """XCOPA's languages from their parquet files, with English COPA as a companion."""
    copa = HubSource(
        task="xcopa",
        languages=("en",),
        config="copa",
        families=("copa",),
        write=write_copa,
        description="SuperGLUE COPA train/validation",
        repo=COPA_REPO,
        revision=CONVERTED_BRANCH,
        splits=COPA_HUB_SPLITS,
        file_pattern=CONVERTED_FILE_PATTERN,
    )
    return HubSource(
        task="xcopa",
        languages=XCOPA_HUB_LANGUAGES,
        config="{language}",
        families=XCOPA_HUB_LANGUAGES,
        write=write_xcopa,
        description="cambridgeltl/xcopa {et,...,zh} (validation, test) -> val.{lang}.jsonl, "
        "test.{lang}.jsonl; English COPA from aps/super_glue refs/convert/parquet -> "
        "COPA/{train,val}.jsonl",
        repo=XCOPA_REPO,
        splits=XCOPA_HUB_SPLITS,
        file_pattern=XCOPA_FILE_PATTERN,
        companions=(copa,),
    )


#: The ``hub`` of the task specs (``xstilts.tasks``): where ``xstilts fetch`` gets each task.
XCOPA_HUB = _xcopa_hub()
HELLASWAG_HUB = script_only_source(
    "hellaswag",
    repo="Rowan/hellaswag",
    script="hellaswag.py",
    release="github.com/rowanz/hellaswag (data/)",
    files="hellaswag_train.jsonl, hellaswag_val.jsonl",
)
