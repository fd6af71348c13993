"""ANLI+ from the Hub: ANLI (``facebook/anli``), MNLI (``nyu-mll/glue``), SNLI
(``stanfordnlp/snli``) → the release files the ``anli`` task reads.

What each repo holds (read in the stored Hub pages and dataset cards):

* ``facebook/anli`` is parquet since "Convert dataset to Parquet" (ab48154; main 8e4813d, #5):
  one config ``plain_text`` (``plain_text/{split}-00000-of-00001.parquet``) with splits
  ``train_r1`` (16,946), ``dev_r1`` (1,000), ``test_r1`` (1,000), ``train_r2`` (45,460),
  ``dev_r2`` (1,000), ``test_r2`` (1,000), ``train_r3`` (100,459), ``dev_r3`` (1,200),
  ``test_r3`` (1,200); features ``uid``, ``premise``, ``hypothesis``, ``label`` (ClassLabel
  ``entailment``, ``neutral``, ``contradiction``), ``reason`` (the card's ``dataset_info``; the
  TFDS community catalogue ``huggingface:anli/plain_text`` lists the same).
* ``stanfordnlp/snli`` is parquet ("Convert dataset to Parquet (#6)", cdb5c3d): config
  ``plain_text``, splits ``train`` (550,152), ``validation``, ``test`` (10,000 each); features
  ``premise``, ``hypothesis``, ``label`` (ClassLabel as above). Pairs without an annotator
  majority (about 2%) carry ``label`` -1 (the card, and the maintainers in the repo's
  discussions #2 and #3); the release writes ``-`` there, which the reader drops.
* ``nyu-mll/glue`` ``mnli`` train: see :mod:`.glue`.

Files written under ``anli/`` (what ``tasks.more_classification_tasks.load_anli_plus`` reads):
``R{1,2,3}/{train,dev}.jsonl`` in the ANLI v1.0 fields (``uid``, ``context`` = the premise,
``hypothesis``, ``label`` as ``e``/``n``/``c``, ``reason``), ``MNLI/train.tsv`` (GLUE columns)
and ``snli_1.0/snli_1.0_train.jsonl`` (``pairID``, ``sentence1``, ``sentence2``,
``gold_label``). The Hub lost SNLI's ``pairID``: the row's position is written instead. ANLI's
test rounds are not fetched: ANLI+ has no test split here.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from xstilts.data.hub.glue import GLUE_REPO, write_mnli
from xstilts.data.hub.rows import Conversion, Row, write_text
from xstilts.data.hub.source import HubSource, Writer

ANLI_REPO = "facebook/anli"
SNLI_REPO = "stanfordnlp/snli"
NLI_HUB_CONFIG = "plain_text"  # the one config of both repos
ANLI_HUB_SPLITS = ("train_r1", "dev_r1", "train_r2", "dev_r2", "train_r3", "dev_r3")
#: ``label`` ClassLabel names in id order (both cards).
NLI_HUB_LABELS = ("entailment", "neutral", "contradiction")
_ANLI_LETTERS = {"entailment": "e", "neutral": "n", "contradiction": "c"}
_SNLI_NO_MAJORITY = -1


def write_anli(job: Conversion, rows: list[Row]) -> list[Path]:
    """``R{n}/{train,dev}.jsonl`` of split ``{train,dev}_r{n}``, in ANLI v1.0's fields."""
    our_split, _, round_number = job.split.partition("_r")
    lines = []
    for index, row in enumerate(rows):
        label = job.class_names(index, "label", [job.get(row, index, "label")], NLI_HUB_LABELS)
        record = {
            "uid": job.text(row, index, "uid"),
            "context": job.text(row, index, "premise"),
            "hypothesis": job.text(row, index, "hypothesis"),
            "label": _ANLI_LETTERS[label[0]],
            "reason": job.text(row, index, "reason"),
        }
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    path = job.task_dir / f"R{round_number}" / f"{our_split}.jsonl"
    return [write_text(path, "".join(lines))]


def write_snli(job: Conversion, rows: list[Row]) -> list[Path]:
    """``snli_1.0/snli_1.0_train.jsonl`` (label -1 written as the release's ``-``)."""
    lines = []
    for index, row in enumerate(rows):
        value = job.get(row, index, "label")
        if value == _SNLI_NO_MAJORITY and not isinstance(value, bool):
            gold = "-"
        else:
            gold = job.class_names(index, "label", [value], NLI_HUB_LABELS)[0]
        record = {
            "pairID": str(index),
            "sentence1": job.text(row, index, "premise"),
            "sentence2": job.text(row, index, "hypothesis"),
            "gold_label": gold,
        }
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    path = job.task_dir / "snli_1.0" / f"snli_1.0_{job.our_split}.jsonl"
    return [write_text(path, "".join(lines))]


def write_anli_mnli(job: Conversion, rows: list[Row]) -> list[Path]:
    """GLUE MNLI's ``train.tsv`` inside the ANLI+ folder (``anli/MNLI/train.tsv``)."""
    inner = dataclasses.replace(job, task_dir=job.task_dir / "MNLI")
    paths = write_mnli(inner, rows)
    job.replaced += inner.replaced
    return paths


def _companion(config: str, write: Writer, description: str, repo: str) -> HubSource:
    return HubSource(
        task="anli",
        languages=("en",),
        config=config,
        families=(config,),
        write=write,
        description=description,
        repo=repo,
        splits=("train",),
    )


#: The ``hub`` of the ``anli`` task spec: ANLI's rounds, with MNLI and SNLI as companions.
ANLI_HUB = HubSource(
    task="anli",
    languages=("en",),
    config=NLI_HUB_CONFIG,
    families=(NLI_HUB_CONFIG,),
    write=write_anli,
    description="facebook/anli plain_text (train_r1..3, dev_r1..3) -> R{1,2,3}/{train,dev}.jsonl;"
    " with nyu-mll/glue mnli train -> MNLI/train.tsv and stanfordnlp/snli train -> "
    "snli_1.0/snli_1.0_train.jsonl",
    repo=ANLI_REPO,
    splits=ANLI_HUB_SPLITS,
    companions=(
        _companion("mnli", write_anli_mnli, "GLUE MNLI train", GLUE_REPO),
        _companion(NLI_HUB_CONFIG, write_snli, "SNLI 1.0 train", SNLI_REPO),
    ),
)
