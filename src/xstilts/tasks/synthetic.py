"""What the tasks of the controlled experiment share (``synth_nli``, ``synth_xnli``,
``synth_tatoeba``): authored English and its synthetic languages.

The controlled design (``xstilts.pretraining``) sets each language's pretraining budget and its
distance to English by construction; these tasks run the X-STILTs chain on top of it, in the
same roles as MNLI -> XNLI and Tatoeba in Phang et al. 2020 (arXiv 2005.13013). Their languages
are whatever the data folder holds (``languages=()``): the codes come from the design
(``x-s50-rev-b8k`` = half the word types in its own alphabet, reversed order, 8k tokens). Files
use XTREME's preprocessed layouts, so the official readers read them: ``{split}-{lang}.tsv``
(sentence1, sentence2, label; no header) and ``tatoeba.{lang}-eng.{lang|eng}`` (line i
translates line i).
"""

from __future__ import annotations

import re
from pathlib import Path

from xstilts.data.classification_format import read_xtreme_pair_tsv
from xstilts.data.examples import ClassificationExample
from xstilts.errors import DataError
from xstilts.tasks.layout import first_file
from xstilts.tasks.spec import TaskSpec

#: The design's tasks in their X-STILTs roles, named here once: ``pretraining.controlled`` builds
#: its study from them, ``pretraining.task_data`` writes their folders and
#: ``analysis.dose_response`` reads their rows (each is a file of ``tasks/catalog/``).
INTERMEDIATE_TASK = "synth_nli"
CLASSIFICATION_TARGET = "synth_xnli"
RETRIEVAL_TARGET = "synth_tatoeba"

NLI_LABELS = ("entailment", "neutral", "contradiction")
#: A language code of the design: ISO 639-1, or ``x-`` and the design's name of the language.
CODE = r"[a-z]{2}|x-[a-z0-9-]+"
#: How to get the files (for the error of a missing one).
MAKE = "xstilts demo --controlled (writes the synthetic data of a controlled design)"
CITATION = "authored for xstilts (controlled design); X-STILTs roles after Phang et al. 2020"
_PAIR_FILE = re.compile(rf"(train|dev|test)-({CODE})\.tsv")


def load_pairs(task_dir: Path, split: str, language: str) -> list[ClassificationExample]:
    """``{split}-{language}.tsv`` in XTREME's pair format (labels required)."""
    path = first_file(task_dir, [f"{split}-{language}.tsv"], f"{split} file", MAKE)
    examples = read_xtreme_pair_tsv(path, nli=True)
    if any(example.label is None for example in examples):
        raise DataError(path, None, "every synthetic pair must carry its label (3 columns)")
    return examples


def pair_languages_found(task_dir: Path, split: str) -> list[str]:
    """Languages with a ``{split}-{lang}.tsv`` file."""
    if not task_dir.is_dir():
        return []
    found = (_PAIR_FILE.fullmatch(path.name) for path in task_dir.iterdir())
    return sorted(m.group(2) for m in found if m and m.group(1) == split)


def synthetic_nli_spec(
    name: str, languages: tuple[str, ...], test_split: str | None, description: str, source: str
) -> TaskSpec:
    """An NLI task of authored pairs (``{split}-{lang}.tsv``), scored like XNLI."""
    return TaskSpec(
        name=name,
        family="classification",
        languages=languages,
        load=load_pairs,
        languages_found=pair_languages_found,
        metric="accuracy",
        scorer="classification",
        labels=NLI_LABELS,
        test_split=test_split,
        description=description,
        citation=CITATION,
        source=source,
    )
