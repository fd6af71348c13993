"""Control intermediates: what separates "the task helps" from "more fine-tuning helps".

An intermediate task can raise zero-shot scores because of what it teaches, or merely because
the encoder got more updates on English text. Two controls, written as variants of the task in
the grid (``intermediate_tasks: [none, mnli, mnli@shuffled, mnli@mlm-control]``), keep
everything but the task signal:

- ``task@shuffled``: the same examples, steps and hyper-parameters, with the labels permuted
  across the training set by a fixed seed (:data:`SHUFFLE_SEED`): the label distribution stays,
  the input–label relation goes (classification and multiple choice, whose labels can be moved
  between examples; the English dev set keeps its true labels, so selection still measures the
  task). The "random labels" control of Zhang et al. (2017, ICLR "Understanding deep learning
  requires rethinking generalization"); Pruksachatkun et al. (2020, ACL, "Intermediate-task
  transfer learning with pretrained models") use probing of such effects.
- ``task@mlm-control``: masked-LM (BERT's 15% 80/10/10 corruption) on the task's own English
  inputs — one line per training example (the text fields joined), so one feature per example
  and the same number of steps as the task for single-window families — with the task's own
  training settings; selection uses masked-token accuracy on its English dev inputs. Phang et al.
  (2020) compare against continued MLM; this holds the text *and* the step count fixed.

The analysis reports every intermediate's gain over ``none`` *and* over these controls.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from typing import Any

from xstilts.data.examples import TextExample
from xstilts.errors import XstiltsError
from xstilts.tasks.spec import TaskSpec

SHUFFLED = "shuffled"
MLM_CONTROL = "mlm-control"
CONTROL_VARIANTS = (SHUFFLED, MLM_CONTROL)
SHUFFLE_SEED = 20_200_513
"""Fixed: every seed of a study trains on the same permutation (the control is a task)."""

SHUFFLABLE_FAMILIES = ("classification", "multiple_choice")
TEXT_FAMILIES = ("classification", "multiple_choice", "span_qa", "tagging")


def control_spec(spec: TaskSpec, variant: str) -> TaskSpec:
    """The spec a control variant trains with (one-line error for a family it cannot control)."""
    if variant == SHUFFLED:
        if spec.family not in SHUFFLABLE_FAMILIES:
            raise XstiltsError(
                f"{spec.name}@{SHUFFLED}: labels of a {spec.family} task cannot be shuffled "
                f"between examples; expected a task of family {' or '.join(SHUFFLABLE_FAMILIES)}"
            )
        return spec
    if variant == MLM_CONTROL:
        if spec.family not in TEXT_FAMILIES:
            raise XstiltsError(f"{spec.name}@{MLM_CONTROL}: a {spec.family} task has no inputs")
        return dataclasses.replace(
            spec, name=f"{spec.name}@{MLM_CONTROL}", family="masked_lm", metric="accuracy",
            labels=(), description=f"masked-LM on {spec.name}'s English inputs (control)",
        )  # fmt: skip
    raise XstiltsError(f"unknown control variant {variant!r}; expected {CONTROL_VARIANTS}")


def shuffled_labels(examples: Sequence[Any], seed: int = SHUFFLE_SEED) -> list[Any]:
    """The examples with their ``label`` fields permuted among them (a fixed permutation)."""
    labels = [example.label for example in examples]
    random.Random(seed).shuffle(labels)
    return [dataclasses.replace(e, label=label) for e, label in zip(examples, labels, strict=True)]


def example_text(example: Any) -> str:
    """The English input text of one example, as one line for masked-LM."""
    if hasattr(example, "tokens"):  # tagging
        return " ".join(example.tokens)
    if hasattr(example, "choices"):  # multiple choice
        return " ".join([example.context, example.question, *example.choices]).strip()
    if hasattr(example, "answer_texts"):  # span QA
        return f"{example.question} {example.context}"
    return example.text_a if example.text_b is None else f"{example.text_a} {example.text_b}"


def as_text(examples: Sequence[Any]) -> list[TextExample]:
    """Masked-LM lines from task examples (ids kept, so a line traces back to its example)."""
    return [TextExample(str(e.id), "en", example_text(e)) for e in examples]


def apply_control(
    variant: str | None, train: list[Any], dev: list[Any]
) -> tuple[list[Any], list[Any]]:
    """The training and dev examples a control variant uses (unchanged for other variants)."""
    if variant == SHUFFLED:
        return shuffled_labels(train), dev
    if variant == MLM_CONTROL:
        return as_text(train), as_text(dev)
    return train, dev
