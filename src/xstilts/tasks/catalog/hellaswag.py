"""HellaSwag: English commonsense sentence completion, 4 endings (an intermediate task).

Files: ``hellaswag/hellaswag_{train,val}.jsonl`` (``rowanz/hellaswag`` ``data/``).
"""

from __future__ import annotations

from xstilts.data.hub.multiple_choice import HELLASWAG_HUB
from xstilts.data.multiple_choice_format import read_hellaswag_jsonl
from xstilts.tasks.choice_files import english_intermediate, single_file_loader
from xstilts.tasks.recipe import jiant_intermediate

load_hellaswag = single_file_loader(
    "hellaswag",
    {"train": "hellaswag_train.jsonl", "dev": "hellaswag_val.jsonl"},
    read_hellaswag_jsonl,
)

SPEC = english_intermediate(
    "hellaswag",
    load_hellaswag,
    "HellaSwag, English commonsense sentence completion, 4 endings",
    "rowanz/hellaswag data/ (Zellers et al. 2019)",
    jiant_intermediate(),
    citation="Zellers et al. 2019. HellaSwag: Can a Machine Really Finish Your Sentence? ACL",
    hub=HELLASWAG_HUB,
)
