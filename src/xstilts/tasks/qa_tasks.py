"""Extractive QA tasks: SQuAD v1.1 and v2.0 (intermediate), XQuAD, MLQA, TyDiQA-GoldP (target).

Every file is SQuAD-layout json read by :func:`xstilts.data.squad_format.read_squad`. One folder
per task under the study's ``data_dir``; the layouts are the official releases' (as XTREME's
``scripts/download_data.sh`` leaves them), plus one rule for the two tasks that train on SQuAD:

- ``squad/``: ``train-v1.1.json``, ``dev-v1.1.json`` (``rajpurkar/SQuAD-explorer``).
- ``squad_v2/``: ``train-v2.0.json``, ``dev-v2.0.json``.
- ``xquad/``: ``xquad.{lang}.json`` (``deepmind/xquad``) = the test split, **plus a copy or
  symlink of SQuAD's ``train-v1.1.json`` and ``dev-v1.1.json``**: XQuAD has no training or dev
  data; XTREME trains on SQuAD v1.1 train and reports SQuAD dev (``scripts/train_qa.sh``), which
  is also our English-dev model selection set. The files live *in* the task folder (not read
  from a sibling ``squad/``) so that the task's data fingerprint covers everything it trains on;
  a symlink is hashed by content, so linking costs no disk.
- ``mlqa/``: ``dev/dev-context-{lang}-question-{lang}.json`` and
  ``test/test-context-{lang}-question-{lang}.json`` (the ``MLQA_V1.zip`` layout; an unzipped
  ``MLQA_V1/`` folder inside ``mlqa/`` works too), plus SQuAD's ``train-v1.1.json`` as for XQuAD.
  Only same-language pairs are read (XTREME). English-dev selection uses MLQA's English dev set,
  and MLQA's dev sets in the other languages give the oracle (target-dev) selection.
- ``tydiqa/``: ``tydiqa-goldp-v1.1-train/tydiqa.en.train.json`` and
  ``tydiqa-goldp-v1.1-dev/tydiqa.{lang}.dev.json``, the files XTREME's ``utils_preprocess.py``
  (``tydiqa_preprocess``) writes. The untouched release works too: the English training set is
  then split out of ``tydiqa-goldp-v1.1-train.json`` (ids ``english-...``, as that script does)
  and the dev files keep their names ``tydiqa-goldp-dev-{arabic,...}.json``. The "test" split is
  the official GoldP dev set (XTREME). TyDiQA-GoldP has no other dev set, so there is no
  English-dev selection: the last checkpoint is kept, as XTREME's QA recipe always does.
  (XTREME's ``utils_preprocess.py`` at commit 838c13b writes ``tydiqa.goldp.{lang}.train.json``
  and renames the dev files to ``tydiqa.goldp.{lang}.dev.json``, blanking their answers; those
  names are accepted as well, and such test sets are predicted, not scored.)

XTREME's ``download_data.sh`` puts SQuAD in its own ``squad/`` folder beside ``xquad/`` and
``mlqa/``; the message for a missing copy gives the ``ln -s`` that links it in.

Languages are XTREME's (``tasks/benchmarks.TASK_LANGUAGES``); XQuAD adds XTREME-R's ``ro``.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import SpanQAExample
from xstilts.data.hub.configs import MLQA_HUB_LANGUAGES, TYDIQA_ID_LANGUAGES, XQUAD_HUB_LANGUAGES
from xstilts.data.hub.source import HubSource
from xstilts.data.hub.span_qa import (
    write_mlqa,
    write_squad,
    write_squad_v2,
    write_tydiqa,
    write_xquad,
)
from xstilts.data.squad_format import read_squad
from xstilts.errors import DataError
from xstilts.tasks.benchmarks import TASK_LANGUAGES, XTREME, XTREME_R
from xstilts.tasks.layout import any_file, first_file, xtreme_download
from xstilts.tasks.recipe import jiant_intermediate, xtreme_qa
from xstilts.tasks.spec import LanguagesFound, TaskSpec

XQUAD_LANGUAGES = TASK_LANGUAGES[XTREME]["xquad"] + tuple(
    lang
    for lang in TASK_LANGUAGES[XTREME_R]["xquad"]
    if lang not in TASK_LANGUAGES[XTREME]["xquad"]
)
MLQA_LANGUAGES = TASK_LANGUAGES[XTREME]["mlqa"]
TYDIQA_LANGUAGES = TASK_LANGUAGES[XTREME]["tydiqa"]

# The language names in TyDiQA's ids and dev file names (xtreme utils_preprocess.py LANG2ISO).
TYDIQA_NAMES = {
    "ar": "arabic", "bn": "bengali", "en": "english", "fi": "finnish", "id": "indonesian",
    "ko": "korean", "ru": "russian", "sw": "swahili", "te": "telugu",
}  # fmt: skip

SQUAD_V1_FILES = {"train": "train-v1.1.json", "dev": "dev-v1.1.json"}
SQUAD_V2_FILES = {"train": "train-v2.0.json", "dev": "dev-v2.0.json"}

# The span_qa family's own knobs (xtreme scripts/train_qa.sh and run_squad.py defaults); the
# training recipes are tasks/recipe.py's xtreme_qa (targets) and jiant_intermediate (SQuAD).
QA_FAMILY_DEFAULTS = {"max_query_length": 64, "n_best": 20, "max_answer_length": 30}
QA_INTERMEDIATE_RECIPE = jiant_intermediate(max_length=384, doc_stride=128)


_XQUAD_GET = (
    "https://github.com/deepmind/xquad xquad.{lang}.json into the task folder, or "
    f"{xtreme_download('xquad')} (test answers blanked: predicted, not scored), or "
    "xstilts fetch xquad --out DATA_DIR"
)
_MLQA_GET = (
    "https://dl.fbaipublicfiles.com/MLQA/MLQA_V1.zip unzipped into the task folder, or "
    f"{xtreme_download('mlqa')}, or xstilts fetch mlqa --out DATA_DIR"
)
_TYDIQA_GET = (
    "https://storage.googleapis.com/tydiqa/v1.1/tydiqa-goldp-v1.1-train.json and "
    "tydiqa-goldp-v1.1-dev.tgz (extracted) into the task folder, or "
    f"{xtreme_download('tydiqa')}, or xstilts fetch tydiqa --out DATA_DIR"
)


def _english_only(task_dir: Path, task: str, split: str, language: str) -> None:
    if language != "en":
        raise DataError(task_dir, None, f"{task} has only English {split} data, not {language!r}")


def _split_file(task_dir: Path, files: dict[str, str], task: str, split: str) -> Path:
    if split not in files:
        raise DataError(task_dir, None, f"{task} has no {split!r} split; expected {sorted(files)}")
    return task_dir / files[split]


def _squad_copy(task_dir: Path, task: str, split: str) -> Path:
    """SQuAD v1.1 train/dev kept inside another task's folder (see the module docstring)."""
    path = _split_file(task_dir, SQUAD_V1_FILES, task, split)
    if not path.is_file():
        sibling = task_dir.parent / "squad" / path.name
        how = (
            f"ln -s ../squad/{path.name} {task_dir}/"
            if sibling.is_file()
            else f"xstilts fetch {task} --out {task_dir.parent} (writes it), or copy SQuAD's"
        )
        raise DataError(
            path, None,
            f"file not found; {task} trains on SQuAD v1.1 and reads it from its own folder "
            f"(so the run's data fingerprint covers it): {how}",
        )  # fmt: skip
    return path


