"""One pretraining cell: a from-scratch encoder trained on a designed mixture of languages.

A cell is addressed by a content hash of its design and seed (as intermediate checkpoints are),
trained once, and reused by every X-STILTs run on top of it. Training goes through a study's own
training phase (``experiments.training.train_phase``: the project's one loop) with the masked-LM
family, so a cell killed at any point resumes from its last checkpoint with optimizer, scheduler,
RNG and data position restored, and ends with the same weights as an uninterrupted run.

What a finished cell folder holds::

    encoder/            Hugging Face folder (config.json, model.safetensors, tokenizer.json)
    budgets.json        per language: designed budget, exact tokens reached, lines
    manipulation.json   per language: held-out masked-LM loss and accuracy (the manipulation check)
    design.json         the design and seed that determined it
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from xstilts.config import TrainConfig
from xstilts.data.examples import TextExample
from xstilts.evaluate.predict import model_device
from xstilts.experiments.hashing import content_key
from xstilts.experiments.task_data import TaskData
from xstilts.experiments.training import train_phase
from xstilts.families import masked_lm
from xstilts.files import atomic_folder
from xstilts.models.encoder import word_embeddings
from xstilts.models.heads import EncoderWithHeads
from xstilts.pretraining import grammar
from xstilts.pretraining.corpus import ENGLISH, Corpus, budgeted_corpus, held_out_lines
from xstilts.pretraining.design import ControlledDesign
from xstilts.pretraining.tiny_encoder import build_encoder, build_tokenizer, save_encoder_folder
from xstilts.tasks.registry import get_task

HELD_OUT_MASKING_SEED = 20231115  # fixed: the check must not depend on the training RNG
TASK = "mlm"


def cell_folder(output: Path, design: ControlledDesign, seed: int) -> Path:
    """Where the cell (design, seed) lives under a study's output folder."""
    key = content_key(phase="pretraining", design=design.to_json(), seed=seed)
    return output / "pretraining" / f"seed{seed}-{key}"


def design_vocabulary(design: ControlledDesign) -> set[str]:
    """Every surface form of every language of the design (budget-independent)."""
    words = set(grammar.vocabulary())
    for language, _ in design.languages():
        words |= {language.word(word) for word in grammar.vocabulary()}
    return words


def pretrain_cell(output: Path, design: ControlledDesign, seed: int, progress: bool = True) -> Path:
    """Train (or resume, or reuse) the cell's encoder; returns the finished cell folder."""
    folder = cell_folder(output, design, seed)
    if (folder / "encoder" / "model.safetensors").is_file():
        return folder
    tokenizer = build_tokenizer(design_vocabulary(design))

    def count(line: str) -> int:
        return len(tokenizer(line, add_special_tokens=False)["input_ids"])

    cells = design.languages()
    corpora = [budgeted_corpus(None, design.english_budget, count, seed)]
    corpora += [budgeted_corpus(language, budget, count, seed) for language, budget in cells]
    held_out = {ENGLISH: held_out_lines(None, design.held_out_lines, seed)}
    held_out |= {lang.code: held_out_lines(lang, design.held_out_lines, seed) for lang, _ in cells}

    encoder = build_encoder(tokenizer, dataclasses.replace(design.encoder, seed=seed))
    torch.manual_seed(seed)  # head initialisation and the masking stream of the first epoch
    head = masked_lm.MaskedLMHead(
        encoder.config.hidden_size, encoder.config.vocab_size, encoder.config.layer_norm_eps
    )
    model = EncoderWithHeads(encoder, {TASK: head})
    work = folder.with_name(folder.name + ".training")
    _train(model, tokenizer, corpora, design, seed, work, progress)
    manipulation = {
        code: held_out_scores(model, tokenizer, lines, design.encoder.max_positions)
        for code, lines in held_out.items()
    }
    with atomic_folder(folder, keep_existing=True) as tmp:
        save_encoder_folder(tmp / "encoder", encoder, tokenizer)
        _write_json(tmp / "budgets.json", _budget_table(corpora))
        _write_json(tmp / "manipulation.json", manipulation)
        _write_json(tmp / "design.json", {"design": json.loads(design.to_json()), "seed": seed})
    return folder


def _train(
    model: EncoderWithHeads,
    tokenizer: Any,
    corpora: Sequence[Corpus],
    design: ControlledDesign,
    seed: int,
    work: Path,
    progress: bool,
) -> None:
    """Masked-LM training through a study's own training phase (``experiments.training``): the
    same featurisation, per-epoch batches and loop as an intermediate ``mlm`` phase. There is no
    dev set, so the last parameters are kept."""
    examples = [
        TextExample(f"{corpus.language}:{i}", corpus.language, line)
        for corpus in corpora
        for i, line in enumerate(corpus.lines)
    ]
    # No feature cache and no evaluation sets: the data's folder and digest are never read.
    data = TaskData(get_task(TASK), work, "", {}, train=examples)
    steps = math.ceil(len(examples) / design.batch_size)
    config = TrainConfig(
        learning_rate=design.learning_rate,
        epochs=design.epochs,
        batch_size=design.batch_size,
        max_length=design.encoder.max_positions,
        warmup_ratio=0.06,  # RoBERTa pretraining's warm-up share
        weight_decay=0.01,
        checkpoint_every_steps=max(1, steps // 2),
    )
    description = f"pretraining seed {seed}"
    train_phase(model, [data], tokenizer, config, seed, description, work / "checkpoint", progress)


@torch.inference_mode()
def held_out_scores(
    model: nn.Module, tokenizer: Any, lines: Sequence[str], max_length: int
) -> dict[str, float]:
    """Masked-LM cross-entropy (nats per masked token) and accuracy on held-out lines.

    The masks are the masked-LM family's fixed-seed masks (``masked_lm.fixed_masks``, the dev
    masking) with a seed of their own, so the check is a deterministic function of the
    parameters and the same positions are masked in every cell. One line per forward pass: no
    padding enters the loss.
    """
    model.eval()
    spec = get_task(TASK)
    examples = [TextExample(str(i), "", line) for i, line in enumerate(lines)]
    features = masked_lm.featurize(examples, tokenizer, spec, max_length)
    rows = word_embeddings(model.get_submodule("encoder")).weight.shape[0]
    corrupted_rows, selected_rows = masked_lm.fixed_masks(features, HELD_OUT_MASKING_SEED, rows)
    total_loss, correct, count = 0.0, 0, 0
    for feature, corrupted, selected in zip(features, corrupted_rows, selected_rows, strict=True):
        ids = torch.tensor([feature.input_ids])
        mask = torch.ones_like(ids, device=model_device(model))  # the model may sit on a GPU
        logits = masked_lm.masked_logits(model, TASK, corrupted[None], mask, selected[None])
        gold = ids[selected[None]].to(logits.device)
        total_loss += float(nn.functional.cross_entropy(logits.float(), gold, reduction="sum"))
        correct += int((logits.argmax(-1) == gold).sum())
        count += int(gold.numel())
    return {"loss": total_loss / count, "accuracy": 100.0 * correct / count, "tokens": count}


def _budget_table(corpora: Sequence[Corpus]) -> dict[str, dict[str, int]]:
    return {
        c.language: {"budget": c.budget, "tokens": c.tokens, "lines": len(c.lines)} for c in corpora
    }


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")


def read_cell(folder: Path) -> dict[str, Any]:
    """A finished cell's budgets, manipulation check and design, as stored."""
    return {
        name: json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        for name in ("budgets", "manipulation", "design")
    }
