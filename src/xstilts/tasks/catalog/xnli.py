"""XNLI: train on English MNLI (XNLI-MT), test zero-shot in 15 languages (the XTREME recipe).

Files: English training data from XNLI-MT-1.0 ``multinli.train.en.tsv`` (``premise hypo label``,
label ``contradictory`` for contradiction), dev/test from XNLI-1.0 ``xnli.{dev,test}.tsv`` with a
``language`` column. Accepted layouts, first match wins: the files at the top of ``xnli/`` (as
``xstilts fetch`` writes dev/test); the two zips unzipped there
(``XNLI-MT-1.0/multinli/multinli.train.en.tsv``, ``XNLI-1.0/xnli.{dev,test}.tsv``); XTREME's
``download_data.sh`` output (``train-en.tsv``, ``{dev,test}-{lang}.tsv``, headerless, test without
labels: predicted, not scored).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.classification_format import (
    NLI_LABELS,
    read_xnli_mt_tsv,
    read_xnli_tsv,
    read_xtreme_pair_tsv,
    xnli_row_language,
)
from xstilts.data.examples import ClassificationExample
from xstilts.data.hub.classification import write_xnli
from xstilts.data.hub.configs import XNLI_HUB_LANGUAGES
from xstilts.data.hub.source import HubSource
from xstilts.data.readers import read_tsv_records
from xstilts.errors import DataError
from xstilts.tasks.layout import any_file, first_file, xtreme_download
from xstilts.tasks.recipe import xtreme_classification
from xstilts.tasks.spec import TaskSpec

XNLI_LANGUAGES = (
    "en", "fr", "es", "de", "el", "bg", "ru", "tr", "ar", "vi", "th", "zh", "hi", "sw", "ur",
)  # fmt: skip

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


SPEC = TaskSpec(
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
)
