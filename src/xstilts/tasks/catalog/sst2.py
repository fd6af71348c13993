"""SST-2 (GLUE): English binary sentiment, an intermediate task.

Files (the GLUE release): ``sst2/train.tsv``, ``sst2/dev.tsv`` with ``sentence<TAB>label``.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.classification_format import BINARY_LABELS, read_sst2_tsv
from xstilts.data.examples import ClassificationExample
from xstilts.data.hub.glue import GLUE_HUB_SPLITS, GLUE_REPO, write_sst2
from xstilts.data.hub.source import HubSource
from xstilts.tasks.layout import english_if_present
from xstilts.tasks.recipe import jiant_intermediate
from xstilts.tasks.spec import TaskSpec


def load_sst2(task_dir: Path, split: str, language: str) -> list[ClassificationExample]:
    """GLUE SST-2: ``sentence<TAB>label`` with label 0/1."""
    return read_sst2_tsv(task_dir / {"train": "train.tsv", "dev": "dev.tsv"}[split])


SPEC = TaskSpec(
    name="sst2",
    family="classification",
    languages=("en",),
    load=load_sst2,
    languages_found=english_if_present,
    metric="accuracy",
    labels=BINARY_LABELS,
    test_split=None,
    text_pair=False,
    description="SST-2, English binary sentiment (GLUE tsv)",
    recipe=jiant_intermediate(),
    citation=(
        "Socher et al. 2013. Recursive Deep Models for Semantic Compositionality Over "
        "a Sentiment Treebank. EMNLP"
    ),
    source="GLUE SST-2",
    hub=HubSource(
        task="sst2",
        languages=("en",),
        config="sst2",
        families=("sst2",),
        write=write_sst2,
        description="nyu-mll/glue sst2 (train, validation) -> train.tsv, dev.tsv",
        repo=GLUE_REPO,
        splits=GLUE_HUB_SPLITS,
    ),
)
