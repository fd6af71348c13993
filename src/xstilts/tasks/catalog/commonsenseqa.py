"""CommonsenseQA: English commonsense questions, 5 answers, rand split (an intermediate task).

Files: ``commonsenseqa/{train,dev}_rand_split.jsonl``.
"""

from __future__ import annotations

from xstilts.data.hub.multiple_choice import (
    COMMONSENSEQA_HUB_SPLITS,
    COMMONSENSEQA_REPO,
    write_commonsenseqa,
)
from xstilts.data.hub.source import HubSource
from xstilts.data.multiple_choice_format import read_commonsenseqa_jsonl
from xstilts.tasks.choice_files import english_intermediate, single_file_loader
from xstilts.tasks.recipe import jiant_intermediate

load_commonsenseqa = single_file_loader(
    "commonsenseqa",
    {"train": "train_rand_split.jsonl", "dev": "dev_rand_split.jsonl"},
    read_commonsenseqa_jsonl,
)

SPEC = english_intermediate(
    "commonsenseqa",
    load_commonsenseqa,
    "CommonsenseQA, English commonsense questions, 5 answers (rand split)",
    "tau-nlp.org/commonsenseqa v1.11 rand split (Talmor et al. 2019)",
    jiant_intermediate(),
    citation="Talmor et al. 2019. CommonsenseQA: A Question Answering Challenge Targeting "
    "Commonsense Knowledge. NAACL",
    hub=HubSource(
        task="commonsenseqa",
        languages=("en",),
        config="default",
        families=("default",),
        write=write_commonsenseqa,
        description="tau/commonsense_qa (train, validation) -> train_rand_split.jsonl, "
        "dev_rand_split.jsonl",
        repo=COMMONSENSEQA_REPO,
        splits=COMMONSENSEQA_HUB_SPLITS,
    ),
)
