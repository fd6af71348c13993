"""Sentence(-pair) classification tasks: MNLI, SST-2 (intermediate), XNLI (target).

File layouts are the official releases':
- MNLI (GLUE): ``mnli/train.tsv``, ``mnli/dev_matched.tsv``; columns read by header name.
- SST-2 (GLUE): ``sst2/train.tsv``, ``sst2/dev.tsv`` with ``sentence<TAB>label``.
- XNLI: English training data from XNLI-MT-1.0 ``multinli.train.en.tsv`` (``premise hypo label``,
  label ``contradictory`` for contradiction), dev/test from XNLI-1.0 ``xnli.{dev,test}.tsv``
  with a ``language`` column (the XTREME recipe: train on English MNLI, test in 15 languages).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import ClassificationExample
from xstilts.data.readers import read_tsv_records
from xstilts.errors import DataError
from xstilts.tasks.spec import TaskSpec

NLI_LABELS = ("entailment", "neutral", "contradiction")
_NLI_ALIASES = {"contradictory": "contradiction"}

XNLI_LANGUAGES = (
    "en", "fr", "es", "de", "el", "bg", "ru", "tr", "ar", "vi", "th", "zh", "hi", "sw", "ur",
)  # fmt: skip


def _label(path: Path, line: int, raw: str, labels: tuple[str, ...]) -> str:
    label = _NLI_ALIASES.get(raw, raw)
    if label not in labels:
        raise DataError(path, line, f"label {raw!r} not in {{{', '.join(labels)}}}")
    return label


def _nli_rows(
    path: Path, text_a: str, text_b: str, label: str, id_column: str | None = None
) -> list[ClassificationExample]:
    examples = []
    required = [text_a, text_b, label] + ([id_column] if id_column else [])
    for line, row in read_tsv_records(path, required):
        if row[label] == "-":  # no annotator majority (SNLI/MNLI convention): not an example
            continue
        example_id = row[id_column] if id_column else f"{path.name}:{line}"
        examples.append(
            ClassificationExample(
                example_id, row[text_a], row[text_b], _label(path, line, row[label], NLI_LABELS)
            )
        )
    return examples


def load_mnli(task_dir: Path, split: str, language: str) -> list[ClassificationExample]:
    """GLUE MNLI; ``dev`` is dev_matched (the GLUE validation split)."""
    files = {"train": "train.tsv", "dev": "dev_matched.tsv", "test": "dev_mismatched.tsv"}
    return _nli_rows(task_dir / files[split], "sentence1", "sentence2", "gold_label", "pairID")


def load_sst2(task_dir: Path, split: str, language: str) -> list[ClassificationExample]:
    """GLUE SST-2: ``sentence<TAB>label`` with label 0/1."""
    path = task_dir / {"train": "train.tsv", "dev": "dev.tsv"}[split]
    examples = []
    for line, row in read_tsv_records(path, ["sentence", "label"]):
        if row["label"] not in ("0", "1"):
            raise DataError(path, line, f"label {row['label']!r} not in {{0, 1}}")
        examples.append(
            ClassificationExample(f"{split}-{line}", row["sentence"], None, row["label"])
        )
    return examples


def load_xnli(task_dir: Path, split: str, language: str) -> list[ClassificationExample]:
    """XNLI: English train from XNLI-MT, dev/test rows of ``language`` from XNLI-1.0."""
    if split == "train":
        if language != "en":
            raise DataError(task_dir, None, "XNLI trains on English only (translate-train: later)")
        path = task_dir / "multinli.train.en.tsv"
        return _nli_rows(path, "premise", "hypo", "label")
    path = task_dir / f"xnli.{split}.tsv"
    examples = []
    required = ["language", "gold_label", "sentence1", "sentence2", "pairID"]
    for line, row in read_tsv_records(path, required):
        if row["language"] != language:
            continue
        label = _label(path, line, row["gold_label"], NLI_LABELS)
        examples.append(
            ClassificationExample(row["pairID"], row["sentence1"], row["sentence2"], label)
        )
    return examples


def xnli_languages_found(task_dir: Path, split: str) -> list[str]:
    """Languages with rows in ``xnli.{split}.tsv`` (the demo ships 7 of the 15)."""
    if split == "train":
        return ["en"] if (task_dir / "multinli.train.en.tsv").is_file() else []
    path = task_dir / f"xnli.{split}.tsv"
    if not path.is_file():
        return []
    return sorted({row["language"] for _, row in read_tsv_records(path, ["language"])})


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
        defaults={"learning_rate": 1e-5, "epochs": 3, "max_length": 256},
        source="https://cims.nyu.edu/~sbowman/multinli/ (GLUE copy)",
    ),
    TaskSpec(
        name="sst2",
        family="classification",
        languages=("en",),
        load=load_sst2,
        languages_found=_english_only,
        metric="accuracy",
        labels=("0", "1"),
        test_split=None,
        text_pair=False,
        description="SST-2, English binary sentiment (GLUE tsv)",
        defaults={"learning_rate": 1e-5, "epochs": 3, "max_length": 256},
        source="GLUE SST-2",
    ),
    TaskSpec(
        name="xnli",
        family="classification",
        languages=XNLI_LANGUAGES,
        load=load_xnli,
        languages_found=xnli_languages_found,
        metric="accuracy",
        labels=NLI_LABELS,
        description="XNLI: train on English MNLI (XNLI-MT), test zero-shot in 15 languages",
        defaults={"learning_rate": 3e-5, "epochs": 5, "batch_size": 32, "max_length": 128},
        source="XNLI-1.0 and XNLI-MT-1.0 (Conneau et al. 2018)",
    ),
]
