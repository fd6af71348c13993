"""Masked language modelling: the "continued multilingual MLM" baseline as one more family.

Phang et al. 2020 (arXiv 2005.13013) add multilingual masked-LM to English intermediate training
(intermediate task ``mnli+mlm``); the multi-task ``experiments.training.train_phase`` already
mixes tasks with one head each, so MLM only needs this family and the ``mlm`` task
(``tasks/catalog/mlm.py``).

- **Masking** is BERT's (Devlin et al. 2019, §3.1; the same procedure as jiant's
  ``jiant/tasks/lib/templates/mlm.py`` ``mlm_mask_tokens``, which took it from transformers'
  ``DataCollatorForLanguageModeling``): every eligible token is selected with probability 0.15;
  a selected token becomes ``<mask>`` 80% of the time, a uniformly random id 10%, and stays
  unchanged 10%; the loss is cross-entropy over the selected positions only. Eligible = not
  padding and not a special token of the tokenizer (``<s> </s> <pad> <unk> <mask>``).
- **Where the randomness comes from.** Training masks are drawn in :func:`loss` from torch's
  global CPU generator, which the training loop saves in every checkpoint, so a resumed run draws
  the same masks; collated batches hold no mask (they are rebuilt, identically, on resume). Dev
  masks come from a private generator with a fixed seed, drawn example by example in input order,
  so a dev score is a deterministic function of the parameters (independent of batch size and of
  the training RNG, which evaluation therefore does not disturb).
- **Head**: RoBERTa's LM head (dense, gelu, LayerNorm, decoder) whose decoder weight *is* the
  encoder's input word-embedding matrix (``model.encoder.embeddings.word_embeddings.weight``), as
  in XLM-R pretraining and jiant (``load_lm_heads_from_transformers_weights`` ties
  ``mlm_head.decoder.weight`` to the embeddings). ``new_head`` only gets the hidden size, so the
  head borrows the embedding module on its first use (``loss``/``predict`` receive the model) and
  never registers it as its own parameter: the optimiser and the checkpoints see the matrix once,
  under the encoder's name, and frozen embeddings (``encoder.freeze_embeddings``) stay frozen.
  Where the encoder's checkpoint ships its pretrained LM head (``lm_head.*`` for RoBERTa/XLM-R,
  ``cls.predictions.*`` for BERT), the head starts from it, as jiant's does: a random head would
  send large, meaningless gradients into the encoder at the start of continued pretraining.
- **Logits only where needed**: the head runs on the hidden states of the masked positions only;
  with XLM-R's 250k vocabulary, full-sequence logits would cost ~1 GB per batch of 4x256 tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import torch
from torch import nn

from xstilts.config import EncoderConfig
from xstilts.data.examples import TextExample
from xstilts.data.featurize import evaluation_batches
from xstilts.errors import XstiltsError
from xstilts.evaluate.metrics import accuracy
from xstilts.evaluate.predict import model_device
from xstilts.families.base import Family, Tokenizer
from xstilts.families.masked_lm_head import MaskedLMHead, encoder_location, pretrained_head_state
from xstilts.models.encoder import word_embeddings
from xstilts.tasks.spec import TaskSpec

log = logging.getLogger("xstilts")

MASK_PROBABILITY = 0.15  # BERT / RoBERTa / XLM-R
REPLACE_WITH_MASK = 0.8  # of the selected tokens; then 10% random id, 10% unchanged
REPLACE_WITH_RANDOM = 0.1
DEV_MASKING_SEED = 20200527  # fixed: dev scores must not depend on the training RNG


# ---------------------------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaskedLMFeature:
    """One tokenized line; ``special_tokens_mask[i] = 1`` where token ``i`` may never be masked."""

    input_ids: tuple[int, ...]
    special_tokens_mask: tuple[int, ...]
    mask_token_id: int
    vocab_size: int  # len(tokenizer): the range of the random replacement ids


def featurize(
    examples: Sequence[TextExample], tokenizer: Tokenizer, spec: TaskSpec, max_length: int
) -> list[MaskedLMFeature]:
    """Tokenize each line (with <s> ... </s>), truncated to ``max_length``; one feature per line."""
    if tokenizer.mask_token_id is None:
        raise XstiltsError(
            f"task {spec.name}: the encoder's tokenizer has no mask token; masked-LM needs one"
        )
    mask_token_id = int(tokenizer.mask_token_id)
    vocab_size = len(tokenizer)
    special = set(tokenizer.all_special_ids)
    encoded = tokenizer(
        [example.text for example in examples], truncation=True, max_length=max_length
    )
    return [
        MaskedLMFeature(
            tuple(ids), tuple(int(i in special) for i in ids), mask_token_id, vocab_size
        )
        for ids in encoded["input_ids"]
    ]


def collate(features: Sequence[MaskedLMFeature], pad_id: int) -> dict[str, Any]:
    """Pad to the longest line of the batch; padding is marked special (never masked)."""
    width = max(len(f.input_ids) for f in features)
    input_ids = torch.full((len(features), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(features), width), dtype=torch.long)
    special_tokens_mask = torch.ones((len(features), width), dtype=torch.long)
    for row, feature in enumerate(features):
        length = len(feature.input_ids)
        input_ids[row, :length] = torch.tensor(feature.input_ids)
        attention_mask[row, :length] = 1
        special_tokens_mask[row, :length] = torch.tensor(feature.special_tokens_mask)
    return {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "special_tokens_mask": special_tokens_mask,
        "mask_token_id": features[0].mask_token_id,
        "vocab_size": features[0].vocab_size,
    }


# ---------------------------------------------------------------------------------------------
# Masking
# ---------------------------------------------------------------------------------------------


def mask_tokens(
    input_ids: torch.Tensor,
    eligible: torch.Tensor,
    mask_token_id: int,
    vocab_size: int,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's 80/10/10 corruption; returns ``(corrupted ids, selected positions)`` on the CPU.

    Every draw uses ``generator`` on the CPU (``None``: torch's global CPU generator, which the
    training loop checkpoints; drawing on an accelerator would use its unsaved generator). If the
    draw selects nothing although some token is eligible, one eligible token is selected
    uniformly, so the loss is always defined (rare in training batches; in the per-line dev
    masking it gives every line at least one prediction).
    """
    ids = input_ids.detach().cpu()
    eligible = eligible.detach().cpu().bool()
    selected = (torch.rand(ids.shape, generator=generator) < MASK_PROBABILITY) & eligible
    if not selected.any() and eligible.any():
        candidates = eligible.flatten().nonzero().squeeze(1)
        pick = candidates[torch.randint(len(candidates), (1,), generator=generator)]
        selected.view(-1)[pick] = True
    how = torch.rand(ids.shape, generator=generator)
    random_ids = torch.randint(vocab_size, ids.shape, generator=generator)
    to_mask = selected & (how < REPLACE_WITH_MASK)
    to_random = (
        selected & (how >= REPLACE_WITH_MASK) & (how < REPLACE_WITH_MASK + REPLACE_WITH_RANDOM)
    )
    corrupted = ids.clone()
    corrupted[to_mask] = mask_token_id
    corrupted[to_random] = random_ids[to_random]
    return corrupted, selected


