"""TyDiQA-GoldP: train on its English train set, test = the official GoldP dev set (a target).

Files: ``tydiqa/tydiqa-goldp-v1.1-train/tydiqa.en.train.json`` and
``tydiqa/tydiqa-goldp-v1.1-dev/tydiqa.{lang}.dev.json``, the files XTREME's
``utils_preprocess.py`` (``tydiqa_preprocess``) writes. The untouched release works too: the
English training set is then split out of ``tydiqa-goldp-v1.1-train.json`` (ids ``english-...``,
as that script does) and the dev files keep their names ``tydiqa-goldp-dev-{arabic,...}.json``.
The "test" split is the official GoldP dev set (XTREME). TyDiQA-GoldP has no other dev set, so
there is no English-dev selection: the last checkpoint is kept, as XTREME's QA recipe always
does. (XTREME's ``utils_preprocess.py`` at commit 838c13b writes ``tydiqa.goldp.{lang}.train.json``
and renames the dev files to ``tydiqa.goldp.{lang}.dev.json``, blanking their answers; those names
are accepted as well, and such test sets are predicted, not scored.)
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import SpanQAExample
from xstilts.data.hub.configs import TYDIQA_ID_LANGUAGES
from xstilts.data.hub.source import HubSource
from xstilts.data.hub.span_qa import write_tydiqa
from xstilts.data.squad_format import read_squad
from xstilts.errors import DataError
from xstilts.tasks.benchmarks import TASK_LANGUAGES, XTREME
from xstilts.tasks.layout import any_file, first_file, xtreme_download
from xstilts.tasks.recipe import xtreme_qa
from xstilts.tasks.spec import TaskSpec
from xstilts.tasks.squad_files import QA_FAMILY_DEFAULTS, english_only

TYDIQA_LANGUAGES = TASK_LANGUAGES[XTREME]["tydiqa"]

# The language names in TyDiQA's ids and dev file names (xtreme utils_preprocess.py LANG2ISO).
TYDIQA_NAMES = {
    "ar": "arabic", "bn": "bengali", "en": "english", "fi": "finnish", "id": "indonesian",
    "ko": "korean", "ru": "russian", "sw": "swahili", "te": "telugu",
}  # fmt: skip

_TYDIQA_GET = (
    "https://storage.googleapis.com/tydiqa/v1.1/tydiqa-goldp-v1.1-train.json and "
    "tydiqa-goldp-v1.1-dev.tgz (extracted) into the task folder, or "
    f"{xtreme_download('tydiqa')}, or xstilts fetch tydiqa --out DATA_DIR"
)
_TYDIQA_TRAIN_DIR = "tydiqa-goldp-v1.1-train"
_TYDIQA_DEV_DIR = "tydiqa-goldp-v1.1-dev"
_TYDIQA_RELEASE_TRAIN = "tydiqa-goldp-v1.1-train.json"

# XTREME's English split first; else the release, whose English questions are split out on load.
_TYDIQA_TRAIN_FILES = (
    f"{_TYDIQA_TRAIN_DIR}/tydiqa.en.train.json",
    f"{_TYDIQA_TRAIN_DIR}/tydiqa.goldp.en.train.json",  # utils_preprocess.py at 838c13b
    f"{_TYDIQA_TRAIN_DIR}/{_TYDIQA_RELEASE_TRAIN}",
    _TYDIQA_RELEASE_TRAIN,
)


def _tydiqa_test_candidates(language: str) -> list[str]:
    names = [f"tydiqa.{language}.dev.json", f"tydiqa.goldp.{language}.dev.json"]
    if language in TYDIQA_NAMES:
        names.append(f"tydiqa-goldp-dev-{TYDIQA_NAMES[language]}.json")
    return [f"{_TYDIQA_DEV_DIR}/{name}" for name in names]


def load_tydiqa(task_dir: Path, split: str, language: str) -> list[SpanQAExample]:
    """Train: English GoldP train (XTREME's split file, else split from the release); test:
    the official GoldP dev file of ``language``."""
    if split == "test":
        what = f"TyDiQA-GoldP dev file for {language!r}"
        candidates = _tydiqa_test_candidates(language)
        return read_squad(first_file(task_dir, candidates, what, _TYDIQA_GET))
    if split != "train":
        raise DataError(task_dir, None, f"tydiqa has no {split!r} split; expected train, test")
    english_only(task_dir, "tydiqa", split, language)
    what = "TyDiQA-GoldP English training file (or the release's to split it from)"
    path = first_file(task_dir, _TYDIQA_TRAIN_FILES, what, _TYDIQA_GET)
    if path.name != _TYDIQA_RELEASE_TRAIN:
        return read_squad(path)
    examples = [e for e in read_squad(path) if e.id.startswith("english-")]
    if not examples:
        raise DataError(path, None, "no English questions (ids starting with 'english-')")
    return examples


def tydiqa_languages_found(task_dir: Path, split: str) -> list[str]:
    if split == "train":
        return ["en"] if any_file(task_dir, _TYDIQA_TRAIN_FILES) else []
    return [lang for lang in TYDIQA_LANGUAGES if any_file(task_dir, _tydiqa_test_candidates(lang))]


SPEC = TaskSpec(
    name="tydiqa",
    family="span_qa",
    languages=TYDIQA_LANGUAGES,
    load=load_tydiqa,
    languages_found=tydiqa_languages_found,
    metric="f1",
    scorer="squad_v1",
    prediction_suffix="json",
    protocol="squad_v1",
    dev_split=None,
    hub=HubSource(
        task="tydiqa",
        languages=tuple(TYDIQA_ID_LANGUAGES.values()),
        config="tydiqa",
        families=("tydiqa",),
        write=write_tydiqa,
        description="tydiqa (train, validation; all 9 languages, split by id prefix) -> "
        "tydiqa-goldp-v1.1-train/tydiqa.{lang}.train.json, "
        "tydiqa-goldp-v1.1-dev/tydiqa.{lang}.dev.json",
        english_trained=True,
    ),
    description="TyDiQA-GoldP: train on its English train set, test = official GoldP dev",
    defaults=QA_FAMILY_DEFAULTS,
    recipe=xtreme_qa(),
    citation=(
        "Clark et al. 2020. TyDi QA: A Benchmark for Information-Seeking Question "
        "Answering in Typologically Diverse Languages. TACL"
    ),
    source="https://storage.googleapis.com/tydiqa/v1.1/ (Clark et al. 2020), XTREME layout",
)
