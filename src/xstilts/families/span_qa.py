"""Extractive QA (SQuAD v1.1/v2.0, XQuAD, MLQA, TyDiQA-GoldP): start/end scores over tokens.

The recipe is the XTREME reference (``google-research/xtreme:third_party/run_squad.py`` with its
``processors/squad.py`` and transformers' ``squad_metrics.compute_predictions_logits``), re-done on
a fast tokenizer's offset mapping instead of whitespace tokens:

- **Doc stride.** A context longer than one window is cut into windows that all carry the full
  question. As in XTREME, ``doc_stride`` (128) is the *step between window starts*; the tokenizer's
  ``stride`` argument is the *overlap*, so we pass ``window - doc_stride``. (transformers' newer
  ``run_qa.py`` passes ``doc_stride`` as the overlap, a different and larger step.) When
  ``max_length`` is small the step shrinks to half a window so that windows still overlap.
  Questions are cut to 64 tokens (``max_query_length``), and to half the room when that is less.
- **Training labels.** The first gold answer's character span becomes token positions inside the
  window; a window that does not hold the whole answer, and every window of an unanswerable
  (v2.0) question, points at ``<s>`` (index 0).
- **Head and loss.** One linear layer maps each token state to a start and an end score
  (``XLMRobertaForQuestionAnswering``); the loss is the mean of the start and end
  cross-entropies. Padding positions are masked out of the softmax, so that a feature's loss does
  not depend on what it was batched with (we pad per batch, the reference pads everything to 384).
- **Answers.** Per window the 20 best start and 20 best end positions are paired; pairs outside
  the context, longer than 30 tokens, reversed, or starting at a token that another window sees
  with more context on both sides (``_check_is_max_context``) are dropped. The best-scoring pair
  over all windows wins. Its text is cut from the context by character offsets, so no
  ``get_final_text`` (which re-tokenises on whitespace and is wrong for zh, transformers#3510).
- **No answer (v2.0).** null score = ``start[0] + end[0]``, the smallest over the windows; predict
  "" when ``null - best span score > 0`` (``null_score_diff_threshold`` 0.0, the reference value).
- **Scores.** ``spec.protocol`` names the official script: ``squad_v1`` (XQuAD, TyDiQA-GoldP,
  SQuAD), ``mlqa`` (the MLQA normaliser of the context language) or ``squad_v2``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from xstilts.config import EncoderConfig
from xstilts.data.examples import SpanQAExample
from xstilts.data.featurize import evaluation_batches
from xstilts.errors import XstiltsError
from xstilts.evaluate.predict import model_device
from xstilts.evaluate.qa_metrics import mlqa_scores, squad_v1_scores, squad_v2_scores
from xstilts.families.base import Family, Tokenizer
from xstilts.families.span_qa_features import (
    MAX_ANSWER_LENGTH,
    N_BEST,
    NULL_SCORE_DIFF_THRESHOLD,
    SpanFeature,
    make_features,
    setting,
)
from xstilts.tasks.spec import TaskSpec

PROTOCOLS = ("squad_v1", "squad_v2", "mlqa")


def featurize(
    examples: Sequence[SpanQAExample], tokenizer: Tokenizer, spec: TaskSpec, max_length: int
) -> list[SpanFeature]:
    """Training windows with start/end targets."""
    return make_features(examples, tokenizer, spec, max_length, training=True)


def collate(features: Sequence[SpanFeature], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad to the longest window of the batch."""
    width = max(len(f.input_ids) for f in features)
    input_ids = torch.full((len(features), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(features), width), dtype=torch.long)
    for row, feature in enumerate(features):
        input_ids[row, : len(feature.input_ids)] = torch.from_numpy(
            feature.input_ids.astype(np.int64)
        )
        attention_mask[row, : len(feature.input_ids)] = 1
    return {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "start_positions": torch.tensor([f.start_position for f in features], dtype=torch.long),
        "end_positions": torch.tensor([f.end_position for f in features], dtype=torch.long),
    }


