"""Multiple-choice tasks: XCOPA (target); SIQA, HellaSwag, Cosmos QA, CommonsenseQA (intermediate).

**The XTREME-R XCOPA recipe is itself a two-phase STILTs chain.** ``xtreme:scripts/train_xcopa.sh``
fine-tunes on English SIQA, then continues on English COPA (``third_party/run_xcopa.py --task
xcopa --train_lang en``, new run from the SIQA checkpoint) and predicts XCOPA zero-shot. Here:

- ``xcopa``'s English train/dev sets *are* COPA (SuperGLUE ``COPA/{train,val}.jsonl``: 400/100);
  its evaluation languages are the 11 XCOPA languages (val 100, test 500 each, labels released).
- ``siqa`` is an ordinary intermediate task. ``intermediate_tasks: [siqa]`` with target ``xcopa``
  is the XTREME-R reference recipe; ``none`` is COPA-only training, i.e. *without* XTREME-R's
  built-in SIQA step. Any other intermediate task (``mnli``) replaces SIQA rather than preceding
  it, so report XCOPA rows with their intermediate task and never compare them with XTREME-R's
  XCOPA numbers under the label "baseline". (Our head is fresh per phase; run_xcopa.py keeps the
  SIQA scoring layer for COPA. Both heads output one score per choice; only the init differs.)

Folder layouts (the task folder is ``{data_dir}/{task name}``; the first file found wins):

- ``xcopa/``: the XTREME download (``scripts/download_data.sh`` at 838c13b:
  ``{train,val,test}-en.jsonl`` renamed from COPA, ``{val,test}-{lang}.jsonl`` flat, test labels
  overwritten with 0 and therefore read as hidden; earlier versions wrote
  ``{name}.{lang}.jsonl``) or the releases unpacked side by side
  (SuperGLUE ``COPA/{train,val,test}.jsonl``, ``cambridgeltl/xcopa`` ``data/{lang}/{val,test}.
  {lang}.jsonl``).
- ``siqa/``: the XTREME download (``socialIQa_v1.4_{trn,dev}.jsonl``, answer letter in
  ``correct``) or the AI2 leaderboard release (``{train,dev}.jsonl`` + ``{train,dev}-labels.lst``,
  at the top or in ``socialiqa-train-dev/``).
- ``hellaswag/``: ``hellaswag_{train,val}.jsonl`` (``rowanz/hellaswag`` ``data/``).
- ``cosmosqa/``: ``train.csv``, ``valid.csv`` (the release's ``data/``).
- ``commonsenseqa/``: ``{train,dev}_rand_split.jsonl``.

Test splits of the intermediate tasks hide their labels, so they have no test split here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

from xstilts.data.examples import MultipleChoiceExample
from xstilts.data.hub.multiple_choice import (
    COMMONSENSEQA_HUB_SPLITS,
    COMMONSENSEQA_REPO,
    write_commonsenseqa,
)
from xstilts.data.hub.source import HubSource
from xstilts.data.multiple_choice_format import (
    read_commonsenseqa_jsonl,
    read_copa_jsonl,
    read_cosmosqa,
    read_hellaswag_jsonl,
    read_siqa_jsonl,
)
from xstilts.errors import DataError
from xstilts.tasks.layout import any_file, first_file
from xstilts.tasks.recipe import Recipe, jiant_intermediate, xtreme_classification
from xstilts.tasks.spec import TaskSpec

# xtreme:evaluate.py (XTREME-R) language list for xcopa, in its order.
XCOPA_LANGUAGES = ("et", "ht", "id", "it", "qu", "sw", "ta", "th", "tr", "vi", "zh")

_COPA_FILE = {"train": "train", "dev": "val", "test": "test"}

# xtreme:scripts/train_xcopa.sh, XLM-R Large: lr 3e-5, batch 2 x 16 grad-acc, 5 epochs, len 128
# (the same settings for the SIQA phase and the COPA phase).
_XTREME_R_MC = xtreme_classification("train_xcopa.sh", 3e-5)


def _split_file(task_dir: Path, split: str, files: dict[str, str]) -> str:
    if split not in files:
        raise DataError(
            task_dir, None, f"no split {split!r}; this task has {', '.join(sorted(files))}"
        )
    return files[split]


def _require_labels(
    path: Path, examples: list[MultipleChoiceExample], split: str
) -> list[MultipleChoiceExample]:
    """Train and dev sets must be labelled; say so when the data is read, not after training."""
    if split in ("train", "dev") and any(e.label is None for e in examples):
        raise DataError(path, None, f"the {split} split has examples without a gold label")
    return examples


# ---------------------------------------------------------------------------------------------
# XCOPA (target) with COPA as its English train/dev
# ---------------------------------------------------------------------------------------------


def xcopa_candidates(name: str, language: str) -> list[str]:
    """Where file ``name`` (train, val, test) of ``language`` may lie inside the xcopa folder;
    the last candidate is the name XTREME's ``download_xcopa`` gives it (``{name}-{lang}``)."""
    xtreme = f"{name}-{language}.jsonl"
    if language == "en":
        return [f"{name}.en.jsonl", f"COPA/{name}.jsonl", xtreme]
    return [f"{name}.{language}.jsonl", f"data/{language}/{name}.{language}.jsonl", xtreme]