def load_squad(task_dir: Path, split: str, language: str) -> list[SpanQAExample]:
    """SQuAD v1.1 ``train-v1.1.json`` / ``dev-v1.1.json``."""
    _english_only(task_dir, "squad", split, language)
    return read_squad(_split_file(task_dir, SQUAD_V1_FILES, "squad", split))


def load_squad_v2(task_dir: Path, split: str, language: str) -> list[SpanQAExample]:
    """SQuAD 2.0 ``train-v2.0.json`` / ``dev-v2.0.json`` (unanswerable questions included)."""
    _english_only(task_dir, "squad_v2", split, language)
    return read_squad(_split_file(task_dir, SQUAD_V2_FILES, "squad_v2", split))


def load_xquad(task_dir: Path, split: str, language: str) -> list[SpanQAExample]:
    """Train/dev: the SQuAD v1.1 copy (English); test: ``xquad.{language}.json``."""
    if split == "test":
        what = f"XQuAD file for {language!r}"
        return read_squad(first_file(task_dir, [f"xquad.{language}.json"], what, _XQUAD_GET))
    _english_only(task_dir, "xquad", split, language)
    return read_squad(_squad_copy(task_dir, "xquad", split))


def xquad_languages_found(task_dir: Path, split: str) -> list[str]:
    if split == "test":
        return [lang for lang in XQUAD_LANGUAGES if (task_dir / f"xquad.{lang}.json").is_file()]
    return ["en"] if (task_dir / SQUAD_V1_FILES.get(split, "-")).is_file() else []


