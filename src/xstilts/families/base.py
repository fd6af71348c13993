"""The two contracts a family implements; the runner knows nothing else about families."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn
from transformers import PreTrainedTokenizerBase

from xstilts.config import EncoderConfig, RetrievalConfig
from xstilts.errors import XstiltsError
from xstilts.evaluate.distributed import sharded
from xstilts.evaluate.predict import model_device
from xstilts.models.encoder import precision_autocast
from xstilts.tasks.spec import TaskSpec

Tokenizer = PreTrainedTokenizerBase
Key = TypeVar("Key", bound=Hashable)


def input_length(feature: Any) -> int:
    """Tokens of a feature with one ``input_ids`` row: what length-grouped batching sorts by."""
    return len(feature.input_ids)


@dataclass(frozen=True)
class Family:
    """A trainable family (classification, multiple choice, span QA, tagging, masked LM).

    - ``featurize(examples, tokenizer, spec, max_length)`` -> training features (one example may
      give several, e.g. QA doc-stride windows or long tagging sentences split into windows);
    - ``collate(features, pad_id)`` -> a batch dict of tensors (plus non-tensor extras);
    - ``new_head(hidden_size, spec, encoder_config)`` -> a fresh head module;
    - ``loss(model, task, batch)`` -> scalar loss (``model`` is an ``EncoderWithHeads``);
    - ``predict(model, task, examples, tokenizer, spec, max_length, batch_size)`` -> one
      prediction per example, in order (labels, tag lists, answer strings, choice indices);
    - ``score(predictions, examples, spec, language)`` -> ``{official metric key: value x100}``;
    - ``format_predictions(examples, predictions)`` -> text of the per-example predictions file;
    - ``feature_length(feature)`` -> tokens, for length-grouped batching (default: the length of
      ``input_ids``; multiple choice, with one row per choice, has its own).

    A family module ends with its record, the functions in this order:
    ``FAMILY = Family("tagging", featurize, collate, new_head, loss, predict, score,
    format_predictions)`` (each field has its own signature, so mypy checks the order).
    """

    name: str
    featurize: Callable[[Sequence[Any], Tokenizer, TaskSpec, int], list[Any]]
    collate: Callable[[Sequence[Any], int], dict[str, Any]]
    new_head: Callable[[int, TaskSpec, EncoderConfig], nn.Module]
    loss: Callable[[nn.Module, str, dict[str, Any]], torch.Tensor]
    predict: Callable[[nn.Module, str, Sequence[Any], Tokenizer, TaskSpec, int, int], list[Any]]
    score: Callable[[Sequence[Any], Sequence[Any], TaskSpec, str], dict[str, float]]
    format_predictions: Callable[[Sequence[Any], Sequence[Any]], str]
    feature_length: Callable[[Any], int] = input_length


def all_or_none(has_gold: list[bool], spec: TaskSpec, language: str, missing: str) -> bool:
    """Whether a set is scored: True when every example has gold, False when none has (XTREME's
    download strips test gold: such a split is predicted for submission, not scored); a set with
    gold on some examples only is an error (``missing`` says what they lack)."""
    if not any(has_gold):
        return False
    if not all(has_gold):
        raise XstiltsError(
            f"task {spec.name} ({language}): {has_gold.count(False)} of {len(has_gold)} {missing}"
        )
    return True


@dataclass(frozen=True)
class RetrievalFamily:
    """A family scored straight from the encoder (Tatoeba, BUCC, LAReQA, Mewsli-X).

    ``evaluate(encoder, tokenizer, sets, spec, settings, language, work_dir)`` gets every split
    of one language (``{split: examples}``: BUCC tunes its threshold on ``dev`` and applies it to
    ``test``) and returns ``{(split, metric): value x100}``; ``work_dir`` receives prediction files
    (mined pairs, rankings) in the submission format.
    """

    name: str
    evaluate: Callable[
        [nn.Module, Tokenizer, dict[str, Sequence[Any]], TaskSpec, RetrievalConfig, str, Path],
        dict[tuple[str, str], float],
    ]


def predict_sets(
    family: Family,
    model: nn.Module,
    spec: TaskSpec,
    sets: Mapping[Key, Sequence[Any]],
    tokenizer: Tokenizer,
    max_length: int,
    batch_size: int = 64,
    precision: str = "fp32",
) -> dict[Key, list[Any]]:
    """Predictions for every evaluation set (every language and split) in one ``predict`` call,
    under the study's ``precision`` (bf16 autocast, as in training).

    Why one call: ``predict`` sorts its examples by length into batches, so one stream pooled over
    all languages leaves fewer part-full batches and less padding than a call per language, and
    pays the per-call set-up (tokenization, model switch to eval) once. The predictions are
    split back per set, each in its examples' order.

    Under torchrun/accelerate each process predicts a ``1/w`` share and all get every
    prediction (:func:`xstilts.evaluate.distributed.sharded`): evaluation is ``w`` times faster
    instead of repeated ``w`` times.
    """
    keys = list(sets)
    pooled = [example for key in keys for example in sets[key]]

    def predict(examples: Sequence[Any]) -> list[Any]:
        with precision_autocast(precision, model_device(model).type):
            return family.predict(
                model, spec.name, examples, tokenizer, spec, max_length, batch_size
            )

    predicted = sharded(pooled, predict)
    out: dict[Key, list[Any]] = {}
    offset = 0
    for key in keys:
        out[key] = predicted[offset : offset + len(sets[key])]
        offset += len(sets[key])
    return out


def predict_sets_timed(
    family: Family,
    model: nn.Module,
    spec: TaskSpec,
    sets: Mapping[Key, Sequence[Any]],
    *options: Any,
) -> tuple[dict[Key, list[Any]], dict[Key, float]]:
    """Predictions for every set as :func:`predict_sets` gives them (``options``: its
    ``tokenizer, max_length, batch_size, precision``, passed on), and each set's wall seconds.

    Why not one pooled call here: a row's ``eval_seconds`` must be what *its* language cost, and
    translations of the same sentences differ in how many sub-word tokens they take (script,
    morphology, vocabulary coverage), so sharing a pooled pass out by example counts would
    report an estimate as a measurement. Each set is predicted in its own call and timed; the
    predictions come back to the host as Python values, which waits for the GPU. The price is
    at most one part-full batch per language.
    """
    predictions: dict[Key, list[Any]] = {}
    seconds: dict[Key, float] = {}
    for key, examples in sets.items():
        clock = time.perf_counter()
        predictions[key] = predict_sets(family, model, spec, {key: examples}, *options)[key]
        seconds[key] = time.perf_counter() - clock
    return predictions, seconds
