"""Trainable word embeddings at frozen-embedding speed: sparse row gradients + a row-wise AdamW.

XLM-R's word-embedding matrix is 250k x d; a batch touches a few thousand of its rows. Dense AdamW
reads and writes all of it every step (parameter, two moments, a dense gradient: ~5 x 384 MB for
e5-small, ~2 s a step on 2 CPU cores), which is why the demo used to freeze it. Here the embedding
lookup emits a *sparse* gradient (``nn.Embedding.sparse``: only the looked-up rows) and
:class:`RowSparseAdamW` updates only those rows ("lazy" Adam, as ``torch.optim.SparseAdam`` and
TensorFlow's ``LazyAdamOptimizer`` do, here with AdamW's decoupled weight decay).

How it differs from dense AdamW (``torch.optim.AdamW``), exactly:

- A row the batch touches gets exactly the dense AdamW update, in the same order of operations:
  ``p *= 1 - lr·wd``; ``m = β1·m + (1-β1)·g``; ``v = β2·v + (1-β2)·g²``;
  ``p -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + eps)`` with the *global* step ``t`` of the
  parameter (one per optimizer step that saw a gradient for it). A row touched at every step
  therefore follows dense AdamW to float rounding (tested).
- A row the batch does not touch is left exactly as it is: dense AdamW would (1) shrink it by
  weight decay, ``p *= 1 - lr·wd``, (2) decay its moments, ``m *= β1``, ``v *= β2``, and (3) keep
  moving it by its stale momentum, ``p -= lr·m̂/(sqrt(v̂)+eps)``. Lazy AdamW does none of the
  three: rare tokens keep their pretrained value and their last moments until they reappear, and
  when they do, their ``m``, ``v`` have not decayed for the steps they missed (their effective
  step size then differs from dense AdamW's). The padding row (zero gradient) is never touched.
- Gradient clipping (:func:`clip_grad_norm`) uses the same global norm as dense clipping: the rows
  a batch does not touch have zero gradient and add nothing to it.

Everything else (every dense gradient: transformer layers, heads, and the embedding matrix on a
step where a tied MLM decoder makes its gradient dense) goes through ``torch.optim.AdamW`` itself
(fused kernel where configured), so training with frozen embeddings is bit-for-bit unchanged. The
state is AdamW's own (``step``, ``exp_avg``, ``exp_avg_sq`` per parameter: plain tensors), so
checkpoints save and restore it as they do AdamW's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn


class RowSparseAdamW(torch.optim.AdamW):
    """``torch.optim.AdamW`` that updates only the touched rows of a parameter whose gradient is a
    sparse COO tensor (see the module docstring for the exact differences); dense gradients take
    AdamW's own path, with the same options (``fused``, ``foreach``)."""

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        sparse = [
            (group, p)
            for group in self.param_groups
            for p in group["params"]
            if p.grad is not None and p.grad.is_sparse
        ]
        if not sparse:
            super().step()
            return loss
        grads = {p: p.grad for _, p in sparse}
        for _, p in sparse:  # AdamW skips parameters without a gradient
            p.grad = None
        try:
            super().step()
            for group, p in sparse:
                self._row_update(group, p, grads[p])
        finally:
            for _, p in sparse:
                p.grad = grads[p]
        return loss

    def _row_update(self, group: dict[str, Any], p: torch.Tensor, grad: torch.Tensor) -> None:
        if group["amsgrad"] or group["maximize"]:
            raise ValueError("RowSparseAdamW: amsgrad and maximize are not supported for rows")
        grad = grad.coalesce()  # repeated tokens in a batch: one row, summed
        rows, values = grad.indices()[0], grad.values().to(p.dtype)
        state = self.state[p]
        if not state:  # as AdamW._init_group: the step on the device only for fused/capturable
            on_device = group["fused"] or group["capturable"]
            device = p.device if on_device else None
            state["step"] = torch.zeros((), dtype=torch.float32, device=device)
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        step_t = state["step"]
        step_t += 1
        beta1, beta2 = group["betas"]
        lr, weight_decay, eps = float(group["lr"]), group["weight_decay"], group["eps"]
        param_rows = p.index_select(0, rows)
        if weight_decay != 0:
            param_rows.mul_(1 - lr * weight_decay)
        exp_avg = state["exp_avg"].index_select(0, rows).lerp_(values, 1 - beta1)
        exp_avg_sq = state["exp_avg_sq"].index_select(0, rows)
        exp_avg_sq.mul_(beta2).addcmul_(values, values, value=1 - beta2)
        if step_t.device.type == "cpu":  # AdamW's single-tensor arithmetic, exactly
            step = float(step_t)
            denom = (exp_avg_sq.sqrt() / math.sqrt(1 - beta2**step)).add_(eps)
            param_rows.addcdiv_(exp_avg, denom, value=-lr / (1 - beta1**step))
        else:  # a step counter on the GPU is not read back (no sync): AdamW's capturable form
            step_size = lr / (1 - beta1**step_t)
            bias_correction2_sqrt = (1 - beta2**step_t).sqrt()
            denom = (exp_avg_sq.sqrt() / (bias_correction2_sqrt * step_size)).add_(eps / step_size)
            param_rows.addcdiv_(exp_avg, denom, value=-1.0)
        state["exp_avg"].index_copy_(0, rows, exp_avg)
        state["exp_avg_sq"].index_copy_(0, rows, exp_avg_sq)
        p.index_copy_(0, rows, param_rows)