def load_xcopa(task_dir: Path, split: str, language: str) -> list[MultipleChoiceExample]:
    """English (COPA) or XCOPA ``language`` examples of one split."""
    if language != "en" and language not in XCOPA_LANGUAGES:
        raise DataError(task_dir, None, f"XCOPA has no language {language!r}")
    if split == "train" and language != "en":
        raise DataError(task_dir, None, "XCOPA trains on English COPA only")
    name = _split_file(task_dir, split, _COPA_FILE)
    what = f"{'COPA' if language == 'en' else 'XCOPA'} {split} file for {language!r}"
    path = first_file(task_dir, xcopa_candidates(name, language), what)
    examples = read_copa_jsonl(path)
    if name == "test" and path.name == f"test-{language}.jsonl":
        # XTREME's xcopa_preprocess overwrites every test label with 0 ("a label is still
        # required by the dataset format"): those are not gold labels.
        examples = [dataclasses.replace(example, label=None) for example in examples]
    return _require_labels(path, examples, split)


def xcopa_languages_found(task_dir: Path, split: str) -> list[str]:
    if split not in _COPA_FILE:
        return []
    languages = ["en"] if split == "train" else ["en", *XCOPA_LANGUAGES]
    return [
        language
        for language in languages
        if any_file(task_dir, xcopa_candidates(_COPA_FILE[split], language))
    ]


# ---------------------------------------------------------------------------------------------
# English intermediate tasks
# ---------------------------------------------------------------------------------------------

_SIQA_XTREME = {"train": "socialIQa_v1.4_trn.jsonl", "dev": "socialIQa_v1.4_dev.jsonl"}


def load_siqa(task_dir: Path, split: str, language: str) -> list[MultipleChoiceExample]:
    """Social IQa from the XTREME download or the AI2 release (labels in ``*-labels.lst``)."""
    xtreme_name = _split_file(task_dir, split, _SIQA_XTREME)
    leaderboard = [f"{split}.jsonl", f"socialiqa-train-dev/{split}.jsonl"]
    path = first_file(task_dir, [xtreme_name, *leaderboard], f"SIQA {split} file")
    labels: Path | None = None
    if path.name != xtreme_name:
        labels = path.with_name(f"{split}-labels.lst")
        if not labels.is_file():
            raise DataError(labels, None, f"file not found; the labels of {path.name}")
    return _require_labels(path, read_siqa_jsonl(path, labels), split)


def _single_file_loader(
    task: str,
    files: dict[str, str],
    reader: Callable[[Path], list[MultipleChoiceExample]],
    folders: Sequence[str] = ("", "data/"),
) -> Callable[[Path, str, str], list[MultipleChoiceExample]]:
    """A loader for a release with one file per split, at the top or in one of ``folders``."""

    def load(task_dir: Path, split: str, language: str) -> list[MultipleChoiceExample]:
        name = _split_file(task_dir, split, files)
        path = first_file(task_dir, [f"{f}{name}" for f in folders], f"{task} {split} file")
        return _require_labels(path, reader(path), split)

    load.__doc__ = f"{task}: {', '.join(f'{s} = {n}' for s, n in files.items())}."
    return load


