"""The one training loop: plain PyTorch + accelerate, readable top to bottom (nanoGPT-style).

Every phase of a STILTs chain (intermediate task, target task) runs through :func:`train`. What
differs between task families — how a batch becomes a loss, how the dev score is computed — comes
in as two small functions, not as subclasses or callbacks.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator
from torch import nn
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from xstilts.config import TrainConfig
from xstilts.models.encoder import precision_autocast
from xstilts.train.checkpoint import (
    LoopState,
    copy_parameters,
    resume,
    rng_state,
    save_checkpoint,
)
from xstilts.train.sparse_adamw import (
    RowSparseAdamW,
    clip_grad_norm,
    use_sparse_embedding_gradients,
)


@dataclass
class TrainResult:
    """What a phase reports: the selected dev score and where it was reached."""

    best_dev: float
    best_step: int
    steps: int
    seconds: float
    dev_history: list[tuple[int, float]]
    # Mean of the trainable parameters over all evaluation points (Schmidt et al. 2023), when
    # ``config.average_checkpoints``; the model itself holds the English-dev-selected parameters.
    average_state: dict[str, torch.Tensor] | None = None


def _flat(config: TrainConfig) -> dict[str, Any]:
    """Hyper-parameters as trackers accept them (scalars and strings only)."""
    return {k: v for k, v in vars(config).items() if isinstance(v, (int, float, str, bool))}


def average_gradients(model: nn.Module, world: int) -> None:
    """All-reduce (mean) every gradient across data-parallel processes, in one flat buffer.

    A parameter that has a gradient on some process but not here (another task's head in
    multi-task training) contributes zeros, so every process reduces the same layout, as DDP
    does. One that has no gradient on *any* process keeps ``grad=None``, so AdamW skips it (no
    weight decay, no momentum step) exactly as a single process would. A sparse (embedding-row)
    gradient is reduced densely and made sparse again on every process: the rows that any
    process touched, the rows one process would see for the whole global batch.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        return
    flags = [float(p.grad is not None) for p in params]
    flags += [float(p.grad is not None and p.grad.is_sparse) for p in params]
    counts = torch.tensor(flags, device=params[0].device)
    torch.distributed.all_reduce(counts)
    present, sparse = counts.tolist()[: len(params)], counts.tolist()[len(params) :]
    grads = []
    for parameter, count in zip(params, present, strict=True):
        if count == 0:
            continue
        if parameter.grad is None:
            parameter.grad = torch.zeros_like(parameter)
        elif parameter.grad.is_sparse:
            parameter.grad = parameter.grad.to_dense()
        grads.append(parameter.grad)
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    torch.distributed.all_reduce(flat)
    flat /= world
    offset = 0
    for grad in grads:
        grad.copy_(flat[offset : offset + grad.numel()].view_as(grad))
        offset += grad.numel()
    for parameter, count in zip(params, sparse, strict=True):
        if count > 0:
            parameter.grad = parameter.grad.to_sparse(1)  # type: ignore[union-attr]


def warmup_steps(config: TrainConfig, total_steps: int) -> int:
    """Linear warm-up length: ``warmup_steps`` when set (XTREME's QA recipe: 500), else the ratio.

    Never longer than the run, so a tiny study with a reference recipe still decays its rate.
    """
    if config.warmup_steps is not None:
        return min(config.warmup_steps, total_steps)
    return round(config.warmup_ratio * total_steps)


