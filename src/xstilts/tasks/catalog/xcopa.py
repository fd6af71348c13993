"""XCOPA: train on English COPA, test zero-shot in 11 languages (a target).

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

Files (first found wins): the XTREME download (``scripts/download_data.sh`` at 838c13b:
``{train,val,test}-en.jsonl`` renamed from COPA, ``{val,test}-{lang}.jsonl`` flat, test labels
overwritten with 0 and therefore read as hidden; earlier versions wrote ``{name}.{lang}.jsonl``)
or the releases unpacked side by side (SuperGLUE ``COPA/{train,val,test}.jsonl``,
``cambridgeltl/xcopa`` ``data/{lang}/{val,test}.{lang}.jsonl``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from xstilts.data.examples import MultipleChoiceExample
from xstilts.data.hub.multiple_choice import XCOPA_HUB
from xstilts.data.multiple_choice_format import read_copa_jsonl
from xstilts.errors import DataError
from xstilts.tasks.benchmarks import TASK_LANGUAGES, XTREME_R
from xstilts.tasks.choice_files import require_labels
from xstilts.tasks.layout import any_file, first_file, split_file
from xstilts.tasks.recipe import xtreme_classification
from xstilts.tasks.spec import TaskSpec

# xtreme:evaluate.py (XTREME-R) language list for xcopa, in its order.
XCOPA_LANGUAGES = TASK_LANGUAGES[XTREME_R]["xcopa"]

_COPA_FILE = {"train": "train", "dev": "val", "test": "test"}


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
    name = split_file(task_dir, split, _COPA_FILE)
    what = f"{'COPA' if language == 'en' else 'XCOPA'} {split} file for {language!r}"
    path = first_file(task_dir, xcopa_candidates(name, language), what)
    examples = read_copa_jsonl(path)
    if name == "test" and path.name == f"test-{language}.jsonl":
        # XTREME's xcopa_preprocess overwrites every test label with 0 ("a label is still
        # required by the dataset format"): those are not gold labels.
        examples = [dataclasses.replace(example, label=None) for example in examples]
    return require_labels(path, examples, split)


def xcopa_languages_found(task_dir: Path, split: str) -> list[str]:
    if split not in _COPA_FILE:
        return []
    languages = ["en"] if split == "train" else ["en", *XCOPA_LANGUAGES]
    return [
        language
        for language in languages
        if any_file(task_dir, xcopa_candidates(_COPA_FILE[split], language))
    ]


SPEC = TaskSpec(
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
    # xtreme:scripts/train_xcopa.sh, XLM-R Large: lr 3e-5, batch 2 x 16 grad-acc, 5 epochs,
    # length 128 (the same settings for the SIQA phase and the COPA phase).
    recipe=xtreme_classification("train_xcopa.sh", 3e-5),
    citation=(
        "Ponti et al. 2020. XCOPA: A Multilingual Dataset for Causal Commonsense Reasoning. EMNLP"
    ),
    source="SuperGLUE COPA (Roemmele et al. 2011) and cambridgeltl/xcopa (Ponti et al. 2020)",
    hub=XCOPA_HUB,
)
