"""The two contracts a family implements; the runner knows nothing else about families."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import PreTrainedTokenizerBase

from xstilts.config import EncoderConfig, RetrievalConfig
from xstilts.tasks.spec import TaskSpec

Tokenizer = PreTrainedTokenizerBase


@dataclass(frozen=True)
class Family:
    """A trainable family (classification, multiple choice, span QA, tagging).

    - ``featurize(examples, tokenizer, spec, max_length)`` -> training features (one example may
      give several, e.g. QA doc-stride windows or long tagging sentences split into windows);
    - ``feature_length(feature)`` -> tokens, for length-grouped batching;
    - ``collate(features, pad_id)`` -> a batch dict of tensors (plus non-tensor extras);
    - ``new_head(hidden_size, spec, encoder_config)`` -> a fresh head module;
    - ``loss(model, task, batch)`` -> scalar loss (``model`` is an ``EncoderWithHeads``);
    - ``predict(model, task, examples, tokenizer, spec, max_length, batch_size)`` -> one
      prediction per example, in order (labels, tag lists, answer strings, choice indices);
    - ``score(predictions, examples, spec, language)`` -> ``{official metric key: value x100}``;
    - ``format_predictions(examples, predictions)`` -> text of the per-example predictions file.
    """

    name: str
    featurize: Callable[[Sequence[Any], Tokenizer, TaskSpec, int], list[Any]]
    feature_length: Callable[[Any], int]
    collate: Callable[[Sequence[Any], int], dict[str, Any]]
    new_head: Callable[[int, TaskSpec, EncoderConfig], nn.Module]
    loss: Callable[[nn.Module, str, dict[str, Any]], torch.Tensor]
    predict: Callable[[nn.Module, str, Sequence[Any], Tokenizer, TaskSpec, int, int], list[Any]]
    score: Callable[[Sequence[Any], Sequence[Any], TaskSpec, str], dict[str, float]]
    format_predictions: Callable[[Sequence[Any], Sequence[Any]], str]


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
