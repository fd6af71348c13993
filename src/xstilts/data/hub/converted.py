"""Social IQa and Cosmos QA from the Hub's parquet conversion (``refs/convert/parquet``).

Both repos' main branches hold only a loading script (``social_i_qa.py``, ``cosmos_qa.py``), which
``datasets`` 4 refuses to run. The Hub's parquet-converter writes each script's output to the
branch ``refs/convert/parquet`` as ``{config}/{split}/{shard:04d}.parquet`` (as for COPA in
:mod:`.multiple_choice`); these files are read directly, the branch resolved to its commit at
fetch time and each file recorded with its sha256 (:mod:`.fetching`).

Sources of the facts:

* The branch exists for both and holds ``default/train/0000.parquet``: a stored public data
  converter pins ``allenai/social_i_qa`` at ``537a2ec8ec565adc0b70b70752893e59e024df26`` and
  ``allenai/cosmos_qa`` at ``ed50fe83db62b355759053b1cd5eef344ee371e0``, each described there as
  the ``refs/convert/parquet`` commit, with ``config="default"`` and
  ``path="default/train/0000.parquet"``. Other stored code loads ``allenai/social_i_qa`` with
  ``revision="refs/convert/parquet", split="validation"`` and reads
  ``hf://datasets/allenai/social_i_qa@refs/convert/parquet/default/{split}/*.parquet``. The
  validation files are taken to be ``default/validation/0000.parquet`` by the converter's naming
  (as COPA's ``copa/validation/0000.parquet``; a validation split is smaller than its train
  split, which fits one shard); no stored listing shows them, so a fetch that finds them
  elsewhere fails on the missing file rather than reading something else.
* SIQA's columns: the Hub viewer (huggingface.co/datasets/social_i_qa, served from the
  conversion) lists ``context``, ``question``, ``answerA``, ``answerB``, ``answerC`` and
  ``label``, all strings; ``label`` is the release's ``*-labels.lst`` line (``1``, ``2`` or
  ``3``), which the stored code reads as ``int(label) - 1`` and the converter checks against
  ``"1" "2" "3"``. Splits ``train`` and ``validation`` (33,410 and 1,954 rows in the release's
  ``socialiqa-train-dev.zip``, per AI2's Rainbow config); the release has no test labels.
* Cosmos QA's columns: ``cosmos_qa.py``'s ``datasets.Features`` (a stored copy): ``id``,
  ``context``, ``question``, ``answer0`` .. ``answer3`` (strings) and ``label`` (int32, from the
  release's ``train.csv``/``valid.csv``; ``-1`` on the unlabelled ``test.jsonl``, not fetched).

Not done: HellaSwag (``Rowan/hellaswag``): no stored source shows its converted branch or paths,
so it stays refused (:data:`~.multiple_choice.HELLASWAG_HUB`).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from xstilts.data.hub.rows import Conversion, Row, write_lines, write_text
from xstilts.data.hub.source import CONVERTED_BRANCH, CONVERTED_FILE_PATTERN, HubSource, Writer

SIQA_REPO = "allenai/social_i_qa"
COSMOSQA_REPO = "allenai/cosmos_qa"
CONVERTED_SPLITS = ("train", "validation")
_SIQA_FIELDS = ("context", "question", "answerA", "answerB", "answerC")
_SIQA_LABELS = ("1", "2", "3")
_COSMOS_FIELDS = ("id", "context", "question", "answer0", "answer1", "answer2", "answer3")
_COSMOS_FILES = {"train": "train.csv", "validation": "valid.csv"}


def write_siqa(job: Conversion, rows: list[Row]) -> list[Path]:
    """The AI2 release's ``{train,dev}.jsonl`` and ``{train,dev}-labels.lst`` (1-based labels),
    the layout :func:`xstilts.tasks.catalog.siqa.load_siqa` reads."""
    records, labels = [], []
    for index, row in enumerate(rows):
        label = job.text(row, index, "label").strip()
        if label not in _SIQA_LABELS:
            raise job.error(index, f"label should be 1, 2 or 3, not {label!r}")
        record = {name: job.text(row, index, name) for name in _SIQA_FIELDS}
        records.append(json.dumps(record, ensure_ascii=False))
        labels.append(label)
    name = job.our_split
    return [
        write_lines(job.task_dir / f"{name}.jsonl", records),
        write_lines(job.task_dir / f"{name}-labels.lst", labels),
    ]


def write_cosmosqa(job: Conversion, rows: list[Row]) -> list[Path]:
    """The release's ``train.csv`` / ``valid.csv`` (header ``id,context,question,answer0..3,
    label``); a label outside 0-3 (the unlabelled test's -1) is refused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*_COSMOS_FIELDS, "label"])
    for index, row in enumerate(rows):
        label = job.integer(row, index, "label", choices=4)
        writer.writerow([*(job.text(row, index, name) for name in _COSMOS_FIELDS), label])
    return [write_text(job.task_dir / _COSMOS_FILES[job.split], buffer.getvalue())]


def _converted(task: str, repo: str, write: Writer, files: str) -> HubSource:
    """An English task read from ``repo``'s ``refs/convert/parquet`` branch, config
    ``default``."""
    return HubSource(
        task=task, languages=("en",), config="default", families=("default",), write=write,
        description=f"{repo} refs/convert/parquet default (train, validation) -> {files}",
        repo=repo, revision=CONVERTED_BRANCH, splits=CONVERTED_SPLITS,
        file_pattern=CONVERTED_FILE_PATTERN,
    )  # fmt: skip


#: The ``hub`` of the task specs (``xstilts.tasks``).
SIQA_HUB = _converted("siqa", SIQA_REPO, write_siqa, "{train,dev}.jsonl + {train,dev}-labels.lst")
COSMOSQA_HUB = _converted("cosmosqa", COSMOSQA_REPO, write_cosmosqa, "train.csv, valid.csv")
