"""Multiple choice from the Hub: CommonsenseQA (``tau/commonsense_qa``) → the release jsonl.

``tau/commonsense_qa`` is parquet since its "Convert dataset to Parquet" commit (94630fe); its
card's ``dataset_info`` gives one config (``default``) with splits ``train`` (9,741),
``validation`` (1,221) and ``test`` (1,140, ``answerKey`` empty) and the features ``id``,
``question`` (the stem), ``question_concept``, ``choices`` (a sequence of ``{label, text}``,
stored as ``{label: [...], text: [...]}``) and ``answerKey``. The release file nests the stem and
choices under ``question``; that is what the reader reads, so the rows are written back that way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from xstilts.data.hub.rows import Conversion, Row, write_text

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
