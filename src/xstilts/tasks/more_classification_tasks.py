"""More sentence-pair classification tasks: PAWS-X (target); QQP and ANLI+ (intermediate).

All three use the ``classification`` family unchanged; only where files lie is task-specific.
Folder layouts (the task folder is ``{data_dir}/{task name}``; the first file found wins):

- ``pawsx/``: the official PAWS-X release ``x-final.tar.gz`` (``{lang}/dev_2k.tsv``,
  ``{lang}/test_2k.tsv``, English ``en/train.tsv``, other languages ``{lang}/translated_train.tsv``;
  ``id sentence1 sentence2 label`` with a header), at the top or still inside ``x-final/``. This is
  what XTREME downloads before ``utils_preprocess.py`` (``pawsx_preprocess``) rewrites it to
  headerless ``{split}-{lang}.tsv`` (``train-en.tsv``, ``dev-*``, ``test-*`` without labels);
  those rewritten files are read too, as XTREME reads them, when the release is absent. Test
  labels are in the release, so test is scored locally; XTREME's test files are only predicted.
- ``qqp/``: GLUE QQP ``train.tsv``, ``dev.tsv``, from ``QQP-clean.zip`` (363,846 train pairs, the
  copy GLUE's ``download_glue_data.py`` and HF ``glue`` use). The first ``QQP.zip`` had questions
  split by raw newlines; our tsv reader refuses such rows with their file:line.
- ``anli/`` holds **ANLI+**, the X-STILTs intermediate task (Phang et al. 2020: ANLI combined with
  MNLI and SNLI): training set = ANLI v1.0 R1, R2, R3 train + MNLI train + SNLI train,
  concatenated (~163k + 393k + 550k); dev = the three ANLI dev rounds concatenated (3,200), since
  ANLI is what ANLI+ adds. Files:

      anli/R1/{train,dev}.jsonl  R2/...  R3/...         (or under anli/anli_v1.0/)
      anli/MNLI/train.tsv                               (GLUE MNLI; or the NYU release
                                                          multinli_1.0/multinli_1.0_train.jsonl)
      anli/snli_1.0/snli_1.0_train.jsonl                (SNLI 1.0 release)

  ``-`` (no annotator majority) SNLI/MNLI rows are dropped by the readers, as jiant does. FEVER-NLI,
  which the ANLI paper also adds to its "ALL" training mix, is not part of ANLI+ here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from xstilts.data.classification_format import (
    BINARY_LABELS,
    NLI_LABELS,
    read_anli_jsonl,
    read_mnli_tsv,
    read_pawsx_tsv,
    read_qqp_tsv,
    read_snli_jsonl,
    read_xtreme_pair_tsv,
)
from xstilts.data.examples import ClassificationExample
from xstilts.data.hub.classification import write_pawsx
from xstilts.data.hub.configs import PAWSX_HUB_LANGUAGES
from xstilts.data.hub.glue import GLUE_HUB_SPLITS, GLUE_REPO, write_qqp
from xstilts.data.hub.source import HubSource
from xstilts.errors import DataError
from xstilts.tasks.layout import any_file, first_file, xtreme_download
from xstilts.tasks.recipe import jiant_intermediate, xtreme_classification
from xstilts.tasks.spec import TaskSpec

# xtreme:evaluate.py language list for pawsx, in its order.
PAWSX_LANGUAGES = ("de", "en", "es", "fr", "ja", "ko", "zh")
ANLI_ROUNDS = ("R1", "R2", "R3")

_PAWSX_GET = (
    "https://storage.googleapis.com/paws/pawsx/x-final.tar.gz extracted into the task folder, "
    f"or {xtreme_download('pawsx')}, or xstilts fetch pawsx --out DATA_DIR"
)
# xtreme:scripts/train_pawsx.sh, XLM-R Large: lr 3e-5, batch 2 x 16, 5 epochs, length 128.


def _check_split(task_dir: Path, split: str, splits: Sequence[str]) -> None:
    if split not in splits:
        raise DataError(task_dir, None, f"no split {split!r}; this task has {', '.join(splits)}")


# ---------------------------------------------------------------------------------------------
# PAWS-X (target)
# ---------------------------------------------------------------------------------------------


def pawsx_file_name(split: str, language: str) -> str:
    """Release file of a split; English trains on ``train.tsv``, the rest on translations."""
    if split == "train":
        return "train.tsv" if language == "en" else "translated_train.tsv"
    return {"dev": "dev_2k.tsv", "test": "test_2k.tsv"}[split]


def pawsx_candidates(split: str, language: str) -> list[str]:
    name = pawsx_file_name(split, language)
    return [f"{language}/{name}", f"x-final/{language}/{name}"]


def load_pawsx(task_dir: Path, split: str, language: str) -> list[ClassificationExample]:
    """One split of one PAWS-X language from the official release layout.

    Training rows whose two sentences are both empty are dropped: they are failed machine
    translations in ``translated_train.tsv`` (google-research-datasets/paws#4) and teach nothing;
    dev and test rows are all kept, so that prediction files align with the gold files.
    """
    _check_split(task_dir, split, ("train", "dev", "test"))
    if language not in PAWSX_LANGUAGES:
        raise DataError(task_dir, None, f"PAWS-X has no language {language!r}")
    candidates = pawsx_candidates(split, language)
    xtreme = f"{split}-{language}.tsv"
    if not any_file(task_dir, candidates) and (task_dir / xtreme).is_file():
        examples = read_xtreme_pair_tsv(task_dir / xtreme, nli=False)
        if split == "train":
            examples = [e for e in examples if e.text_a.strip() or (e.text_b or "").strip()]
        return examples
    what = f"PAWS-X {split} file for {language!r}"
    path = first_file(task_dir, [*candidates, xtreme], what, _PAWSX_GET)
    examples = read_pawsx_tsv(path)
    if split == "train":
        examples = [e for e in examples if e.text_a.strip() or (e.text_b or "").strip()]
    return examples


def pawsx_languages_found(task_dir: Path, split: str) -> list[str]:
    if split not in ("train", "dev", "test"):
        return []
    return [
        language
        for language in PAWSX_LANGUAGES
        if any_file(task_dir, [*pawsx_candidates(split, language), f"{split}-{language}.tsv"])
    ]


# ---------------------------------------------------------------------------------------------
# QQP and ANLI+ (intermediate)
# ---------------------------------------------------------------------------------------------


def load_qqp(task_dir: Path, split: str, language: str) -> list[ClassificationExample]:
    """GLUE QQP (QQP-clean): ``train.tsv``, ``dev.tsv``; the test file has no labels."""
    _check_split(task_dir, split, ("train", "dev"))
    return read_qqp_tsv(task_dir / f"{split}.tsv")


def _anli_round(task_dir: Path, round_name: str, split: str) -> Path:
    candidates = [f"{round_name}/{split}.jsonl", f"anli_v1.0/{round_name}/{split}.jsonl"]
    return first_file(task_dir, candidates, f"ANLI {round_name} {split} file")


def load_anli_plus(task_dir: Path, split: str, language: str) -> list[ClassificationExample]:
    """ANLI+: train = ANLI R1-R3 + MNLI + SNLI train; dev = ANLI R1-R3 dev (see module doc)."""
    _check_split(task_dir, split, ("train", "dev"))
    examples: list[ClassificationExample] = []
    for round_name in ANLI_ROUNDS:
        examples.extend(read_anli_jsonl(_anli_round(task_dir, round_name, split)))
    if split == "train":
        mnli = first_file(
            task_dir,
            ["MNLI/train.tsv", "multinli_1.0/multinli_1.0_train.jsonl"],
            "MNLI training file (ANLI+ = ANLI + MNLI + SNLI)",
        )
        examples.extend(read_mnli_tsv(mnli) if mnli.suffix == ".tsv" else read_snli_jsonl(mnli))
        snli = first_file(
            task_dir,
            ["snli_1.0/snli_1.0_train.jsonl"],
            "SNLI training file (ANLI+ = ANLI + MNLI + SNLI)",
        )
        examples.extend(read_snli_jsonl(snli))
    unlabelled = next((e for e in examples if e.label is None), None)
    if unlabelled is not None:
        raise DataError(
            task_dir, None, f"example {unlabelled.id!r} of the {split} set has no label"
        )
    return examples


def _english_only(task_dir: Path, split: str) -> list[str]:
    return ["en"] if task_dir.is_dir() else []


SPECS = [
    TaskSpec(
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
        # train_pawsx.sh sets LR=2e-5 for every model (only the batch split differs)
        recipe=xtreme_classification("train_pawsx.sh", 2e-5),
        citation=(
            "Yang, Zhang, Tar & Baldridge 2019. PAWS-X: A Cross-lingual Adversarial "
            "Dataset for Paraphrase Identification. EMNLP"
        ),
        source="PAWS-X x-final.tar.gz (Yang et al. 2019), google-research-datasets/paws",
    ),
    TaskSpec(
        name="qqp",
        family="classification",
        languages=("en",),
        load=load_qqp,
        languages_found=_english_only,
        metric="accuracy",
        labels=BINARY_LABELS,
        test_split=None,
        description="Quora Question Pairs, English duplicate-question detection (GLUE tsv)",
        recipe=jiant_intermediate(),
        citation=(
            "Iyer, Dandekar & Csernai 2017. First Quora Dataset Release: Question Pairs; "
            "in GLUE (Wang et al. 2019, ICLR)"
        ),
        source="GLUE QQP-clean.zip",
        hub=HubSource(
            task="qqp",
            languages=("en",),
            config="qqp",
            families=("qqp",),
            write=write_qqp,
            description="nyu-mll/glue qqp (train, validation) -> train.tsv, dev.tsv "
            "(id = the Hub's idx; no qid1/qid2)",
            repo=GLUE_REPO,
            splits=GLUE_HUB_SPLITS,
        ),
    ),
    TaskSpec(
        name="anli",
        family="classification",
        languages=("en",),
        load=load_anli_plus,
        languages_found=_english_only,
        metric="accuracy",
        labels=NLI_LABELS,
        test_split=None,
        description="ANLI+: ANLI R1-R3 + MNLI + SNLI training, ANLI R1-R3 dev (X-STILTs)",
        recipe=jiant_intermediate(),
        citation=(
            "Nie et al. 2020. Adversarial NLI: A New Benchmark for Natural Language "
            "Understanding. ACL; ANLI+ as in Phang et al. 2020 (AACL)"
        ),
        source="ANLI v1.0 (Nie et al. 2020), GLUE MNLI, SNLI 1.0",
    ),
]
