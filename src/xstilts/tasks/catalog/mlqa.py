"""MLQA (same-language pairs): train on SQuAD v1.1 (English), dev/test MLQA_V1 (a target).

Files: ``mlqa/dev/dev-context-{lang}-question-{lang}.json`` and
``mlqa/test/test-context-{lang}-question-{lang}.json`` (the ``MLQA_V1.zip`` layout; an unzipped
``MLQA_V1/`` folder inside ``mlqa/`` works too), plus SQuAD's ``train-v1.1.json``
(:mod:`xstilts.tasks.squad_files`). Only same-language pairs are read (XTREME). English-dev
selection uses MLQA's English dev set, and MLQA's dev sets in the other languages give the oracle
(target-dev) selection.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import SpanQAExample
from xstilts.data.hub.configs import MLQA_HUB_LANGUAGES
from xstilts.data.hub.source import HubSource
from xstilts.data.hub.span_qa import write_mlqa
from xstilts.data.squad_format import read_squad
from xstilts.errors import DataError
from xstilts.tasks.benchmarks import TASK_LANGUAGES, XTREME
from xstilts.tasks.layout import any_file, first_file, xtreme_download
from xstilts.tasks.recipe import xtreme_qa
from xstilts.tasks.spec import TaskSpec
from xstilts.tasks.squad_files import QA_FAMILY_DEFAULTS, SQUAD_V1_FILES, english_only, squad_copy

MLQA_LANGUAGES = TASK_LANGUAGES[XTREME]["mlqa"]

_MLQA_GET = (
    "https://dl.fbaipublicfiles.com/MLQA/MLQA_V1.zip unzipped into the task folder, or "
    f"{xtreme_download('mlqa')}, or xstilts fetch mlqa --out DATA_DIR"
)


def _mlqa_candidates(split: str, language: str) -> list[str]:
    """The ``MLQA_V1.zip`` layout, at the top of the task folder or in an unzipped ``MLQA_V1/``."""
    name = f"{split}-context-{language}-question-{language}.json"
    return [f"{split}/{name}", f"MLQA_V1/{split}/{name}"]


def load_mlqa(task_dir: Path, split: str, language: str) -> list[SpanQAExample]:
    """Train: the SQuAD v1.1 copy (English); dev/test: MLQA's same-language file."""
    if split == "train":
        english_only(task_dir, "mlqa", split, language)
        return read_squad(squad_copy(task_dir, "mlqa", split))
    if split not in ("dev", "test"):
        raise DataError(task_dir, None, f"mlqa has no {split!r} split; expected train, dev, test")
    what = f"MLQA {split} file for {language!r}"
    return read_squad(first_file(task_dir, _mlqa_candidates(split, language), what, _MLQA_GET))


def mlqa_languages_found(task_dir: Path, split: str) -> list[str]:
    if split == "train":
        return ["en"] if (task_dir / SQUAD_V1_FILES["train"]).is_file() else []
    return [lang for lang in MLQA_LANGUAGES if any_file(task_dir, _mlqa_candidates(split, lang))]


SPEC = TaskSpec(
    name="mlqa",
    family="span_qa",
    languages=MLQA_LANGUAGES,
    load=load_mlqa,
    languages_found=mlqa_languages_found,
    metric="f1",
    scorer="mlqa",
    prediction_suffix="json",
    protocol="mlqa",
    hub=HubSource(
        task="mlqa",
        languages=MLQA_HUB_LANGUAGES,
        config="MLQA.{language}.{language}",
        families=("SQuAD", "MLQA"),
        write=write_mlqa,
        description="SQuAD (train) + MLQA.{lang}.{lang} (validation, test) -> "
        "train-v1.1.json, dev/dev-context-{lang}-question-{lang}.json, "
        "test/test-context-...json",
        english_trained=True,
        squad_splits=("train",),
    ),
    description="MLQA (same-language pairs): train on SQuAD v1.1 (English), dev/test MLQA_V1",
    defaults=QA_FAMILY_DEFAULTS,
    recipe=xtreme_qa(),
    citation="Lewis et al. 2020. MLQA: Evaluating Cross-lingual Extractive Question Answering. ACL",
    source="https://dl.fbaipublicfiles.com/MLQA/MLQA_V1.zip (Lewis et al. 2020) + SQuAD v1.1",
)
