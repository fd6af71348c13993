"""SQuAD 2.0: English extractive QA with unanswerable questions, an intermediate task.

Files: ``squad_v2/train-v2.0.json``, ``squad_v2/dev-v2.0.json``.
"""

from __future__ import annotations

from xstilts.data.hub.source import HubSource
from xstilts.data.hub.span_qa import write_squad_v2
from xstilts.tasks.spec import TaskSpec
from xstilts.tasks.squad_files import (
    QA_FAMILY_DEFAULTS,
    QA_INTERMEDIATE_RECIPE,
    SQUAD_V2_FILES,
    english_files,
    english_squad_loader,
)

load_squad_v2 = english_squad_loader("squad_v2", SQUAD_V2_FILES)  # unanswerable questions too


SPEC = TaskSpec(
    name="squad_v2",
    family="span_qa",
    languages=("en",),
    load=load_squad_v2,
    languages_found=english_files(SQUAD_V2_FILES),
    metric="f1",
    protocol="squad_v2",
    test_split=None,
    description="SQuAD 2.0, English extractive QA with unanswerable questions",
    defaults=QA_FAMILY_DEFAULTS,
    recipe=QA_INTERMEDIATE_RECIPE,
    citation=(
        "Rajpurkar, Jia & Liang 2018. Know What You Don't Know: Unanswerable "
        "Questions for SQuAD. ACL"
    ),
    source="https://rajpurkar.github.io/SQuAD-explorer/ (train-v2.0.json, dev-v2.0.json)",
    hub=HubSource(
        task="squad_v2",
        languages=("en",),
        config="squad_v2",
        families=("squad_v2",),
        write=write_squad_v2,
        description="rajpurkar/squad_v2 squad_v2 (train, validation) -> train-v2.0.json, "
        "dev-v2.0.json (no answers = is_impossible)",
        repo="rajpurkar/squad_v2",
        splits=("train", "validation"),
    ),
)