class SpanHead(nn.Module):
    """A start and an end score per token: one linear layer over the token states."""

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.out = nn.Linear(hidden_size, 2)

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.out(hidden)  # (batch, tokens, 2)


def new_head(hidden_size: int, spec: TaskSpec, encoder: EncoderConfig) -> nn.Module:
    return SpanHead(hidden_size)


def loss(model: nn.Module, task: str, batch: dict[str, Any]) -> torch.Tensor:
    """Mean of the start and end cross-entropies over the non-padding tokens."""
    logits = model(task, batch["input_ids"], batch["attention_mask"])
    padding = (batch["attention_mask"] == 0).unsqueeze(-1)
    logits = logits.masked_fill(padding, torch.finfo(logits.dtype).min)
    start_loss = nn.functional.cross_entropy(logits[..., 0], batch["start_positions"])
    end_loss = nn.functional.cross_entropy(logits[..., 1], batch["end_positions"])
    return (start_loss + end_loss) / 2


# ---------------------------------------------------------------------------------------------
# From scores to answer strings
# ---------------------------------------------------------------------------------------------


def _is_max_context(windows: Sequence[SpanFeature], current: int, position: int) -> bool:
    """Whether window ``current`` sees context token ``position`` with the most context around.

    ``_check_is_max_context`` of the reference: score = min(left, right) + 0.01 * window length;
    the first window wins a tie.
    """
    best_score, best_window = -1.0, -1
    for index, window in enumerate(windows):
        last = window.window_start + window.context_length - 1
        if not window.window_start <= position <= last:
            continue
        left, right = position - window.window_start, last - position
        score = min(left, right) + 0.01 * window.context_length
        if score > best_score:
            best_score, best_window = score, index
    return best_window == current


def extract_answer(
    context: str,
    windows: Sequence[SpanFeature],
    start_logits: Sequence[np.ndarray],
    end_logits: Sequence[np.ndarray],
    *,
    n_best: int = N_BEST,
    max_answer_length: int = MAX_ANSWER_LENGTH,
    allow_no_answer: bool = False,
    null_threshold: float = NULL_SCORE_DIFF_THRESHOLD,
) -> str:
    """The answer string of one question from the scores of all its windows ("" = no answer).

    ``windows`` are the question's features in window order, with ``offsets``; the logits cover
    each window's tokens. See the module docstring for the rules and their source.
    """
    candidates: list[tuple[float, int, int]] = []
    null_score = float("inf")
    for index, (window, starts, ends) in enumerate(
        zip(windows, start_logits, end_logits, strict=True)
    ):
        assert window.offsets is not None, "prediction features carry offsets"
        null_score = min(null_score, float(starts[0] + ends[0]))
        first, last = window.context_start, window.context_start + window.context_length - 1
        # ties keep position order, as the reference's stable sorted(..., reverse=True) does
        best_starts = np.argsort(-starts, kind="stable")[:n_best]
        best_ends = np.argsort(-ends, kind="stable")[:n_best]
        for start in best_starts.tolist():
            if not first <= start <= last:
                continue
            if not _is_max_context(windows, index, window.window_start + start - first):
                continue
            for end in best_ends.tolist():
                if not first <= end <= last or end < start or end - start + 1 > max_answer_length:
                    continue
                char_start = int(window.offsets[start - first][0])
                char_end = int(window.offsets[end - first][1])
                candidates.append((float(starts[start] + ends[end]), char_start, char_end))
    candidates.sort(key=lambda c: -c[0])
    best_text, best_score = "", None
    for score, char_start, char_end in candidates:
        text = context[char_start:char_end].strip()
        if text:
            best_text, best_score = text, score
            break
    if allow_no_answer and (best_score is None or null_score - best_score > null_threshold):
        return ""
    return best_text


