"""One continued-MLM cell: a given pretrained encoder trained further on exact per-language budgets.

A cell is addressed by a content hash of everything that determines its weights — the base
encoder's weight fingerprint, the budgets (English replay included), each language's corpus
fingerprint, the optimisation settings, the seed, the world size and the code version (as every
xstilts artefact) — and lives in ``<cell_dir>/mlm-<key>/``, so any study that declares the same
cell reuses it. Training goes through the project's one loop (``train.loop.train``) with the
masked-LM family: a cell killed at any point resumes from its last checkpoint (optimizer,
scheduler, RNG and stream position) to the weights of an uninterrupted run; under
``torchrun``/``accelerate launch`` it runs data-parallel and only rank 0 writes the cell.

A finished cell folder::

    encoder/      Hugging Face folder: the continued encoder (safetensors, with its LM head as
                  lm_head.* so a later ``mnli+mlm`` phase starts from it) and the tokenizer
    record.json   per language: designed budget and tokens actually trained (exact: counted over
                  the batches the run used) and the held-out masked-LM loss (manipulation check);
                  base encoder, sources, settings, steps, seconds
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from xstilts.config import EncoderConfig, TrainConfig
from xstilts.config_pretraining import MaskedLMSettings
from xstilts.errors import XstiltsError
from xstilts.experiments.hashing import content_key
from xstilts.experiments.provenance import world_size
from xstilts.families import masked_lm
from xstilts.files import atomic_folder
from xstilts.models.encoder import hidden_size, load_encoder
from xstilts.models.heads import EncoderWithHeads
from xstilts.pretraining.cell import held_out_scores
from xstilts.pretraining.mlm_stream import BatchStream, make_schedule, read_tokens, write_tokens
from xstilts.pretraining.mlm_stream import trained_tokens as count_trained
from xstilts.pretraining.text_corpus import held_out_lines, language_lines
from xstilts.tasks.registry import get_task
from xstilts.train.loop import train

TASK = "mlm"
RECORD = "record.json"


@dataclasses.dataclass(frozen=True)
class CellRequest:
    """What determines one cell (the stage builds it from the study's ``pretraining:``)."""

    encoder: str  # the study's encoder name (hub id, folder, or the embedded default)
    encoder_weights: str  # its weight fingerprint (models.identity)
    budgets: dict[str, int]  # tokens per language, English replay included
    sources: dict[str, str]  # corpus fingerprint per language with a budget
    corpus_dir: Path
    hub_dataset: str
    hub_config: str
    settings: MaskedLMSettings
    seed: int
    attention: str = "sdpa"
    held_out_lines: int = 200  # per language, scored after training (not part of the key)

    def key(self) -> str:
        return content_key(
            phase="pretraining-mlm",
            encoder_weights=self.encoder_weights,
            budgets=self.budgets,
            sources=self.sources,
            hub_config=self.hub_config if self.hub_dataset else "",
            settings=dataclasses.asdict(self.settings),
            seed=self.seed,
            world_size=world_size(),
        )


def cell_folder(cell_dir: Path, request: CellRequest) -> Path:
    return cell_dir / f"mlm-{request.key()}"


def is_trained(folder: Path) -> bool:
    return (folder / RECORD).is_file() and (folder / "encoder" / "model.safetensors").is_file()


def train_config(settings: MaskedLMSettings) -> TrainConfig:
    """The loop's settings for one pass over the cell's stream."""
    return TrainConfig(
        learning_rate=settings.learning_rate, epochs=1.0, batch_size=settings.batch_size,
        max_length=settings.max_length, warmup_ratio=settings.warmup_ratio,
        weight_decay=settings.weight_decay, max_grad_norm=settings.max_grad_norm,
        precision=settings.precision,
        sparse_embedding_updates=settings.sparse_embedding_updates,
    )  # fmt: skip


def train_cell(cell_dir: Path, request: CellRequest, progress: bool = True) -> Path:
    """Train (or resume, or reuse) the cell; returns its finished folder."""
    folder = cell_folder(cell_dir, request)
    if is_trained(folder):
        return folder
    encoder, tokenizer = load_encoder(request.encoder, request.attention)
    if tokenizer.mask_token_id is None:
        raise XstiltsError(f"encoder {request.encoder!r}: its tokenizer has no mask token")
    spec = get_task(TASK)
    head = masked_lm.new_head(hidden_size(encoder), spec, EncoderConfig(name=request.encoder))
    model = EncoderWithHeads(encoder, {TASK: head})
    settings = request.settings
    schedule = make_schedule(
        request.budgets, settings.max_length, settings.batch_size, request.seed
    )

    tokens = token_files(cell_dir, request, tokenizer)
    stream = BatchStream(schedule, lambda code: read_tokens(tokens[code]), tokenizer)
    work = folder.with_name(folder.name + ".training")
    torch.manual_seed(request.seed)  # the masking stream (restored from a checkpoint on resume)
    result = train(
        model, lambda epoch: stream, lambda m, batch: masked_lm.loss(m, TASK, batch), None,
        train_config(settings), f"pretraining {folder.name}",
        checkpoint_dir=work / "checkpoint", checkpoint_every=settings.checkpoint_every_steps,
        progress=progress,
    )  # fmt: skip
    record = _record(request, result.steps, result.seconds, schedule)
    if _is_main_process():
        record["held_out"] = held_out_check(request, model, tokenizer)
        with atomic_folder(folder, keep_existing=True) as tmp:
            save_continued_encoder(tmp / "encoder", model, tokenizer)
            (tmp / RECORD).write_text(json.dumps(record, indent=2, sort_keys=True), "utf-8")
        shutil.rmtree(work, ignore_errors=True)  # the resume state (~3x the weights) is spent
    _barrier()
    return folder


def token_files(cell_dir: Path, request: CellRequest, tokenizer: Any) -> dict[str, Path]:
    """Each budgeted language's first ``budget`` tokens as a token file under
    ``<cell_dir>/tokens/`` (shared by cells: keyed by tokenizer and corpus; a file with at least
    the budget is reused, a shorter one rewritten). Every data-parallel process writes its own
    copy under a temporary name and renames it (same bytes), once per language."""

    def tokenize(lines: list[str]) -> list[list[int]]:
        return list(tokenizer(lines, add_special_tokens=False)["input_ids"])

    paths = {}
    for code, budget in sorted(request.budgets.items()):
        if budget <= 0:
            continue
        key = content_key(
            phase="tokens", tokenizer=request.encoder_weights, source=request.sources[code],
            hub_config=request.hub_config if request.hub_dataset else "",
        )  # fmt: skip
        path = cell_dir / "tokens" / f"{code}-{key}.u32"
        if not path.is_file() or path.stat().st_size < 4 * budget:
            source = request.corpus_dir, request.hub_dataset, code, request.hub_config
            write_tokens(path, language_lines(*source), tokenize, budget, str(source[0] / code))
        paths[code] = path
    return paths


def _record(request: CellRequest, steps: int, seconds: float, schedule: Any) -> dict[str, Any]:
    """What the cell's record.json says (tokens counted over the batches the run used)."""
    world = world_size()
    trained = count_trained(schedule, steps * world)
    settings = request.settings
    return {
        "base_encoder": request.encoder, "base_encoder_weights": request.encoder_weights,
        "budgets": {
            code: {"budget": budget, "tokens": trained.get(code, 0)}
            for code, budget in sorted(request.budgets.items())
        },
        "tokens": sum(trained.values()), "steps": steps, "world_size": world,
        "batch_size": settings.batch_size, "max_length": settings.max_length,
        "sources": request.sources, "settings": dataclasses.asdict(settings),
        "seed": request.seed, "seconds": round(seconds, 3),
    }  # fmt: skip


def held_out_check(request: CellRequest, model: Any, tokenizer: Any) -> dict[str, Any]:
    """Held-out masked-LM loss and accuracy per language of the cell (budget 0 included), on the
    first ``held_out_lines`` lines of ``<language>/held-out/``: the manipulation check (the loss
    of a language should fall with its budget across cells). Languages without one are absent.
    Fixed-seed masks (``cell.held_out_scores``), so every cell is scored on the same positions."""
    scores = {}
    for code in sorted(request.budgets):
        lines = held_out_lines(request.corpus_dir, code, request.held_out_lines)
        if lines:
            scores[code] = held_out_scores(model, tokenizer, lines, request.settings.max_length)
    return scores


def save_continued_encoder(folder: Path, model: EncoderWithHeads, tokenizer: Any) -> None:
    """The encoder as a Hugging Face folder, its LM head added under RoBERTa's ``lm_head.*``
    names (``families.masked_lm_head.pretrained_head_state`` reads them back)."""
    folder.mkdir(parents=True, exist_ok=True)
    encoder: Any = model.encoder
    encoder.save_pretrained(str(folder), safe_serialization=True)
    tokenizer.save_pretrained(str(folder))
    weights = folder / "model.safetensors"
    tensors = load_file(str(weights))
    head = model.heads[TASK]
    names = {"dense.weight": "lm_head.dense.weight", "dense.bias": "lm_head.dense.bias",
             "layer_norm.weight": "lm_head.layer_norm.weight",
             "layer_norm.bias": "lm_head.layer_norm.bias", "bias": "lm_head.bias"}  # fmt: skip
    for ours, theirs in names.items():
        tensors[theirs] = head.state_dict()[ours].detach().contiguous().cpu()
    save_file(tensors, str(weights), metadata={"format": "pt"})


def read_record(folder: Path) -> dict[str, Any]:
    """A finished cell's record, as stored."""
    return dict(json.loads((folder / RECORD).read_text(encoding="utf-8")))


def _is_main_process() -> bool:
    distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
    return not distributed or torch.distributed.get_rank() == 0


def _barrier() -> None:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()
