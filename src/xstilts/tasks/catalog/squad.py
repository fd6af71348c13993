"""SQuAD v1.1: English extractive QA, an intermediate task and the training set of XQuAD/MLQA.

Files (``rajpurkar/SQuAD-explorer``): ``squad/train-v1.1.json``, ``squad/dev-v1.1.json``.
"""

from __future__ import annotations

from xstilts.data.hub.source import HubSource
from xstilts.data.hub.span_qa import write_squad
from xstilts.tasks.spec import TaskSpec
from xstilts.tasks.squad_files import (
    QA_FAMILY_DEFAULTS,
    QA_INTERMEDIATE_RECIPE,
    SQUAD_V1_FILES,
    english_files,
    english_squad_loader,
)

load_squad = english_squad_loader("squad", SQUAD_V1_FILES)


SPEC = TaskSpec(
    name="squad",
    family="span_qa",
    languages=("en",),
    load=load_squad,
    languages_found=english_files(SQUAD_V1_FILES),
    metric="f1",
    protocol="squad_v1",
    test_split=None,
    hub=HubSource(
        task="squad",
        languages=("en",),
        config="SQuAD",
        families=("SQuAD",),
        write=write_squad,
        description="SQuAD (train, validation) -> train-v1.1.json, dev-v1.1.json (SQuAD v1.1)",
    ),
    description="SQuAD v1.1, English extractive QA (also the training set of XQuAD and MLQA)",
    defaults=QA_FAMILY_DEFAULTS,
    recipe=QA_INTERMEDIATE_RECIPE,
    citation=(
        "Rajpurkar et al. 2016. SQuAD: 100,000+ Questions for Machine Comprehension of Text. EMNLP"
    ),
    source="https://rajpurkar.github.io/SQuAD-explorer/ (train-v1.1.json, dev-v1.1.json)",
)