@torch.inference_mode()
def predict(
    model: nn.Module,
    task: str,
    examples: Sequence[SpanQAExample],
    tokenizer: Tokenizer,
    spec: TaskSpec,
    max_length: int,
    batch_size: int,
) -> list[str]:
    """One answer string per example, in order ("" = no answer, only under ``squad_v2``)."""
    if not examples:
        return []
    model.eval()
    features = make_features(examples, tokenizer, spec, max_length, training=False)
    device = model_device(model)
    start_logits: list[np.ndarray] = [np.empty(0)] * len(features)
    end_logits: list[np.ndarray] = [np.empty(0)] * len(features)
    lengths = [len(f.input_ids) for f in features]
    for indices in evaluation_batches(lengths, batch_size):
        batch = collate([features[i] for i in indices], tokenizer.pad_token_id)
        logits = model(task, batch["input_ids"].to(device), batch["attention_mask"].to(device))
        logits = logits.float().cpu().numpy()
        for row, i in enumerate(indices):
            start_logits[i] = logits[row, : lengths[i], 0]
            end_logits[i] = logits[row, : lengths[i], 1]
    by_example: dict[int, list[int]] = defaultdict(list)
    for i, feature in enumerate(features):
        by_example[feature.example_index].append(i)
    settings: dict[str, Any] = {
        "n_best": int(setting(spec, "n_best", N_BEST)),
        "max_answer_length": int(setting(spec, "max_answer_length", MAX_ANSWER_LENGTH)),
        "allow_no_answer": _protocol(spec) == "squad_v2",
        "null_threshold": float(
            setting(spec, "null_score_diff_threshold", NULL_SCORE_DIFF_THRESHOLD)
        ),
    }
    answers = []
    for example_index, example in enumerate(examples):
        ids = by_example[example_index]
        answers.append(
            extract_answer(
                example.context,
                [features[i] for i in ids],
                [start_logits[i] for i in ids],
                [end_logits[i] for i in ids],
                **settings,
            )
        )
    return answers


def _protocol(spec: TaskSpec) -> str:
    protocol = spec.protocol or "squad_v1"
    if protocol not in PROTOCOLS:
        raise XstiltsError(
            f"task {spec.name!r}: unknown QA protocol {protocol!r}; expected one of {PROTOCOLS}"
        )
    return protocol


def score(
    predictions: Sequence[str],
    examples: Sequence[SpanQAExample],
    spec: TaskSpec,
    language: str,
) -> dict[str, float]:
    """Official EM/F1 (x100) of the script ``spec.protocol`` names.

    ``squad_v2`` keeps the official breakdown (``HasAns_f1`` ...) but reports its ``exact`` as
    ``exact_match``, the key of every other QA task, and drops the question counts (not scores).
    """
    if len(predictions) != len(examples):
        raise XstiltsError(f"{len(predictions)} predictions for {len(examples)} questions")
    predicted = {example.id: answer for example, answer in zip(examples, predictions, strict=True)}
    gold = {example.id: list(example.answer_texts) for example in examples}
    protocol = _protocol(spec)
    if protocol != "squad_v2" and not any(gold.values()):
        return {}  # XTREME's download blanks test answers: predicted for submission, not scored
    if protocol == "mlqa":
        return mlqa_scores(predicted, gold, language)
    if protocol == "squad_v1":
        return squad_v1_scores(predicted, gold)
    official = squad_v2_scores(predicted, gold)
    scores = {"exact_match": official["exact"], "f1": official["f1"]}
    for key, value in official.items():
        if key.startswith(("HasAns_", "NoAns_")) and not key.endswith("_total"):
            scores[key] = value
    return scores


def format_predictions(examples: Sequence[SpanQAExample], predictions: Sequence[str]) -> str:
    """``{question id: answer}`` as JSON, the XTREME QA submission format ("" = no answer)."""
    answers = {example.id: answer for example, answer in zip(examples, predictions, strict=True)}
    return json.dumps(answers, ensure_ascii=False, indent=1) + "\n"


FAMILY = Family("span_qa", featurize, collate, new_head, loss, predict, score, format_predictions)
