"""PAWS-X: paraphrase identification, trained on English, tested in 7 languages (a target).

Files (the task folder is ``{data_dir}/pawsx``; the first file found wins): the official release
``x-final.tar.gz`` (``{lang}/dev_2k.tsv``, ``{lang}/test_2k.tsv``, English ``en/train.tsv``, other
languages ``{lang}/translated_train.tsv``; ``id sentence1 sentence2 label`` with a header), at the
top or still inside ``x-final/``. This is what XTREME downloads before ``utils_preprocess.py``
(``pawsx_preprocess``) rewrites it to headerless ``{split}-{lang}.tsv`` (``train-en.tsv``,
``dev-*``, ``test-*`` without labels); those rewritten files are read too, as XTREME reads them,
when the release is absent. Test labels are in the release, so test is scored locally; XTREME's
test files are only predicted.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.classification_format import (
    BINARY_LABELS,
    read_pawsx_tsv,
    read_xtreme_pair_tsv,
)
from xstilts.data.examples import ClassificationExample
from xstilts.data.hub.classification import write_pawsx
from xstilts.data.hub.configs import PAWSX_HUB_LANGUAGES
from xstilts.data.hub.source import HubSource
from xstilts.errors import DataError
from xstilts.tasks.benchmarks import TASK_LANGUAGES, XTREME
from xstilts.tasks.layout import any_file, check_split, first_file, xtreme_download
from xstilts.tasks.recipe import xtreme_classification
from xstilts.tasks.spec import TaskSpec

# xtreme:evaluate.py language list for pawsx, in its order.
PAWSX_LANGUAGES = TASK_LANGUAGES[XTREME]["pawsx"]

_PAWSX_GET = (
    "https://storage.googleapis.com/paws/pawsx/x-final.tar.gz extracted into the task folder, "
    f"or {xtreme_download('pawsx')}, or xstilts fetch pawsx --out DATA_DIR"
)


def pawsx_file_name(split: str, language: str) -> str:
    """Release file of a split; English trains on ``train.tsv``, the rest on translations."""
    if split == "train":
        return "train.tsv" if language == "en" else "translated_train.tsv"
    return {"dev": "dev_2k.tsv", "test": "test_2k.tsv"}[split]


def pawsx_candidates(split: str, language: str) -> list[str]:
    name = pawsx_file_name(split, language)
    return [f"{language}/{name}", f"x-final/{language}/{name}"]


def _without_empty_pairs(examples: list[ClassificationExample]) -> list[ClassificationExample]:
    return [e for e in examples if e.text_a.strip() or (e.text_b or "").strip()]


def load_pawsx(task_dir: Path, split: str, language: str) -> list[ClassificationExample]:
    """One split of one PAWS-X language from the official release layout.

    Training rows whose two sentences are both empty are dropped: they are failed machine
    translations in ``translated_train.tsv`` (google-research-datasets/paws#4) and teach nothing;
    dev and test rows are all kept, so that prediction files align with the gold files.
    """
    check_split(task_dir, split, ("train", "dev", "test"))
    if language not in PAWSX_LANGUAGES:
        raise DataError(task_dir, None, f"PAWS-X has no language {language!r}")
    candidates = pawsx_candidates(split, language)
    xtreme = f"{split}-{language}.tsv"
    if not any_file(task_dir, candidates) and (task_dir / xtreme).is_file():
        examples = read_xtreme_pair_tsv(task_dir / xtreme, nli=False)
    else:
        what = f"PAWS-X {split} file for {language!r}"
        examples = read_pawsx_tsv(first_file(task_dir, [*candidates, xtreme], what, _PAWSX_GET))
    return _without_empty_pairs(examples) if split == "train" else examples


def pawsx_languages_found(task_dir: Path, split: str) -> list[str]:
    if split not in ("train", "dev", "test"):
        return []
    return [
        language
        for language in PAWSX_LANGUAGES
        if any_file(task_dir, [*pawsx_candidates(split, language), f"{split}-{language}.tsv"])
    ]


SPEC = TaskSpec(
    name="pawsx",
    family="classification",
    languages=PAWSX_LANGUAGES,
    load=load_pawsx,
    languages_found=pawsx_languages_found,
    metric="accuracy",
    scorer="classification",
    labels=BINARY_LABELS,
    hub=HubSource(
        task="pawsx",
        languages=PAWSX_HUB_LANGUAGES,
        config="PAWS-X.{language}",
        families=("PAWS-X",),
        write=write_pawsx,
        description="PAWS-X.{de,en,es,fr,ja,ko,zh} (train, validation, test) -> "
        "{lang}/train.tsv or translated_train.tsv, dev_2k.tsv, test_2k.tsv; Hub en train "
        "has 49,175 of 49,401 rows",
        english_trained=True,
        note="the Hub's PAWS-X training sets lost rows to the loading script's quote-aware "
        "tsv parsing (en: 49,175 of the release's 49,401)",
    ),
    description="PAWS-X paraphrase identification: train on English, test in 7 languages",
    # xtreme:scripts/train_pawsx.sh sets LR=2e-5 for every model (only the batch split differs):
    # batch 2 x 16, 5 epochs, length 128.
    recipe=xtreme_classification("train_pawsx.sh", 2e-5),
    citation=(
        "Yang, Zhang, Tar & Baldridge 2019. PAWS-X: A Cross-lingual Adversarial "
        "Dataset for Paraphrase Identification. EMNLP"
    ),
    source="PAWS-X x-final.tar.gz (Yang et al. 2019), google-research-datasets/paws",
)