def _eligible(batch: dict[str, Any]) -> torch.Tensor:
    return (batch["special_tokens_mask"] == 0) & (batch["attention_mask"] == 1)


# ---------------------------------------------------------------------------------------------
# Head (the module itself: masked_lm_head.py)
# ---------------------------------------------------------------------------------------------


def new_head(hidden_size: int, spec: TaskSpec, encoder: EncoderConfig) -> nn.Module:
    """An LM head sized from the encoder's config; pretrained weights when the checkpoint has them.

    The decoder is tied on first use (see :class:`MaskedLMHead`): ``new_head`` gets no encoder.
    """
    from transformers import AutoConfig

    location = encoder_location(encoder)
    config = AutoConfig.from_pretrained(location)
    head = MaskedLMHead(hidden_size, config.vocab_size, getattr(config, "layer_norm_eps", 1e-12))
    state = pretrained_head_state(location)
    if state:
        shapes_match = all(
            state[name].shape == tensor.shape for name, tensor in head.state_dict().items()
        )
        if shapes_match:
            head.load_state_dict(state)
            log.info("masked-LM head: pretrained LM head of %s", encoder.name)
            return head
    log.info("masked-LM head: %s ships no LM head; starting from a random one", encoder.name)
    return head


# ---------------------------------------------------------------------------------------------
# Loss, prediction, score
# ---------------------------------------------------------------------------------------------


def _encoder(model: nn.Module) -> nn.Module:
    """``model.encoder`` of an ``EncoderWithHeads`` (typed: ``nn.Module.__getattr__`` is not)."""
    return cast(nn.Module, model.encoder)


def _head(model: nn.Module, task: str) -> MaskedLMHead:
    """The masked-LM head of ``task`` in an ``EncoderWithHeads``."""
    return cast(MaskedLMHead, cast(nn.ModuleDict, model.heads)[task])


def masked_logits(
    model: nn.Module, task: str, corrupted: torch.Tensor, attention_mask: torch.Tensor,
    selected: torch.Tensor,
) -> torch.Tensor:  # fmt: skip
    """Logits ``(masked tokens, vocabulary)`` at the selected positions, in row-major order.

    ``model`` is an ``EncoderWithHeads`` with a masked-LM head under ``task``.
    """
    head = _head(model, task)
    head.tie(model)
    device = attention_mask.device
    hidden = _encoder(model)(
        input_ids=corrupted.to(device), attention_mask=attention_mask
    ).last_hidden_state
    return head(hidden[selected.to(device)])


