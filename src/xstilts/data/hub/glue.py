"""GLUE from the Hub (``nyu-mll/glue``, parquet) → the GLUE release tsv files the readers read.

The intermediate tasks MNLI, SST-2 and QQP are read from GLUE's own tsv files (``MNLI/train.tsv``,
``dev_matched.tsv`` ...). The Hub repo holds the same rows with the columns of the ``glue.py``
loading script the parquet files were made from (its ``_MNLI_BASE_KWARGS`` and the
``sst2``/``qqp`` configs; the Hub card's ``dataset_info`` lists the same features):

======  ==================================  =====================================  ============
config  splits fetched                      features                               files
======  ==================================  =====================================  ============
mnli    train, validation_matched,          premise, hypothesis, label             train.tsv,
        validation_mismatched               (0 entailment, 1 neutral,              dev_matched,
                                            2 contradiction), idx                  dev_mismatched
sst2    train, validation                   sentence, label (0 negative,           train.tsv,
                                            1 positive), idx                       dev.tsv
qqp     train, validation                   question1, question2, label            train.tsv,
                                            (0 not_duplicate, 1 duplicate), idx    dev.tsv
======  ==================================  =====================================  ============

What the Hub lost: MNLI's ``pairID`` (and ``promptID``, genre, parses) and QQP's ``qid1``/``qid2``;
the row's ``idx`` is written as the id. The test splits are not fetched: their labels are ``-1``
(GLUE's test labels are private) and no reader reads them; a ``-1`` label in a fetched split is
refused with its row, never written as a class.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.hub.rows import Conversion, Row, write_lines

GLUE_REPO = "nyu-mll/glue"
MNLI_HUB_SPLITS = ("train", "validation_matched", "validation_mismatched")
GLUE_HUB_SPLITS = ("train", "validation")
#: ``label`` ClassLabel names in id order, per config (``glue.py``'s ``label_classes``).
MNLI_HUB_LABELS = ("entailment", "neutral", "contradiction")
BINARY_HUB_LABELS = {"sst2": ("negative", "positive"), "qqp": ("not_duplicate", "duplicate")}

_MNLI_FILES = {
    "train": "train.tsv",
    "validation_matched": "dev_matched.tsv",
    "validation_mismatched": "dev_mismatched.tsv",
}
_FILES = {"train": "train.tsv", "validation": "dev.tsv"}


def write_mnli(job: Conversion, rows: list[Row]) -> list[Path]:
    """``train.tsv``, ``dev_matched.tsv``, ``dev_mismatched.tsv`` with the GLUE columns the
    reader needs (``pairID`` = the Hub's ``idx``)."""
    lines = ["index\tpairID\tsentence1\tsentence2\tgold_label"]
    for index, row in enumerate(rows):
        label = job.class_names(index, "label", [job.get(row, index, "label")], MNLI_HUB_LABELS)
        premise = job.field_line(row, index, "premise")
        hypothesis = job.field_line(row, index, "hypothesis")
        row_id = _idx(job, row, index)
        lines.append(f"{index}\t{row_id}\t{premise}\t{hypothesis}\t{label[0]}")
    return [write_lines(job.task_dir / _MNLI_FILES[job.split], lines)]


def write_sst2(job: Conversion, rows: list[Row]) -> list[Path]:
    """``train.tsv`` / ``dev.tsv``: ``sentence<TAB>label`` (0 negative, 1 positive), as GLUE."""
    lines = ["sentence\tlabel"]
    for index, row in enumerate(rows):
        label = _binary(job, row, index)
        lines.append(f"{job.field_line(row, index, 'sentence')}\t{label}")
    return [write_lines(job.task_dir / _FILES[job.split], lines)]


def write_qqp(job: Conversion, rows: list[Row]) -> list[Path]:
    """``train.tsv`` / ``dev.tsv`` with GLUE's ``id``, ``question1``, ``question2``,
    ``is_duplicate`` columns (``id`` = the Hub's ``idx``; ``qid1``/``qid2`` are not on the Hub)."""
    lines = ["id\tquestion1\tquestion2\tis_duplicate"]
    for index, row in enumerate(rows):
        label = _binary(job, row, index)
        first = job.field_line(row, index, "question1")
        second = job.field_line(row, index, "question2")
        lines.append(f"{_idx(job, row, index)}\t{first}\t{second}\t{label}")
    return [write_lines(job.task_dir / _FILES[job.split], lines)]


def _binary(job: Conversion, row: Row, index: int) -> str:
    """The 0/1 the release writes, from the ClassLabel id or name (never the test's ``-1``)."""
    names = BINARY_HUB_LABELS[job.config]
    name = job.class_names(index, "label", [job.get(row, index, "label")], names)[0]
    return str(names.index(name))


def _idx(job: Conversion, row: Row, index: int) -> str:
    value = job.get(row, index, "idx")
    if not isinstance(value, int) or isinstance(value, bool):
        raise job.error(index, f"idx {value!r} is not an integer")
    return str(value)