load_hellaswag = _single_file_loader(
    "hellaswag",
    {"train": "hellaswag_train.jsonl", "dev": "hellaswag_val.jsonl"},
    read_hellaswag_jsonl,
)
load_cosmosqa = _single_file_loader(
    "cosmosqa", {"train": "train.csv", "dev": "valid.csv"}, read_cosmosqa
)
load_commonsenseqa = _single_file_loader(
    "commonsenseqa",
    {"train": "train_rand_split.jsonl", "dev": "dev_rand_split.jsonl"},
    read_commonsenseqa_jsonl,
)


def _english_only(task_dir: Path, split: str) -> list[str]:
    return ["en"] if task_dir.is_dir() else []


def _intermediate(
    name: str,
    load: Callable[[Path, str, str], list[MultipleChoiceExample]],
    description: str,
    source: str,
    recipe: Recipe,
    citation: str = "",
    hub: HubSource | None = None,
) -> TaskSpec:
    return TaskSpec(
        name=name,
        family="multiple_choice",
        languages=("en",),
        load=load,
        languages_found=_english_only,
        metric="accuracy",
        test_split=None,
        description=description,
        recipe=recipe,
        source=source,
        citation=citation,
        hub=hub,
    )


SPECS = [
    TaskSpec(
        name="xcopa",
        family="multiple_choice",
        languages=XCOPA_LANGUAGES,
        load=load_xcopa,
        languages_found=xcopa_languages_found,
        metric="accuracy",
        labels=("0", "1"),  # the submission's choice indices (``xstilts score`` checks them)
        scorer="multiple_choice",
        prediction_suffix="jsonl",
        description=(
            "XCOPA: train on English COPA, test zero-shot in 11 languages; XTREME-R's recipe "
            "adds SIQA first (use intermediate task siqa)"
        ),
        recipe=_XTREME_R_MC,
        citation=(
            "Ponti et al. 2020. XCOPA: A Multilingual Dataset for Causal Commonsense "
            "Reasoning. EMNLP"
        ),
        source="SuperGLUE COPA (Roemmele et al. 2011) and cambridgeltl/xcopa (Ponti et al. 2020)",
    ),
    _intermediate(
        "siqa",
        load_siqa,
        "Social IQa, English social commonsense, 3 choices (XTREME-R's step before COPA)",
        "maartensap.github.io/social-iqa socialIQa_v1.4 (Sap et al. 2019); AI2 leaderboard copy",
        _XTREME_R_MC,
        citation="Sap et al. 2019. Social IQa: Commonsense Reasoning about Social Interactions. "
        "EMNLP",
    ),
    _intermediate(
        "hellaswag",
        load_hellaswag,
        "HellaSwag, English commonsense sentence completion, 4 endings",
        "rowanz/hellaswag data/ (Zellers et al. 2019)",
        jiant_intermediate(),
        citation="Zellers et al. 2019. HellaSwag: Can a Machine Really Finish Your Sentence? ACL",
    ),
    _intermediate(
        "cosmosqa",
        load_cosmosqa,
        "Cosmos QA, English commonsense reading comprehension, 4 answers",
        "wilburOne/cosmosqa data/ (Huang et al. 2019)",
        jiant_intermediate(),
        citation="Huang et al. 2019. Cosmos QA: Machine Reading Comprehension with Contextual "
        "Commonsense Reasoning. EMNLP",
    ),
    _intermediate(
        "commonsenseqa",
        load_commonsenseqa,
        "CommonsenseQA, English commonsense questions, 5 answers (rand split)",
        "tau-nlp.org/commonsenseqa v1.11 rand split (Talmor et al. 2019)",
        jiant_intermediate(),
        citation="Talmor et al. 2019. CommonsenseQA: A Question Answering Challenge Targeting "
        "Commonsense Knowledge. NAACL",
        hub=HubSource(
            task="commonsenseqa",
            languages=("en",),
            config="default",
            families=("default",),
            write=write_commonsenseqa,
            description="tau/commonsense_qa (train, validation) -> train_rand_split.jsonl, "
            "dev_rand_split.jsonl",
            repo=COMMONSENSEQA_REPO,
            splits=COMMONSENSEQA_HUB_SPLITS,
        ),
    ),
]
