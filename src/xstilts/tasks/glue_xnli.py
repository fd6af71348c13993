"""Sentence(-pair) classification tasks: MNLI, SST-2 (intermediate), XNLI (target).

File layouts are the official releases':
- MNLI (GLUE): ``mnli/train.tsv``, ``mnli/dev_matched.tsv``; columns read by header name.
- SST-2 (GLUE): ``sst2/train.tsv``, ``sst2/dev.tsv`` with ``sentence<TAB>label``.
- XNLI: English training data from XNLI-MT-1.0 ``multinli.train.en.tsv`` (``premise hypo label``,
  label ``contradictory`` for contradiction), dev/test from XNLI-1.0 ``xnli.{dev,test}.tsv``
  with a ``language`` column (the XTREME recipe: train on English MNLI, test in 15 languages).
  Accepted layouts, first match wins: the files at the top of ``xnli/`` (as ``xstilts fetch``
  writes dev/test); the two zips unzipped there (``XNLI-MT-1.0/multinli/multinli.train.en.tsv``,
  ``XNLI-1.0/xnli.{dev,test}.tsv``); XTREME's ``download_data.sh`` output (``train-en.tsv``,
  ``{dev,test}-{lang}.tsv``, headerless, test without labels: predicted, not scored).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.classification_format import (
    BINARY_LABELS,
    NLI_LABELS,
    read_mnli_tsv,
    read_sst2_tsv,
    read_xnli_mt_tsv,
    read_xnli_tsv,
    read_xtreme_pair_tsv,
    xnli_row_language,
)
from xstilts.data.examples import ClassificationExample
from xstilts.data.hub.classification import write_xnli
from xstilts.data.hub.configs import XNLI_HUB_LANGUAGES
from xstilts.data.hub.glue import (
    GLUE_HUB_SPLITS,
    GLUE_REPO,
    MNLI_HUB_SPLITS,
    write_mnli,
    write_sst2,
)
from xstilts.data.hub.source import HubSource
from xstilts.data.readers import read_tsv_records
from xstilts.errors import DataError
from xstilts.tasks.layout import any_file, first_file, xtreme_download
from xstilts.tasks.recipe import jiant_intermediate, xtreme_classification
from xstilts.tasks.spec import TaskSpec

XNLI_LANGUAGES = (
    "en", "fr", "es", "de", "el", "bg", "ru", "tr", "ar", "vi", "th", "zh", "hi", "sw", "ur",
)  # fmt: skip


def load_mnli(task_dir: Path, split: str, language: str) -> list[ClassificationExample]:
    """GLUE MNLI; ``dev`` is dev_matched (the GLUE validation split)."""
    files = {"train": "train.tsv", "dev": "dev_matched.tsv", "test": "dev_mismatched.tsv"}
    return read_mnli_tsv(task_dir / files[split])


def load_sst2(task_dir: Path, split: str, language: str) -> list[ClassificationExample]:
    """GLUE SST-2: ``sentence<TAB>label`` with label 0/1."""
    return read_sst2_tsv(task_dir / {"train": "train.tsv", "dev": "dev.tsv"}[split])


# Layouts, first match wins (see the module docstring).
XNLI_TRAIN_FILES = (
    "multinli.train.en.tsv",
    "XNLI-MT-1.0/multinli/multinli.train.en.tsv",
    "multinli/multinli.train.en.tsv",
)
XNLI_XTREME_TRAIN = "train-en.tsv"
_XNLI_GET = (
    "XNLI-1.0.zip and XNLI-MT-1.0.zip from https://dl.fbaipublicfiles.com/XNLI/ unzipped into "
    f"the task folder, or {xtreme_download('xnli')}, or xstilts fetch xnli --out DATA_DIR "
    "(dev/test only)"
)


def _xnli_release_files(split: str) -> list[str]:
    return [f"xnli.{split}.tsv", f"XNLI-1.0/xnli.{split}.tsv"]


def load_xnli(task_dir: Path, split: str, language: str) -> list[ClassificationExample]:
    """XNLI: English train from XNLI-MT, dev/test rows of ``language`` from XNLI-1.0; or
    XTREME's preprocessed ``{split}-{lang}.tsv`` (its test files carry no labels)."""
    if split == "train":
        if language != "en":
            raise DataError(task_dir, None, "XNLI trains on English (multinli.train.en.tsv)")
        if (task_dir / XNLI_XTREME_TRAIN).is_file() and not any_file(task_dir, XNLI_TRAIN_FILES):
            return read_xtreme_pair_tsv(task_dir / XNLI_XTREME_TRAIN, nli=True)
        candidates = [*XNLI_TRAIN_FILES, XNLI_XTREME_TRAIN]
        return read_xnli_mt_tsv(first_file(task_dir, candidates, "XNLI training file", _XNLI_GET))
    release = _xnli_release_files(split)
    if any_file(task_dir, release):
        return read_xnli_tsv(first_file(task_dir, release, ""), language, XNLI_LANGUAGES)
    xtreme = f"{split}-{language}.tsv"
    path = first_file(task_dir, [*release, xtreme], f"XNLI {split} file", _XNLI_GET)
    return read_xtreme_pair_tsv(path, nli=True)