def loss(model: nn.Module, task: str, batch: dict[str, Any]) -> torch.Tensor:
    """Cross-entropy over freshly masked positions (masks from torch's global CPU generator)."""
    input_ids = batch["input_ids"]
    embedding_rows = word_embeddings(_encoder(model)).weight.shape[0]
    corrupted, selected = mask_tokens(
        input_ids,
        _eligible(batch),
        batch["mask_token_id"],
        min(batch["vocab_size"], embedding_rows),
    )
    if not selected.any():  # a batch with no maskable token at all (lines of only <unk>)
        return _head(model, task).bias.sum() * 0.0
    logits = masked_logits(model, task, corrupted, batch["attention_mask"], selected)
    gold = input_ids.detach().cpu()[selected].to(logits.device)
    return nn.functional.cross_entropy(logits.float(), gold)


def fixed_masks(
    features: Sequence[MaskedLMFeature], seed: int, embedding_rows: int
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Each line's ``(corrupted ids, selected positions)`` from a private generator seeded with
    ``seed``, drawn line by line in input order: independent of batching and of the training RNG,
    so a score on them is a deterministic function of the parameters. Random replacement ids
    stay below ``embedding_rows`` (a tokenizer may have more ids than the encoder has rows)."""
    generator = torch.Generator().manual_seed(seed)
    corrupted_rows: list[torch.Tensor] = []
    selected_rows: list[torch.Tensor] = []
    for feature in features:
        ids = torch.tensor([feature.input_ids])
        eligible = torch.tensor([feature.special_tokens_mask]) == 0
        vocab = min(feature.vocab_size, embedding_rows)
        corrupted, selected = mask_tokens(ids, eligible, feature.mask_token_id, vocab, generator)
        corrupted_rows.append(corrupted[0])
        selected_rows.append(selected[0])
    return corrupted_rows, selected_rows


@dataclass(frozen=True)
class MaskedPrediction:
    """Predicted and original tokens at the dev-masked positions of one line."""

    positions: tuple[int, ...]
    predicted_ids: tuple[int, ...]
    gold_ids: tuple[int, ...]
    predicted_tokens: tuple[str, ...]
    gold_tokens: tuple[str, ...]


@torch.inference_mode()
def predict(
    model: nn.Module,
    task: str,
    examples: Sequence[TextExample],
    tokenizer: Tokenizer,
    spec: TaskSpec,
    max_length: int,
    batch_size: int,
) -> list[MaskedPrediction]:
    """Argmax token at each position of the fixed-seed dev masking, one result per line."""
    model.eval()
    features = featurize(examples, tokenizer, spec, max_length)
    embedding_rows = word_embeddings(_encoder(model)).weight.shape[0]
    corrupted_rows, selected_rows = fixed_masks(features, DEV_MASKING_SEED, embedding_rows)
    predicted: list[list[int]] = [[] for _ in features]
    device = model_device(model)
    lengths = [len(f.input_ids) for f in features]
    for indices in evaluation_batches(lengths, batch_size):
        if not any(selected_rows[i].any() for i in indices):
            continue
        width = max(lengths[i] for i in indices)
        ids = torch.full((len(indices), width), tokenizer.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(indices), width), dtype=torch.long)
        selected = torch.zeros((len(indices), width), dtype=torch.bool)
        for row, i in enumerate(indices):
            ids[row, : lengths[i]] = corrupted_rows[i]
            attention_mask[row, : lengths[i]] = 1
            selected[row, : lengths[i]] = selected_rows[i]
        logits = masked_logits(model, task, ids, attention_mask.to(device), selected)
        best = iter(logits.argmax(-1).cpu().tolist())
        for row, i in enumerate(indices):  # row-major order, as the boolean index gathered
            predicted[i] = [next(best) for _ in range(int(selected[row].sum()))]
    results = []
    for feature, chosen, guesses in zip(features, selected_rows, predicted, strict=True):
        positions = tuple(chosen.nonzero().squeeze(1).tolist())
        gold = tuple(feature.input_ids[p] for p in positions)
        results.append(
            MaskedPrediction(
                positions,
                tuple(guesses),
                gold,
                tuple(tokenizer.convert_ids_to_tokens(list(guesses))),
                tuple(tokenizer.convert_ids_to_tokens(list(gold))),
            )
        )
    return results


def score(
    predictions: Sequence[MaskedPrediction],
    examples: Sequence[TextExample],
    spec: TaskSpec,
    language: str,
) -> dict[str, float]:
    """``accuracy``: masked-token accuracy x100 over every masked position of the set (micro)."""
    predicted = [p for prediction in predictions for p in prediction.predicted_ids]
    gold = [g for prediction in predictions for g in prediction.gold_ids]
    if not gold:
        raise XstiltsError(f"task {spec.name} ({language}): no maskable token in the dev text")
    return {"accuracy": accuracy(predicted, gold)}


def format_predictions(
    examples: Sequence[TextExample], predictions: Sequence[MaskedPrediction]
) -> str:
    """One line per example: ``position:predicted_token`` for each masked position, space-separated.

    Lines with no maskable token are empty, so line *i* always belongs to example *i*.
    """
    return "".join(
        " ".join(f"{p}:{t}" for p, t in zip(x.positions, x.predicted_tokens, strict=True)) + "\n"
        for x in predictions
    )


FAMILY = Family("masked_lm", featurize, collate, new_head, loss, predict, score, format_predictions)