def clip_grad_norm(parameters: Iterable[torch.Tensor], max_norm: float) -> torch.Tensor:
    """``torch.nn.utils.clip_grad_norm_`` that also accepts sparse (row) gradients.

    Without sparse gradients it *is* ``clip_grad_norm_`` (same numbers). With them, each sparse
    gradient is coalesced (rows summed) and its values count in the global L2 norm as the dense
    gradient's non-zero rows would; all gradients are then scaled by the same factor.
    """
    params = [p for p in parameters if p.grad is not None]
    if not any(p.grad.is_sparse for p in params):  # type: ignore[union-attr]
        total: torch.Tensor = torch.nn.utils.clip_grad_norm_(params, max_norm)
        return total
    norms = []
    for p in params:
        grad = p.grad
        assert grad is not None
        if grad.is_sparse:
            grad = p.grad = grad.coalesce()
            norms.append(torch.linalg.vector_norm(grad.values()))
        else:
            norms.append(torch.linalg.vector_norm(grad))
    total = torch.linalg.vector_norm(torch.stack([n.to(norms[0].device) for n in norms]))
    # the same clamped coefficient as clip_grads_with_norm_ (torch.nn.utils.clip_grad)
    coefficient = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for p in params:
        grad = p.grad
        assert grad is not None
        if grad.is_sparse:
            grad.values().mul_(coefficient.to(grad.device))
        else:
            grad.mul_(coefficient.to(grad.device))
    return total


def word_embeddings(model: nn.Module) -> nn.Embedding | None:
    """The encoder's input word-embedding module, if the model has one (``EncoderWithHeads``)."""
    encoder = getattr(model, "encoder", model)
    get = getattr(encoder, "get_input_embeddings", None)
    module = get() if callable(get) else None
    return module if isinstance(module, nn.Embedding) else None


def use_sparse_embedding_gradients(model: nn.Module, enabled: bool) -> bool:
    """Make the trainable word embeddings emit sparse (row) gradients, or dense ones again.

    :func:`xstilts.train.loop.train` turns it on for its phase and off at the end (the flag
    lives on the module: code that trains the same model afterwards must get dense gradients).
    Returns whether sparse gradients are on: never for frozen embeddings or without an embedding.
    """
    module = word_embeddings(model)
    if module is None:
        return False
    module.sparse = bool(enabled and module.weight.requires_grad)
    return module.sparse