def xnli_languages_found(task_dir: Path, split: str) -> list[str]:
    """Languages with rows in ``xnli.{split}.tsv`` (the demo ships 7 of the 15), or with an
    XTREME ``{split}-{lang}.tsv``."""
    if split == "train":
        found = any_file(task_dir, [*XNLI_TRAIN_FILES, XNLI_XTREME_TRAIN])
        return ["en"] if found else []
    release = [task_dir / name for name in _xnli_release_files(split)]
    path = next((path for path in release if path.is_file()), None)
    if path is None:
        return [lang for lang in XNLI_LANGUAGES if (task_dir / f"{split}-{lang}.tsv").is_file()]
    return sorted(
        {
            xnli_row_language(row, path, line, XNLI_LANGUAGES)
            for line, row in read_tsv_records(path, ["language"])
        }
    )


def _english_only(task_dir: Path, split: str) -> list[str]:
    return ["en"] if task_dir.is_dir() else []


SPECS = [
    TaskSpec(
        name="mnli",
        family="classification",
        languages=("en",),
        load=load_mnli,
        languages_found=_english_only,
        metric="accuracy",
        labels=NLI_LABELS,
        test_split=None,
        description="MultiNLI, English natural language inference (GLUE tsv)",
        recipe=jiant_intermediate(),
        citation=(
            "Williams, Nangia & Bowman 2018. A Broad-Coverage Challenge Corpus for "
            "Sentence Understanding through Inference. NAACL"
        ),
        source="https://cims.nyu.edu/~sbowman/multinli/ (GLUE copy)",
        hub=HubSource(
            task="mnli",
            languages=("en",),
            config="mnli",
            families=("mnli",),
            write=write_mnli,
            description="nyu-mll/glue mnli (train, validation_matched/_mismatched) -> "
            "train.tsv, dev_matched.tsv, dev_mismatched.tsv (pairID = the Hub's idx)",
            repo=GLUE_REPO,
            splits=MNLI_HUB_SPLITS,
        ),
    ),
    TaskSpec(
        name="sst2",
        family="classification",
        languages=("en",),
        load=load_sst2,
        languages_found=_english_only,
        metric="accuracy",
        labels=BINARY_LABELS,
        test_split=None,
        text_pair=False,
        description="SST-2, English binary sentiment (GLUE tsv)",
        recipe=jiant_intermediate(),
        citation=(
            "Socher et al. 2013. Recursive Deep Models for Semantic Compositionality Over "
            "a Sentiment Treebank. EMNLP"
        ),
        source="GLUE SST-2",
        hub=HubSource(
            task="sst2",
            languages=("en",),
            config="sst2",
            families=("sst2",),
            write=write_sst2,
            description="nyu-mll/glue sst2 (train, validation) -> train.tsv, dev.tsv",
            repo=GLUE_REPO,
            splits=GLUE_HUB_SPLITS,
        ),
    ),
    TaskSpec(
        name="xnli",
        family="classification",
        languages=XNLI_LANGUAGES,
        load=load_xnli,
        languages_found=xnli_languages_found,
        metric="accuracy",
        scorer="classification",
        labels=NLI_LABELS,
        hub=HubSource(
            task="xnli",
            languages=XNLI_HUB_LANGUAGES,
            config="XNLI",
            families=("XNLI",),
            write=write_xnli,
            description="XNLI (validation, test) -> xnli.dev.tsv, xnli.test.tsv; the Hub has no "
            "training set: add XNLI-MT-1.0's multinli/multinli.train.en.tsv yourself",
            english_trained=True,
            note="the Hub's XNLI has no training set: put XNLI-MT-1.0's multinli/"
            "multinli.train.en.tsv (https://dl.fbaipublicfiles.com/XNLI/XNLI-MT-1.0.zip) into "
            "{task_dir}",
            note_done_when="multinli.train.en.tsv",
        ),
        description="XNLI: train on English MNLI (XNLI-MT), test zero-shot in 15 languages",
        recipe=xtreme_classification("train_xnli.sh", 3e-5),
        citation=(
            "Conneau et al. 2018. XNLI: Evaluating Cross-lingual Sentence Representations. EMNLP"
        ),
        source="XNLI-1.0 and XNLI-MT-1.0 (Conneau et al. 2018)",
    ),
]
