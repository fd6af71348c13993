"""Token tagging: UD-POS, WikiANN/PAN-X NER (XTREME targets) and CCG supertagging (intermediate).

What the reference code does, and what we do:

* **Label on the first sub-word.** Each word is tokenized on its own (``is_split_into_words``;
  XLM-R prefixes every word with ``▁`` exactly as XTREME's per-word ``tokenizer.tokenize(word)``
  does); the word's tag sits on its first sub-word and every other position gets ``-100``, which
  the loss ignores (``google-research/xtreme`` ``third_party/utils_tag.py``
  ``convert_examples_to_features``). A word that tokenizes to nothing (a lone zero-width
  character) becomes the unknown token, as there, so that every word gets a prediction.
* **Long sentences are split, never truncated.** XTREME splits a sentence whose sub-words do not
  fit ``max_length`` into consecutive windows of whole words at preprocessing time and re-joins
  the predictions with an index file (``utils_preprocess.py`` ``udpos_tokenize_preprocess`` /
  ``panx_tokenize_preprocess``); jiant truncates (``jiant/tasks/lib/ccg.py``), which drops the
  tail's tags and would make the prediction file shorter than the gold file. We split the same
  greedy way (a word goes to the next window when it would overflow the current one), for
  training and prediction alike, and :func:`predict` writes each window's tags back into its
  sentence. A single word longer than a whole window keeps only its first sub-words (XTREME
  replaces it by ``<unk>``); its tag still sits on its first sub-word, so no word is lost.
* **Head:** dropout + linear over every token state (``XLMRobertaForTokenClassification``, which
  XTREME's ``run_tag.py`` fine-tunes). **Loss:** token cross-entropy over the labelled positions.
* **Score:** :func:`xstilts.evaluate.metrics.tagging_f1` — seqeval 1.2.2 default-mode chunk F1
  (headline ``f1`` for UD-POS and PAN-X, as ``xtreme/evaluate.py``) plus ``token_accuracy``
  (headline for CCG, as jiant's ``CCGEvaluationScheme``). Test files in XTREME's download carry
  no tags: :func:`score` then returns no metric (the predictions file is still written, in the
  submission format, for the official scorer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from xstilts.config import EncoderConfig
from xstilts.data.examples import TaggingExample
from xstilts.data.featurize import evaluation_batches
from xstilts.errors import XstiltsError
from xstilts.evaluate.metrics import tagging_f1
from xstilts.evaluate.predict import model_device
from xstilts.families.base import Family, Tokenizer, all_or_none
from xstilts.tasks.spec import TaskSpec

IGNORE_INDEX = -100  # positions without a tag: special tokens, non-first sub-words, padding

_TOKENIZE_CHUNK = 1024  # sentences per tokenizer call (bounds memory on 20k-sentence sets)


@dataclass(frozen=True)
class TaggingFeature:
    """One window of whole words of one sentence, ready for the encoder.

    ``word_starts[k]`` is the position in ``input_ids`` of the first sub-word of word
    ``first_word + k`` of sentence ``example_index``; prediction reads the logits there.
    """

    input_ids: tuple[int, ...]
    label_ids: tuple[int, ...]  # a tag index on each word's first sub-word, IGNORE_INDEX elsewhere
    example_index: int
    first_word: int
    word_starts: tuple[int, ...]


class TokenTaggingHead(nn.Module):
    """Dropout then a linear map from every token state to tag logits (B, T, labels)."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_size, num_labels)

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(hidden))


# --------------------------------------------------------------------------------------------
# Tokenization: sub-words per word, special tokens, windows
# --------------------------------------------------------------------------------------------


