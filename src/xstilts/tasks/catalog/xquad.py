"""XQuAD: train on SQuAD v1.1 (English), test zero-shot on SQuAD dev translated (a target).

Files: ``xquad/xquad.{lang}.json`` (``deepmind/xquad``) = the test split, plus a copy or symlink
of SQuAD's ``train-v1.1.json`` and ``dev-v1.1.json`` (:mod:`xstilts.tasks.squad_files`): XQuAD
has no training or dev data; XTREME trains on SQuAD v1.1 train and reports SQuAD dev, which is
also our English-dev model selection set. Languages are XTREME's, plus XTREME-R's ``ro``.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import SpanQAExample
from xstilts.data.hub.configs import XQUAD_HUB_LANGUAGES
from xstilts.data.hub.source import HubSource
from xstilts.data.hub.span_qa import write_xquad
from xstilts.data.squad_format import read_squad
from xstilts.tasks.benchmarks import TASK_LANGUAGES, XTREME, XTREME_R
from xstilts.tasks.layout import first_file, xtreme_download
from xstilts.tasks.recipe import xtreme_qa
from xstilts.tasks.spec import TaskSpec
from xstilts.tasks.squad_files import QA_FAMILY_DEFAULTS, SQUAD_V1_FILES, english_only, squad_copy

XQUAD_LANGUAGES = TASK_LANGUAGES[XTREME]["xquad"] + tuple(
    lang
    for lang in TASK_LANGUAGES[XTREME_R]["xquad"]
    if lang not in TASK_LANGUAGES[XTREME]["xquad"]
)

_XQUAD_GET = (
    "https://github.com/deepmind/xquad xquad.{lang}.json into the task folder, or "
    f"{xtreme_download('xquad')} (test answers blanked: predicted, not scored), or "
    "xstilts fetch xquad --out DATA_DIR"
)


def load_xquad(task_dir: Path, split: str, language: str) -> list[SpanQAExample]:
    """Train/dev: the SQuAD v1.1 copy (English); test: ``xquad.{language}.json``."""
    if split == "test":
        what = f"XQuAD file for {language!r}"
        return read_squad(first_file(task_dir, [f"xquad.{language}.json"], what, _XQUAD_GET))
    english_only(task_dir, "xquad", split, language)
    return read_squad(squad_copy(task_dir, "xquad", split))


def xquad_languages_found(task_dir: Path, split: str) -> list[str]:
    if split == "test":
        return [lang for lang in XQUAD_LANGUAGES if (task_dir / f"xquad.{lang}.json").is_file()]
    return ["en"] if (task_dir / SQUAD_V1_FILES.get(split, "-")).is_file() else []


SPEC = TaskSpec(
    name="xquad",
    family="span_qa",
    languages=XQUAD_LANGUAGES,
    load=load_xquad,
    languages_found=xquad_languages_found,
    metric="f1",
    scorer="squad_v1",
    prediction_suffix="json",
    protocol="squad_v1",
    hub=HubSource(
        task="xquad",
        languages=XQUAD_HUB_LANGUAGES,
        config="XQuAD.{language}",
        families=("SQuAD", "XQuAD"),
        write=write_xquad,
        description="SQuAD (train, validation) + XQuAD.{lang} (validation) -> "
        "train-v1.1.json, dev-v1.1.json, xquad.{lang}.json",
        english_trained=True,
        squad_splits=("train", "validation"),
    ),
    description="XQuAD: train on SQuAD v1.1 (English), test zero-shot on 1,190 translated "
    "SQuAD dev questions per language; dev = SQuAD v1.1 dev (English only)",
    defaults=QA_FAMILY_DEFAULTS,
    recipe=xtreme_qa(),
    citation=(
        "Artetxe, Ruder & Yogatama 2020. On the Cross-lingual Transferability of "
        "Monolingual Representations. ACL"
    ),
    source="https://github.com/deepmind/xquad (Artetxe et al. 2020) + SQuAD v1.1",
)
