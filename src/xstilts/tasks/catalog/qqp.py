"""QQP (GLUE): English duplicate-question detection, an intermediate task.

Files: GLUE QQP ``qqp/train.tsv``, ``qqp/dev.tsv``, from ``QQP-clean.zip`` (363,846 train pairs,
the copy GLUE's ``download_glue_data.py`` and HF ``glue`` use). The first ``QQP.zip`` had
questions split by raw newlines; our tsv reader refuses such rows with their file:line.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.classification_format import BINARY_LABELS, read_qqp_tsv
from xstilts.data.examples import ClassificationExample
from xstilts.data.hub.glue import GLUE_HUB_SPLITS, GLUE_REPO, write_qqp
from xstilts.data.hub.source import HubSource
from xstilts.tasks.layout import check_split, english_if_present
from xstilts.tasks.recipe import jiant_intermediate
from xstilts.tasks.spec import TaskSpec


def load_qqp(task_dir: Path, split: str, language: str) -> list[ClassificationExample]:
    """GLUE QQP (QQP-clean): ``train.tsv``, ``dev.tsv``; the test file has no labels."""
    check_split(task_dir, split, ("train", "dev"))
    return read_qqp_tsv(task_dir / f"{split}.tsv")


SPEC = TaskSpec(
    name="qqp",
    family="classification",
    languages=("en",),
    load=load_qqp,
    languages_found=english_if_present,
    metric="accuracy",
    labels=BINARY_LABELS,
    test_split=None,
    description="Quora Question Pairs, English duplicate-question detection (GLUE tsv)",
    recipe=jiant_intermediate(),
    citation=(
        "Iyer, Dandekar & Csernai 2017. First Quora Dataset Release: Question Pairs; "
        "in GLUE (Wang et al. 2019, ICLR)"
    ),
    source="GLUE QQP-clean.zip",
    hub=HubSource(
        task="qqp",
        languages=("en",),
        config="qqp",
        families=("qqp",),
        write=write_qqp,
        description="nyu-mll/glue qqp (train, validation) -> train.tsv, dev.tsv "
        "(id = the Hub's idx; no qid1/qid2)",
        repo=GLUE_REPO,
        splits=GLUE_HUB_SPLITS,
    ),
)