def special_tokens(tokenizer: Tokenizer) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The ids the tokenizer puts before and after a single sequence (``<s>`` and ``</s>``).

    Read off a one-word encoding rather than hard-coded, so any single-sequence template works
    (BERT's ``[CLS] .. [SEP]`` as well as XLM-R's ``<s> .. </s>``).
    """
    encoded = tokenizer(["a"], is_split_into_words=True, add_special_tokens=True)
    word_ids = _word_ids(encoded, 0)
    positions = [i for i, word in enumerate(word_ids) if word is not None]
    ids = list(encoded["input_ids"])
    return tuple(ids[: positions[0]]), tuple(ids[positions[-1] + 1 :])


def word_pieces(sentences: Sequence[Sequence[str]], tokenizer: Tokenizer) -> list[list[list[int]]]:
    """Sub-word ids of every word of every sentence; an empty word gets ``[unk]`` (XTREME)."""
    unk = tokenizer.unk_token_id
    if unk is None:
        raise XstiltsError("tagging needs a tokenizer with an unknown token (for empty words)")
    out: list[list[list[int]]] = [[] for _ in sentences]
    indices = [i for i, words in enumerate(sentences) if words]
    for start in range(0, len(indices), _TOKENIZE_CHUNK):
        chunk = indices[start : start + _TOKENIZE_CHUNK]
        encoded = tokenizer(
            [list(sentences[i]) for i in chunk],
            is_split_into_words=True,
            add_special_tokens=False,
            verbose=False,  # long sentences are split below, not truncated: no length warning
        )
        for row, index in enumerate(chunk):
            pieces: list[list[int]] = [[] for _ in sentences[index]]
            word_ids = _word_ids(encoded, row)
            for token_id, word in zip(encoded["input_ids"][row], word_ids, strict=True):
                if word is not None:
                    pieces[word].append(token_id)
            out[index] = [p if p else [unk] for p in pieces]
    return out


def _word_ids(encoded: Any, row: int) -> list[int | None]:
    try:
        return encoded.word_ids(row)
    except ValueError:
        raise XstiltsError(
            "tagging needs a fast tokenizer (word_ids of is_split_into_words input)"
        ) from None


def split_into_windows(piece_counts: Sequence[int], budget: int) -> list[tuple[int, int]]:
    """Greedy ``[start, end)`` word ranges whose sub-word counts each sum to at most ``budget``.

    A word moves to a new window when it would overflow the current one (XTREME's
    ``*_tokenize_preprocess``); every word lands in exactly one window, so none is dropped.
    Counts above ``budget`` must already be clipped by the caller.
    """
    windows: list[tuple[int, int]] = []
    start, used = 0, 0
    for index, count in enumerate(piece_counts):
        if index > start and used + count > budget:
            windows.append((start, index))
            start, used = index, 0
        used += count
    if piece_counts:
        windows.append((start, len(piece_counts)))
    return windows


# --------------------------------------------------------------------------------------------
# The Family functions
# --------------------------------------------------------------------------------------------


def featurize(
    examples: Sequence[TaggingExample], tokenizer: Tokenizer, spec: TaskSpec, max_length: int
) -> list[TaggingFeature]:
    """Every sentence as one or more windows of at most ``max_length`` tokens, specials included.

    Examples without tags (test files) get ``IGNORE_INDEX`` everywhere: they can be predicted,
    not trained on.
    """
    label_index = {label: i for i, label in enumerate(spec.labels)}
    prefix, suffix = special_tokens(tokenizer)
    budget = max_length - len(prefix) - len(suffix)
    if budget < 1:
        raise XstiltsError(f"max_length {max_length} leaves no room for words after special tokens")
    all_pieces = word_pieces([example.tokens for example in examples], tokenizer)
    features: list[TaggingFeature] = []
    for index, (example, pieces) in enumerate(zip(examples, all_pieces, strict=True)):
        tag_ids = _tag_ids(example, spec, label_index)
        pieces = [word[:budget] for word in pieces]
        for start, end in split_into_windows([len(word) for word in pieces], budget):
            input_ids = list(prefix)
            label_ids = [IGNORE_INDEX] * len(prefix)
            starts = []
            for word in range(start, end):
                starts.append(len(input_ids))
                input_ids.extend(pieces[word])
                label_ids.append(tag_ids[word])
                label_ids.extend([IGNORE_INDEX] * (len(pieces[word]) - 1))
            input_ids.extend(suffix)
            label_ids.extend([IGNORE_INDEX] * len(suffix))
            features.append(
                TaggingFeature(tuple(input_ids), tuple(label_ids), index, start, tuple(starts))
            )
    return features


def _tag_ids(example: TaggingExample, spec: TaskSpec, label_index: dict[str, int]) -> list[int]:
    if example.tags is None:
        return [IGNORE_INDEX] * len(example.tokens)
    if len(example.tags) != len(example.tokens):
        raise XstiltsError(
            f"task {spec.name}: sentence {example.id} has {len(example.tokens)} tokens but "
            f"{len(example.tags)} tags"
        )
    try:
        return [label_index[tag] for tag in example.tags]
    except KeyError as error:
        raise XstiltsError(
            f"task {spec.name}: sentence {example.id} has tag {error.args[0]!r}, not one of the "
            f"task's {len(spec.labels)} labels"
        ) from None


def collate(features: Sequence[TaggingFeature], pad_id: int) -> dict[str, Any]:
    """Pad to the longest window of the batch; padded label positions are ignored by the loss."""
    width = max(len(f.input_ids) for f in features)
    input_ids = torch.full((len(features), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(features), width), dtype=torch.long)
    labels = torch.full((len(features), width), IGNORE_INDEX, dtype=torch.long)
    for row, feature in enumerate(features):
        length = len(feature.input_ids)
        input_ids[row, :length] = torch.tensor(feature.input_ids)
        attention_mask[row, :length] = 1
        labels[row, :length] = torch.tensor(feature.label_ids)
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def new_head(hidden_size: int, spec: TaskSpec, encoder: EncoderConfig) -> nn.Module:
    if not spec.labels:
        raise XstiltsError(f"task {spec.name}: a tagging task needs its label set")
    return TokenTaggingHead(hidden_size, len(spec.labels), encoder.dropout)


def loss(model: nn.Module, task: str, batch: dict[str, Any]) -> torch.Tensor:
    """Mean cross-entropy over the labelled positions (first sub-words) of the batch."""
    logits = model(task, batch["input_ids"], batch["attention_mask"])
    labels = batch["labels"]
    total = nn.functional.cross_entropy(
        logits.flatten(0, 1).float(), labels.flatten(), ignore_index=IGNORE_INDEX, reduction="sum"
    )
    # A batch of untagged windows contributes zero, not NaN (mean over no positions).
    return total / (labels != IGNORE_INDEX).sum().clamp(min=1)


@torch.inference_mode()
def predict(
    model: nn.Module,
    task: str,
    examples: Sequence[TaggingExample],
    tokenizer: Tokenizer,
    spec: TaskSpec,
    max_length: int,
    batch_size: int,
) -> list[list[str]]:
    """One tag per token of every example, windows re-joined; batches sorted by length."""
    model.eval()
    features = featurize(examples, tokenizer, spec, max_length)
    predicted: list[list[int]] = [[-1] * len(example.tokens) for example in examples]
    device = model_device(model)
    lengths = [len(f.input_ids) for f in features]
    for indices in evaluation_batches(lengths, batch_size):
        batch = collate([features[i] for i in indices], tokenizer.pad_token_id)
        logits = model(task, batch["input_ids"].to(device), batch["attention_mask"].to(device))
        best = logits.argmax(-1).cpu().tolist()
        for row, i in enumerate(indices):
            feature = features[i]
            sentence = predicted[feature.example_index]
            for offset, position in enumerate(feature.word_starts):
                sentence[feature.first_word + offset] = best[row][position]
    for example, sentence in zip(examples, predicted, strict=True):
        if -1 in sentence:  # every word belongs to exactly one window: cannot happen
            raise AssertionError(f"sentence {example.id}: a word got no prediction")
    return [[spec.labels[i] for i in sentence] for sentence in predicted]


def score(
    predictions: Sequence[Sequence[str]],
    examples: Sequence[TaggingExample],
    spec: TaskSpec,
    language: str,
) -> dict[str, float]:
    """``tagging_f1`` (f1, precision, recall, token_accuracy), or ``{}`` for an untagged test set.

    XTREME's download strips test tags (the official scorer holds them); such a split can only be
    predicted and submitted. A set with tags on some sentences only is an error.
    """
    tagged = [example.tags is not None for example in examples]
    if not all_or_none(tagged, spec, language, "sentences have no tags"):
        return {}
    return tagging_f1(predictions, [example.tags or () for example in examples])


def format_predictions(
    examples: Sequence[TaggingExample], predictions: Sequence[Sequence[str]]
) -> str:
    """XTREME's submission format: one tag per line, a blank line after every sentence.

    ``xtreme/evaluate.py`` ``read_tag`` closes a sentence at each blank line, so this text reads
    back as exactly ``len(examples)`` tag lists (an empty sentence reads back as an empty list).
    """
    if len(predictions) != len(examples):
        raise XstiltsError(f"{len(predictions)} predicted sentences for {len(examples)} examples")
    return "".join("".join(f"{tag}\n" for tag in tags) + "\n" for tags in predictions)


FAMILY = Family("tagging", featurize, collate, new_head, loss, predict, score, format_predictions)