def to_device(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    """The batch's tensors on ``device``; to a GPU through pinned memory, asynchronously (what
    ``DataLoader(pin_memory=True)`` gives a ``Trainer``)."""
    pin = device.type == "cuda"
    return {
        k: (v.pin_memory() if pin else v).to(device, non_blocking=pin) if torch.is_tensor(v) else v
        for k, v in batch.items()
    }


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW over trainable parameters; no weight decay on biases and LayerNorm (BERT recipe).

    :class:`RowSparseAdamW` is ``torch.optim.AdamW`` for every dense gradient; only a sparse one
    (trainable word embeddings, ``config.sparse_embedding_updates``) takes its row-wise path.
    """
    decay: list[nn.Parameter] = []
    no_decay: list[nn.Parameter] = []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        (no_decay if parameter.ndim < 2 or "LayerNorm" in name else decay).append(parameter)
    groups: list[dict[str, Any]] = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    # The fused kernel updates every parameter in one pass instead of a loop of per-tensor ops
    # (CUDA, and CPU since torch 2.4: measured 3x faster per step on the demo encoder); it is
    # also transformers.Trainer's default optimizer. It needs all parameters on one device kind.
    kinds = {p.device.type for group in groups for p in group["params"]}
    fused = config.fused_optimizer and len(kinds) == 1 and kinds <= {"cuda", "cpu"}
    return RowSparseAdamW(groups, lr=config.learning_rate, eps=1e-8, fused=fused or None)


def trainable_copy(model: nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of the parameters that training changes (frozen ones equal the base).

    A copy, where the device allows none to be skipped: ``checkpoint.trainable_state`` returns
    the live CPU tensors themselves, which the next optimizer step would change.
    """
    return {
        name: parameter.detach().clone()
        for name, parameter in model.named_parameters()
        if parameter.requires_grad
    }


@dataclass
class Run:
    """What the loop carries from step to step; a checkpoint saves all of it but the clock."""

    accelerator: Accelerator
    optimizer: torch.optim.Optimizer
    scheduler: Any
    state: LoopState
    best_state: dict[str, torch.Tensor] | None  # the English-dev choice so far
    average_sum: dict[str, torch.Tensor] | None  # fp64 sum over the averaged points
    trackers: bool  # whether accelerate's trackers receive the loss, rate and dev score
    clock: float = field(default_factory=time.perf_counter)  # since state.seconds was counted


def start_accelerator(
    config: TrainConfig, description: str, log_dir: Path | None, trackers: Sequence[str]
) -> tuple[Accelerator, bool]:
    """The accelerate state (device, processes), and whether trackers log (under ``log_dir``)."""
    use_trackers = list(trackers) if log_dir is not None else []
    accelerator = Accelerator(
        cpu=not torch.cuda.is_available(),
        log_with=use_trackers or None,
        project_dir=str(log_dir) if use_trackers else None,
    )
    if use_trackers:
        accelerator.init_trackers(description.replace(" ", "_"), config=_flat(config))
    return accelerator, bool(use_trackers)


def shard(batches: Sequence[dict[str, Any]], world: int, rank: int) -> Sequence[dict[str, Any]]:
    """Data parallel over `accelerate launch`/torchrun processes: process r takes batches
    r, r+W, ...; every process takes the same number, so they step in lockstep. Slices, not
    copies: a lazy sequence (a pretraining stream) stays lazy."""
    if world == 1:
        return batches
    return batches[rank::world][: len(batches) // world]


def compile_targets(model: nn.Module) -> list[nn.Module]:
    """The sub-modules to ``compile()``: every child, except that a child holding a sparse-gradient
    embedding is entered and only that embedding stays eager.

    Why: the backward of ``nn.Embedding(sparse=True)`` is data-dependent (``nonzero``), which
    inductor cannot lower; compiling the whole encoder made it fail and retry every frame (8
    failed compilations, a 153 s warm-up and graph breaks on an H200, benchmarks/gpu/results.md).
    Compiled this way the transformer layers and heads are whole graphs and the lookup is eager.
    """
    targets: list[nn.Module] = []
    for child in model.children():
        sparse = any(isinstance(m, nn.Embedding) and m.sparse for m in child.modules())
        if not sparse:
            targets.append(child)
        elif not isinstance(child, nn.Embedding):
            targets += compile_targets(child)
    return targets


def compile_once(model: nn.Module) -> None:
    """``torch.compile`` each of :func:`compile_targets`, keeping parameter names (checkpoints stay
    loadable without compile). Once per module: a second compile() (the next phase) would throw
    away its compiled code."""
    for module in compile_targets(model):
        if getattr(module, "_compiled_call_impl", None) is None:
            module.compile()


def prepare(
    model: nn.Module, config: TrainConfig, total_steps: int, device: torch.device
) -> tuple[torch.optim.Optimizer, Any]:
    """The model on ``device`` (compiled if asked), its optimizer and linear warm-up schedule.

    No accelerator.prepare(): families call the encoder and heads directly, so the model is not
    wrapped in DDP; :func:`train_step` averages gradients itself.
    """
    use_sparse_embedding_gradients(model, config.sparse_embedding_updates)
    optimizer = make_optimizer(model, config)
    scheduler = get_linear_schedule_with_warmup(
        optimizer, warmup_steps(config, total_steps), total_steps
    )
    if config.compile:
        compile_once(model)
    model.to(device)
    return optimizer, scheduler


def train_step(
    model: nn.Module,
    batch: dict[str, Any],
    compute_loss: Callable[[nn.Module, dict[str, Any]], torch.Tensor],
    run: Run,
    config: TrainConfig,
) -> torch.Tensor:
    """One optimizer step on one batch; with several processes, on their averaged gradients."""
    model.train()
    device, world = run.accelerator.device, run.accelerator.num_processes
    batch = to_device(batch, device)
    with precision_autocast(config.precision, device.type):
        loss = compute_loss(model, batch)
    run.accelerator.backward(loss)
    if world > 1:
        average_gradients(model, world)
    clip_grad_norm(model.parameters(), config.max_grad_norm)
    run.optimizer.step()
    run.scheduler.step()
    run.optimizer.zero_grad(set_to_none=True)
    return loss


def log_step(run: Run, bar: Any, loss: torch.Tensor, progress: bool) -> None:
    """The progress bar and the trackers (``.item()`` waits for the GPU: only when read)."""
    bar.update(1)
    if progress:
        bar.set_postfix(loss=f"{loss.item():.3f}")
    if run.trackers:
        learning_rate = run.scheduler.get_last_lr()[0]
        run.accelerator.log(
            {"train/loss": loss.item(), "train/lr": learning_rate}, step=run.state.step
        )


def select(run: Run, model: nn.Module, score: float, selection: str) -> None:
    """Record the English dev ``score`` of this step; keep the parameters if it is the best.

    With ``selection == "last"`` (XTREME's QA rule) the dev score is only logged.
    """
    state = run.state
    state.history.append((state.step, score))
    if run.trackers:
        run.accelerator.log({"dev/en": score}, step=state.step)
    if selection == "last":
        state.best_dev = score
    elif score > state.best_dev:
        state.best_dev, state.best_step = score, state.step
        run.best_state = trainable_copy(model)


def add_to_average(run: Run, model: nn.Module) -> None:
    """Add the current parameters to the checkpoint average (fp64 sums)."""
    current = trainable_copy(model)
    if run.average_sum is None:
        run.average_sum = {k: v.double() for k, v in current.items()}
    else:
        for k, v in current.items():
            run.average_sum[k] += v.double()
    run.state.averaged += 1


def save(run: Run, model: nn.Module, checkpoint_dir: Path | None) -> None:
    """Write the resume checkpoint (main process); the time so far is counted first, so a
    resumed run's ``seconds`` includes it (the save itself is not counted)."""
    run.state.seconds += time.perf_counter() - run.clock
    if checkpoint_dir is not None:
        # every process's random state (each draws its own dropout masks), saved by the main one
        world = run.accelerator.num_processes
        states: list[Any] = [rng_state()]
        if world > 1:
            states = [None] * world
            torch.distributed.all_gather_object(states, rng_state())
        if run.accelerator.is_main_process:
            save_checkpoint(
                checkpoint_dir, model, run.optimizer, run.scheduler, run.state, run.best_state,
                run.average_sum, rng_states=states,
            )  # fmt: skip
    run.clock = time.perf_counter()


def finish(run: Run, model: nn.Module) -> TrainResult:
    """Leave the model holding the selected parameters (dense gradients again) and report."""
    state = run.state
    use_sparse_embedding_gradients(model, False)  # the model leaves as it came
    if run.trackers:
        run.accelerator.end_training()
    state.seconds += time.perf_counter() - run.clock
    if run.best_state is not None:
        copy_parameters(model, run.best_state)
    else:
        state.best_step = state.step
    average = None
    if run.average_sum is not None and state.averaged:
        average = {k: (v / state.averaged).float() for k, v in run.average_sum.items()}
    return TrainResult(
        state.best_dev, state.best_step, state.step, state.seconds, state.history, average
    )


def train(
    model: nn.Module,
    batches_for_epoch: Callable[[int], Sequence[dict[str, Any]]],
    compute_loss: Callable[[nn.Module, dict[str, Any]], torch.Tensor],
    evaluate_dev: Callable[[int], float] | None,
    config: TrainConfig,
    description: str,
    checkpoint_dir: Path | None = None,
    checkpoint_every: int = 0,
    progress: bool = True,
    log_dir: Path | None = None,
    trackers: Sequence[str] = (),
) -> TrainResult:
    """Train ``model`` in place; at the end it holds the best-on-English-dev parameters.

    Model selection follows the XTREME scripts: evaluate on the English dev set every
    ``eval_every_epochs`` epochs and keep the best checkpoint (true zero-shot: no target-language
    data is looked at). Without a dev set the last parameters are kept. ``evaluate_dev(step)``
    returns the English dev score at ``step`` (callers may record more there, e.g. per-language
    dev scores for oracle selection).

    ``batches_for_epoch(e)`` must be a pure function of ``e`` (seeded per epoch): that is what lets
    a run killed mid-epoch resume from ``checkpoint_dir`` with identical results. A checkpoint is
    written every ``checkpoint_every`` steps and at every evaluation (0 = only at evaluations).
    ``trackers`` (``tensorboard``, ``mlflow``, ``wandb``) log under ``log_dir``.
    """
    accelerator, use_trackers = start_accelerator(config, description, log_dir, trackers)
    world, rank = accelerator.num_processes, accelerator.process_index
    steps_per_epoch = len(shard(batches_for_epoch(0), world, rank))
    if steps_per_epoch == 0:
        raise ValueError(f"{description}: fewer batches than processes ({world})")
    total_steps = max(1, math.ceil(config.epochs * steps_per_epoch))
    eval_interval = max(1, round(config.eval_every_epochs * steps_per_epoch))
    optimizer, scheduler = prepare(model, config, total_steps, accelerator.device)
    resumed = resume(checkpoint_dir, model, optimizer, scheduler, rank)
    run = Run(accelerator, optimizer, scheduler, *resumed, trackers=use_trackers)
    state = run.state
    bar = tqdm(total=total_steps, initial=state.step, desc=description, unit="step", leave=False,
               disable=not progress)  # fmt: skip
    while state.step < total_steps:
        epoch, skip = divmod(state.step, steps_per_epoch)
        for batch in shard(batches_for_epoch(epoch), world, rank)[skip:]:
            loss = train_step(model, batch, compute_loss, run, config)
            state.step += 1
            log_step(run, bar, loss, progress)
            at_evaluation = state.step % eval_interval == 0 or state.step == total_steps
            if evaluate_dev is not None and at_evaluation:
                select(run, model, evaluate_dev(state.step), config.selection)
            if config.average_checkpoints and at_evaluation:
                add_to_average(run, model)
            evaluated = at_evaluation and (evaluate_dev is not None or config.average_checkpoints)
            if evaluated or (checkpoint_every and state.step % checkpoint_every == 0):
                save(run, model, checkpoint_dir)
            if state.step >= total_steps:
                break
    bar.close()
    return finish(run, model)