def _mlqa_candidates(split: str, language: str) -> list[str]:
    """The ``MLQA_V1.zip`` layout, at the top of the task folder or in an unzipped ``MLQA_V1/``."""
    name = f"{split}-context-{language}-question-{language}.json"
    return [f"{split}/{name}", f"MLQA_V1/{split}/{name}"]


def load_mlqa(task_dir: Path, split: str, language: str) -> list[SpanQAExample]:
    """Train: the SQuAD v1.1 copy (English); dev/test: MLQA's same-language file."""
    if split == "train":
        _english_only(task_dir, "mlqa", split, language)
        return read_squad(_squad_copy(task_dir, "mlqa", split))
    if split not in ("dev", "test"):
        raise DataError(task_dir, None, f"mlqa has no {split!r} split; expected train, dev, test")
    what = f"MLQA {split} file for {language!r}"
    return read_squad(first_file(task_dir, _mlqa_candidates(split, language), what, _MLQA_GET))


def mlqa_languages_found(task_dir: Path, split: str) -> list[str]:
    if split == "train":
        return ["en"] if (task_dir / SQUAD_V1_FILES["train"]).is_file() else []
    return [lang for lang in MLQA_LANGUAGES if any_file(task_dir, _mlqa_candidates(split, lang))]


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
    _english_only(task_dir, "tydiqa", split, language)
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


def _english_files(files: dict[str, str]) -> LanguagesFound:
    """English wherever the split's file is present (the SQuAD tasks)."""

    def found(task_dir: Path, split: str) -> list[str]:
        return ["en"] if split in files and (task_dir / files[split]).is_file() else []

    return found


SPECS = [
    TaskSpec(
        name="squad",
        family="span_qa",
        languages=("en",),
        load=load_squad,
        languages_found=_english_files(SQUAD_V1_FILES),
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
            "Rajpurkar et al. 2016. SQuAD: 100,000+ Questions for Machine Comprehension "
            "of Text. EMNLP"
        ),
        source="https://rajpurkar.github.io/SQuAD-explorer/ (train-v1.1.json, dev-v1.1.json)",
    ),
    TaskSpec(
        name="squad_v2",
        family="span_qa",
        languages=("en",),
        load=load_squad_v2,
        languages_found=_english_files(SQUAD_V2_FILES),
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
    ),
    TaskSpec(
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
    ),
    TaskSpec(
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
        citation=(
            "Lewis et al. 2020. MLQA: Evaluating Cross-lingual Extractive Question Answering. ACL"
        ),
        source="https://dl.fbaipublicfiles.com/MLQA/MLQA_V1.zip (Lewis et al. 2020) + SQuAD v1.1",
    ),
    TaskSpec(
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
    ),
]
