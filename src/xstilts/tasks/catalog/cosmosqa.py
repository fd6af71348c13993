"""Cosmos QA: English commonsense reading comprehension, 4 answers (an intermediate task).

Files: ``cosmosqa/train.csv``, ``cosmosqa/valid.csv`` (the release's ``data/``).
"""

from __future__ import annotations

from xstilts.data.hub.converted import COSMOSQA_HUB
from xstilts.data.multiple_choice_format import read_cosmosqa
from xstilts.tasks.choice_files import english_intermediate, single_file_loader
from xstilts.tasks.recipe import jiant_intermediate

load_cosmosqa = single_file_loader(
    "cosmosqa", {"train": "train.csv", "dev": "valid.csv"}, read_cosmosqa
)

SPEC = english_intermediate(
    "cosmosqa",
    load_cosmosqa,
    "Cosmos QA, English commonsense reading comprehension, 4 answers",
    "wilburOne/cosmosqa data/ (Huang et al. 2019)",
    jiant_intermediate(),
    citation="Huang et al. 2019. Cosmos QA: Machine Reading Comprehension with Contextual "
    "Commonsense Reasoning. EMNLP",
    hub=COSMOSQA_HUB,
)
