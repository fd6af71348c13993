"""MNLI (GLUE): English natural language inference, an X-STILTs intermediate task.

Files (the GLUE release): ``mnli/train.tsv``, ``mnli/dev_matched.tsv`` (our ``dev``, the GLUE
validation split) and ``mnli/dev_mismatched.tsv``; columns are read by header name.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.classification_format import NLI_LABELS, read_mnli_tsv
from xstilts.data.examples import ClassificationExample
from xstilts.data.hub.glue import GLUE_REPO, MNLI_HUB_SPLITS, write_mnli
from xstilts.data.hub.source import HubSource
from xstilts.tasks.layout import english_if_present
from xstilts.tasks.recipe import jiant_intermediate
from xstilts.tasks.spec import TaskSpec


def load_mnli(task_dir: Path, split: str, language: str) -> list[ClassificationExample]:
    """GLUE MNLI; ``dev`` is dev_matched (the GLUE validation split)."""
    files = {"train": "train.tsv", "dev": "dev_matched.tsv", "test": "dev_mismatched.tsv"}
    return read_mnli_tsv(task_dir / files[split])


SPEC = TaskSpec(
    name="mnli",
    family="classification",
    languages=("en",),
    load=load_mnli,
    languages_found=english_if_present,
    metric="accuracy",
    labels=NLI_LABELS,
    test_split=None,
    description="MultiNLI, English natural language inference (GLUE tsv)",
    recipe=jiant_intermediate(),
    citation=(
        "Williams, Nangia & Bowman 2018. A Broad-Coverage Challenge Corpus for "
        "Sentence Understanding through Inference. NAACL"
    ),
    source="https://cims.nyu.edu/~sbowman/multinli/ (GLUE copy)",
    hub=HubSource(
        task="mnli",
        languages=("en",),
        config="mnli",
        families=("mnli",),
        write=write_mnli,
        description="nyu-mll/glue mnli (train, validation_matched/_mismatched) -> "
        "train.tsv, dev_matched.tsv, dev_mismatched.tsv (pairID = the Hub's idx)",
        repo=GLUE_REPO,
        splits=MNLI_HUB_SPLITS,
    ),
)
