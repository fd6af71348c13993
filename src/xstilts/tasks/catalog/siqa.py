"""Social IQa: English social commonsense, 3 choices; XTREME-R's step before COPA (see xcopa.py).

Files: the XTREME download (``siqa/socialIQa_v1.4_{trn,dev}.jsonl``, answer letter in
``correct``) or the AI2 leaderboard release (``{train,dev}.jsonl`` + ``{train,dev}-labels.lst``,
at the top or in ``socialiqa-train-dev/``).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import MultipleChoiceExample
from xstilts.data.hub.converted import SIQA_HUB
from xstilts.data.multiple_choice_format import read_siqa_jsonl
from xstilts.errors import DataError
from xstilts.tasks.choice_files import english_intermediate, require_labels
from xstilts.tasks.layout import first_file, split_file
from xstilts.tasks.recipe import xtreme_classification

_SIQA_XTREME = {"train": "socialIQa_v1.4_trn.jsonl", "dev": "socialIQa_v1.4_dev.jsonl"}


def load_siqa(task_dir: Path, split: str, language: str) -> list[MultipleChoiceExample]:
    """Social IQa from the XTREME download or the AI2 release (labels in ``*-labels.lst``)."""
    xtreme_name = split_file(task_dir, split, _SIQA_XTREME)
    leaderboard = [f"{split}.jsonl", f"socialiqa-train-dev/{split}.jsonl"]
    path = first_file(task_dir, [xtreme_name, *leaderboard], f"SIQA {split} file")
    labels: Path | None = None
    if path.name != xtreme_name:
        labels = path.with_name(f"{split}-labels.lst")
        if not labels.is_file():
            raise DataError(labels, None, f"file not found; the labels of {path.name}")
    return require_labels(path, read_siqa_jsonl(path, labels), split)


SPEC = english_intermediate(
    "siqa",
    load_siqa,
    "Social IQa, English social commonsense, 3 choices (XTREME-R's step before COPA)",
    "maartensap.github.io/social-iqa socialIQa_v1.4 (Sap et al. 2019); AI2 leaderboard copy",
    # xtreme:scripts/train_xcopa.sh: the same settings for the SIQA phase and the COPA phase.
    xtreme_classification("train_xcopa.sh", 3e-5),
    citation="Sap et al. 2019. Social IQa: Commonsense Reasoning about Social Interactions. EMNLP",
    hub=SIQA_HUB,
)
