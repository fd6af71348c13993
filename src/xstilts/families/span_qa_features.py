"""Span QA featurisation: questions and contexts into doc-stride windows with answer targets.

The windowing follows ``transformers`` ``examples/pytorch/question-answering/run_qa.py``
(``prepare_train_features``/``prepare_validation_features``) and XTREME's ``run_squad.py``
settings; :mod:`xstilts.families.span_qa` trains on the windows and searches answers over them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from xstilts.data.examples import SpanQAExample
from xstilts.errors import XstiltsError
from xstilts.families.base import Tokenizer
from xstilts.tasks.spec import TaskSpec

# Reference values (xtreme scripts/train_qa.sh and run_squad.py defaults); a spec may override
# each one through ``defaults`` under the same name.
DOC_STRIDE = 128
MAX_QUERY_LENGTH = 64
N_BEST = 20
MAX_ANSWER_LENGTH = 30
NULL_SCORE_DIFF_THRESHOLD = 0.0


@dataclass(frozen=True, eq=False)
class SpanFeature:
    """One window of one question: ``<s> question </s></s> context piece </s>``.

    ``context_start`` is where the context piece begins in ``input_ids``; ``window_start`` is the
    index of its first token among all tokens of the whole context (what the max-context rule
    compares across windows). ``offsets`` (prediction only) holds the character span in the
    context of each of the ``context_length`` context tokens.
    """

    input_ids: np.ndarray
    example_index: int
    context_start: int
    context_length: int
    window_start: int
    start_position: int = 0
    end_position: int = 0
    offsets: np.ndarray | None = None


def setting(spec: TaskSpec, name: str, default: Any) -> Any:
    return spec.defaults.get(name, default)


def _check_tokenizer(tokenizer: Tokenizer) -> None:
    if not getattr(tokenizer, "is_fast", False):
        raise XstiltsError(
            f"span_qa needs a fast tokenizer (offset mapping); {type(tokenizer).__name__} is not"
        )


def window_step(room: int, doc_stride: int) -> int:
    """Tokens between window starts: ``doc_stride``, or half the context room if that is less."""
    return max(1, min(doc_stride, room // 2))


def _truncated_questions(
    examples: Sequence[SpanQAExample], tokenizer: Tokenizer, max_query_tokens: int
) -> tuple[list[str], list[int]]:
    """Questions cut to ``max_query_tokens`` tokens (at a token's end offset) and their lengths."""
    questions = [example.question.lstrip() for example in examples]
    encoded = tokenizer(questions, add_special_tokens=False, return_offsets_mapping=True)
    cut = []
    for i, ids in enumerate(encoded["input_ids"]):
        if len(ids) > max_query_tokens:
            end = encoded["offset_mapping"][i][max_query_tokens - 1][1]
            questions[i] = questions[i][:end]
            cut.append(i)
    lengths = [len(ids) for ids in encoded["input_ids"]]
    if cut:  # count again: a cut may re-tokenise differently at its edge
        recount = tokenizer([questions[i] for i in cut], add_special_tokens=False)["input_ids"]
        for i, ids in zip(cut, recount, strict=True):
            lengths[i] = len(ids)
    return questions, lengths


def _answer_positions(
    offsets: Sequence[tuple[int, int]], start_char: int, end_char: int
) -> tuple[int, int] | None:
    """Context-token span of the characters ``[start_char, end_char)``, None if outside."""
    if not offsets or offsets[0][0] > start_char or offsets[-1][1] < end_char:
        return None
    start = 0  # the last token starting at or before the answer (XLM-R's lone "▁" comes first)
    while start + 1 < len(offsets) and offsets[start + 1][0] <= start_char:
        start += 1
    if offsets[start][1] <= start_char and start + 1 < len(offsets):
        start += 1  # the answer starts in the gap after that token
    end = start
    while end + 1 < len(offsets) and offsets[end][1] < end_char:
        end += 1
    return start, end


def make_features(
    examples: Sequence[SpanQAExample],
    tokenizer: Tokenizer,
    spec: TaskSpec,
    max_length: int,
    training: bool,
) -> list[SpanFeature]:
    """Doc-stride windows of every example, in example order (see the module docstring)."""
    _check_tokenizer(tokenizer)
    special = tokenizer.num_special_tokens_to_add(pair=True)
    if max_length - special < 2:
        raise XstiltsError(f"max_length {max_length} leaves no room for a question and a context")
    doc_stride = int(setting(spec, "doc_stride", DOC_STRIDE))
    max_query = min(
        int(setting(spec, "max_query_length", MAX_QUERY_LENGTH)), (max_length - special) // 2
    )
    questions, question_lengths = _truncated_questions(examples, tokenizer, max_query)
    # One tokenizer call per question length: the overlap that gives a step of doc_stride
    # depends on how much room the question leaves.
    by_length: dict[int, list[int]] = defaultdict(list)
    for index, length in enumerate(question_lengths):
        by_length[length].append(index)
    features: list[SpanFeature] = []
    for question_length, indices in sorted(by_length.items()):
        room = max_length - special - question_length
        overlap = room - window_step(room, doc_stride)
        features.extend(
            _windows(examples, indices, questions, tokenizer, max_length, overlap, training)
        )
    features.sort(key=lambda f: (f.example_index, f.window_start))
    return features


def _windows(
    examples: Sequence[SpanQAExample],
    indices: Sequence[int],
    questions: Sequence[str],
    tokenizer: Tokenizer,
    max_length: int,
    overlap: int,
    training: bool,
) -> list[SpanFeature]:
    """The windows of the examples at ``indices`` (questions of one length: one overlap)."""
    encoded = tokenizer(
        [questions[i] for i in indices],
        [examples[i].context for i in indices],
        truncation="only_second",
        max_length=max_length,
        stride=overlap,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    all_ids, all_offsets = encoded["input_ids"], encoded["offset_mapping"]
    next_start: dict[int, int] = {}
    features: list[SpanFeature] = []
    for row, sample in enumerate(encoded["overflow_to_sample_mapping"]):
        example_index = indices[sample]
        sequence_ids = encoded.sequence_ids(row)
        context = [k for k, s in enumerate(sequence_ids) if s == 1]
        context_start = context[0] if context else len(sequence_ids) - 1
        row_offsets = all_offsets[row]
        offsets = [tuple(row_offsets[k]) for k in context]
        window_start = next_start.get(example_index, 0)
        next_start[example_index] = window_start + len(context) - overlap
        start_position = end_position = 0
        if training:
            start_position, end_position = _training_target(
                examples[example_index], offsets, context_start
            )
        features.append(
            SpanFeature(
                input_ids=np.asarray(all_ids[row], dtype=np.int32),
                example_index=example_index,
                context_start=context_start,
                context_length=len(context),
                window_start=window_start,
                start_position=start_position,
                end_position=end_position,
                offsets=None if training else np.asarray(offsets, dtype=np.int64).reshape(-1, 2),
            )
        )
    return features


def _training_target(
    example: SpanQAExample, offsets: Sequence[tuple[int, int]], context_start: int
) -> tuple[int, int]:
    """Token positions of the first gold answer in this window; (0, 0) = <s> = not here."""
    if example.is_impossible:
        return 0, 0
    if not example.answer_texts:
        raise XstiltsError(
            f"question {example.id!r} has no gold answer to train on (a test file with hidden "
            "labels cannot be a training set)"
        )
    start_char = example.answer_starts[0]
    span = _answer_positions(offsets, start_char, start_char + len(example.answer_texts[0]))
    if span is None:
        return 0, 0
    return context_start + span[0], context_start + span[1]
