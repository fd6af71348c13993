"""A task's reference recipe: the hyper-parameters its reference scripts use, each with its source.

The numbers come from the scripts that produced the published figures, read, not run:

- XTREME (Hu et al. 2020), ``google-research/xtreme``: ``scripts/train_xnli.sh``,
  ``train_pawsx.sh``, ``train_udpos.sh``, ``train_panx.sh``, ``train_qa.sh``, ``train_xcopa.sh``,
  ``run_tatoeba.sh``, ``run_bucc2018.sh``; the optimiser defaults of ``third_party/run_classify.py``
  and ``run_tag.py`` (warm-up 0 steps, weight decay 0). For the targets we take the XLM-R Large
  branch of each script (the X-STILTs encoder): batch = per-GPU batch × gradient accumulation.
- jiant (Phang et al. 2020 ran X-STILTs with it), ``nyu-mll/jiant``:
  ``jiant/proj/simple/runscript.py`` defaults (lr 1e-5, 3 epochs, max_seq_length 256) for the
  intermediate tasks, and ``guides/projects/xstilts.md`` (``--train_batch_size 4`` for XLM-R Large).

A recipe is the *lowest* layer of a run's settings: a key the study sets explicitly, or a
per-task override, wins (``experiments/settings.py``); ``xstilts plan`` prints each value's origin.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from typing import Generic, TypeVar

T = TypeVar("T")

XTREME = "google-research/xtreme"
JIANT = "nyu-mll/jiant"


class Selection(enum.StrEnum):
    """How the parameters a stored score comes from were chosen: a closed set, stored per row.

    - ``en_dev``: the best checkpoint on the English dev set (true zero-shot; XTREME's rule for
      classification and tagging, ``run_classify.py --save_only_best_checkpoint``).
    - ``last``: the last checkpoint (XTREME's QA rule, ``train_qa.sh --save_steps -1``; also any
      task without an English dev set).
    - ``oracle``: per language, the checkpoint (or retrieval layer) that is best on that
      language's own data (Keung et al. 2020). An upper bound, never a headline figure.
    - ``ckpt_avg``: the mean of the parameters over the evaluation points (Schmidt et al. 2023).
    - ``no_selection``: retrieval scored straight from the encoder at the recipe's layer.
    - ``layer_sweep``: retrieval at one fixed layer of a per-layer sweep (the row's ``layer``).
    """

    EN_DEV = "en_dev"
    LAST = "last"
    ORACLE = "oracle"
    CKPT_AVG = "ckpt_avg"
    NO_SELECTION = "no_selection"
    LAYER_SWEEP = "layer_sweep"


# Selections that involve no choice on any data: used as they are where a task offers no other.
NO_CHOICE = (Selection.NO_SELECTION, Selection.LAST)
# What a study may ask a trained phase to keep (the other values are derived scores).
TRAINED_SELECTIONS = (Selection.EN_DEV, Selection.LAST)


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One reference value and where it was read (script path, or paper and section)."""

    value: T
    source: str


# A retrieval layer rule: "xtreme" = XTREME's --specific_layer for the encoder's depth
# (see xtreme_layer); "last" = the encoder's last layer.
LAYER_RULES = ("xtreme", "last")


def xtreme_layer(depth: int) -> int:
    """The ``hidden_states`` index XTREME's retrieval scripts embed with, for ``depth`` layers.

    ``third_party/evaluate_retrieval.py`` keeps the last ``--num_layers`` hidden states (dropping
    the embeddings) and indexes them with ``--specific_layer``: mBERT (12 layers) uses 7, i.e.
    ``hidden_states[8]``; XLM-R Large (``NLAYER=24 LAYER=13`` in ``run_tatoeba.sh``) uses 13, i.e.
    ``hidden_states[14]``. Both are ``depth // 2 + 2``; other depths follow the same rule (an
    extrapolation the scripts do not state), capped at the last layer.
    """
    if depth < 1:
        raise ValueError(f"encoder depth must be >= 1, got {depth}")
    return min(depth, depth // 2 + 2)


@dataclass(frozen=True)
class Recipe:
    """The reference settings of one task; ``None`` = the reference does not fix it.

    Field names are the study's own keys (``TrainConfig``/``RetrievalConfig``), so a recipe value
    and a study value for the same key are directly comparable. ``layer_rule`` is one of
    :data:`LAYER_RULES` and becomes ``retrieval.layer`` once the encoder's depth is known.
    """

    learning_rate: Setting[float] | None = None
    epochs: Setting[float] | None = None
    batch_size: Setting[int] | None = None
    max_length: Setting[int] | None = None
    doc_stride: Setting[int] | None = None
    warmup_steps: Setting[int] | None = None
    weight_decay: Setting[float] | None = None
    selection: Setting[str] | None = None
    layer_rule: Setting[str] | None = None
    citation: str = ""  # the paper the recipe reproduces

    def __post_init__(self) -> None:
        if self.selection is not None and self.selection.value not in TRAINED_SELECTIONS:
            raise ValueError(f"recipe selection {self.selection.value!r} is not en_dev or last")
        if self.layer_rule is not None and self.layer_rule.value not in LAYER_RULES:
            raise ValueError(f"recipe layer rule {self.layer_rule.value!r} not in {LAYER_RULES}")

    def settings(self) -> dict[str, Setting]:  # type: ignore[type-arg]
        """The fixed values by study key (``layer_rule`` appears as ``layer``)."""
        out: dict[str, Setting] = {}  # type: ignore[type-arg]
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Setting):
                out["layer" if item.name == "layer_rule" else item.name] = value
        return out


def _xtreme_fine_tuned(
    script: str,
    runner: str,
    learning_rate: Setting[float],
    epochs: Setting[float],
    max_length: Setting[int],
) -> Recipe:
    """What XTREME's fine-tuning scripts share: batch 2 x 16, the runner's optimiser defaults
    (warm-up 0 steps, weight decay 0), and the best checkpoint on English dev."""
    where = f"{XTREME} scripts/{script}"
    defaults = f"{XTREME} third_party/{runner} defaults"
    return Recipe(
        learning_rate=learning_rate,
        epochs=epochs,
        batch_size=Setting(32, f"{where} BATCH_SIZE=2 x GRAD_ACC=16"),
        max_length=max_length,
        warmup_steps=Setting(0, defaults),
        weight_decay=Setting(0.0, defaults),
        selection=Setting("en_dev", f"{where} --save_only_best_checkpoint (English dev)"),
        citation="Hu et al. 2020, XTREME (arXiv 2003.11080)",
    )


def xtreme_classification(script: str, learning_rate: float) -> Recipe:
    """``run_classify.py`` tasks (XNLI, PAWS-X, XCOPA), XLM-R Large branch of ``script``."""
    where = f"{XTREME} scripts/{script}"
    return _xtreme_fine_tuned(
        script,
        "run_classify.py",
        learning_rate=Setting(learning_rate, f"{where} (xlm-roberta-large)"),
        epochs=Setting(5.0, f"{where} EPOCH=5"),
        max_length=Setting(128, f"{where} MAXL=128"),
    )


def xtreme_tagging(script: str) -> Recipe:
    """``run_tag.py`` tasks (UD-POS, PAN-X): same settings for every model in ``script``."""
    where = f"{XTREME} scripts/{script}"
    return _xtreme_fine_tuned(
        script,
        "run_tag.py",
        learning_rate=Setting(2e-5, f"{where} LR=2e-5"),
        epochs=Setting(10.0, f"{where} NUM_EPOCHS=10"),
        max_length=Setting(128, f"{where} MAX_LENGTH=128"),
    )


def xtreme_qa() -> Recipe:
    """``scripts/train_qa.sh`` (SQuAD v1.1 → XQuAD/MLQA; TyDiQA-GoldP English train)."""
    where = f"{XTREME} scripts/train_qa.sh"
    return Recipe(
        learning_rate=Setting(3e-5, f"{where} LR=3e-5"),
        epochs=Setting(3.0, f"{where} NUM_EPOCHS=3.0"),
        batch_size=Setting(32, f"{where} BATCH_SIZE=4 x GRAD_ACC=8"),
        max_length=Setting(384, f"{where} MAXL=384"),
        doc_stride=Setting(128, f"{where} --doc_stride 128"),
        warmup_steps=Setting(500, f"{where} --warmup_steps 500"),
        weight_decay=Setting(1e-4, f"{where} --weight_decay 0.0001"),
        selection=Setting("last", f"{where} --save_steps -1 (the last checkpoint is scored)"),
        citation="Hu et al. 2020, XTREME (arXiv 2003.11080)",
    )


def xtreme_retrieval(script: str) -> Recipe:
    """Tatoeba and BUCC: no training; embed at XTREME's layer with ``MAXL=512``."""
    where = f"{XTREME} scripts/{script}"
    return Recipe(
        max_length=Setting(512, f"{where} MAXL=512"),
        layer_rule=Setting("xtreme", f"{where} --specific_layer (7 of 12, 13 of 24)"),
        citation="Hu et al. 2020, XTREME (arXiv 2003.11080)",
    )


def jiant_intermediate(max_length: int = 256, doc_stride: int | None = None) -> Recipe:
    """An X-STILTs intermediate task as jiant's simple runscript trains it (Phang et al. 2020)."""
    where = f"{JIANT} jiant/proj/simple/runscript.py defaults"
    return Recipe(
        learning_rate=Setting(1e-5, f"{where} (learning_rate=1e-5)"),
        epochs=Setting(3.0, f"{where} (num_train_epochs=3)"),
        batch_size=Setting(4, f"{JIANT} guides/projects/xstilts.md --train_batch_size 4"),
        max_length=Setting(
            max_length,
            f"{where} (max_seq_length=256)"
            if max_length == 256
            else f"{JIANT} scripts/benchmarks/xtreme c_tokenize_and_cache.sh (QA: 384)",
        ),
        doc_stride=(
            Setting(doc_stride, f"{XTREME} scripts/train_qa.sh --doc_stride 128")
            if doc_stride is not None
            else None
        ),
        selection=Setting("en_dev", f"{where} (do_save_best: best validation checkpoint)"),
        citation="Phang et al. 2020, X-STILTs (arXiv 2005.13013)",
    )
