"""ANLI+: the X-STILTs intermediate task (Phang et al. 2020: ANLI combined with MNLI and SNLI).

Training set = ANLI v1.0 R1, R2, R3 train + MNLI train + SNLI train, concatenated (~163k + 393k
+ 550k); dev = the three ANLI dev rounds concatenated (3,200), since ANLI is what ANLI+ adds.
Files (the task folder is ``{data_dir}/anli``; the first file found wins)::

    anli/R1/{train,dev}.jsonl  R2/...  R3/...         (or under anli/anli_v1.0/)
    anli/MNLI/train.tsv                               (GLUE MNLI; or the NYU release
                                                        multinli_1.0/multinli_1.0_train.jsonl)
    anli/snli_1.0/snli_1.0_train.jsonl                (SNLI 1.0 release)

``-`` (no annotator majority) SNLI/MNLI rows are dropped by the readers, as jiant does. FEVER-NLI,
which the ANLI paper also adds to its "ALL" training mix, is not part of ANLI+ here.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.classification_format import (
    NLI_LABELS,
    read_anli_jsonl,
    read_mnli_tsv,
    read_snli_jsonl,
)
from xstilts.data.examples import ClassificationExample
from xstilts.data.hub.nli import ANLI_HUB
from xstilts.errors import DataError
from xstilts.tasks.layout import check_split, english_if_present, first_file
from xstilts.tasks.recipe import jiant_intermediate
from xstilts.tasks.spec import TaskSpec

ANLI_ROUNDS = ("R1", "R2", "R3")


def _anli_round(task_dir: Path, round_name: str, split: str) -> Path:
    candidates = [f"{round_name}/{split}.jsonl", f"anli_v1.0/{round_name}/{split}.jsonl"]
    return first_file(task_dir, candidates, f"ANLI {round_name} {split} file")


def load_anli_plus(task_dir: Path, split: str, language: str) -> list[ClassificationExample]:
    """ANLI+: train = ANLI R1-R3 + MNLI + SNLI train; dev = ANLI R1-R3 dev (see module doc)."""
    check_split(task_dir, split, ("train", "dev"))
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


SPEC = TaskSpec(
    name="anli",
    family="classification",
    languages=("en",),
    load=load_anli_plus,
    languages_found=english_if_present,
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
    hub=ANLI_HUB,
)
