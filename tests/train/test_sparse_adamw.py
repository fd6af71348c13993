"""Row-wise (lazy) AdamW for sparse embedding gradients: equal to dense AdamW on the rows a batch
touches, and exactly the documented lazy rule elsewhere."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
import torch
from torch import nn

from xstilts.config import TrainConfig
from xstilts.train.loop import train as train_loop
from xstilts.train.sparse_adamw import (
    RowSparseAdamW,
    clip_grad_norm,
    use_sparse_embedding_gradients,
)

VOCAB, DIM = 40, 6
ALWAYS = [3, 4, 5]  # rows in every batch
PAD = 1


class Bag(nn.Module):
    """Embedding lookup + linear classifier: the embedding gradient holds the looked-up rows."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.embed = nn.Embedding(VOCAB, DIM, padding_idx=PAD)
        self.out = nn.Linear(DIM, 2)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.embed(ids)).mean(1))

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed


def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(step)
    # every row the loss sees is in every batch (ALWAYS, repeated at random, and the zero padding
    # row): a row seen only sometimes would move under dense AdamW's stale momentum and change
    # the loss, so no other parameter could be compared
    extra = torch.tensor(ALWAYS)[torch.randint(0, len(ALWAYS), (4, 3), generator=generator)]
    ids = torch.cat([torch.tensor([ALWAYS] * 4), extra, torch.full((4, 1), PAD)], dim=1)
    return ids, torch.randint(0, 2, (4,), generator=generator)


def groups(model: nn.Module) -> list[dict]:
    return [
        {"params": [model.embed.weight, model.out.weight], "weight_decay": 0.1},
        {"params": [model.out.bias], "weight_decay": 0.0},
    ]


def train(model: Bag, optimizer: torch.optim.Optimizer, steps: range, sparse: bool) -> None:
    model.embed.sparse = sparse
    for step in steps:
        ids, labels = batch(step)
        nn.functional.cross_entropy(model(ids), labels).backward()
        if sparse:
            clip_grad_norm(model.parameters(), 0.05)
        else:
            nn.utils.clip_grad_norm_(model.parameters(), 0.05)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)


@pytest.mark.parametrize("fused", [False, True])
def test_rows_touched_every_step_follow_dense_adamw(fused: bool) -> None:
    """Against the reference per-tensor AdamW; with ``fused`` the dense parameters of the row
    optimizer take the fused kernel (the loop's default)."""
    sparse, dense = Bag(), Bag()
    start = sparse.embed.weight.detach().clone()
    row_opt = RowSparseAdamW(groups(sparse), lr=0.05, foreach=False, fused=fused or None)
    dense_opt = torch.optim.AdamW(groups(dense), lr=0.05, foreach=False)
    train(sparse, row_opt, range(6), sparse=True)
    train(dense, dense_opt, range(6), sparse=False)
    # the clip at 0.05 is active (every gradient norm is larger), so clipping is compared too
    always = torch.tensor(ALWAYS)
    got, want = sparse.embed.weight[always], dense.embed.weight[always]
    assert not torch.equal(got, start[always])
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-7)
    for name in ("out.weight", "out.bias"):
        torch.testing.assert_close(
            sparse.get_parameter(name), dense.get_parameter(name), rtol=1e-6, atol=1e-7
        )
    # never-used rows: lazy AdamW leaves them as they were; dense AdamW decays them
    unused = torch.tensor([0, 2, 6, 20])
    assert torch.equal(sparse.embed.weight[unused], start[unused])
    assert not torch.equal(dense.embed.weight[unused], start[unused])
    assert torch.equal(sparse.embed.weight[PAD], start[PAD])  # padding row: zero gradient


def test_an_intermittent_row_follows_the_lazy_rule_by_hand() -> None:
    """A row seen at steps 1 and 3 only: its moments are not decayed at step 2; the bias
    correction uses the global step t = 3 (module docstring)."""
    weight = nn.Parameter(torch.tensor([[1.0, -2.0], [0.5, 0.5]]))
    lr, wd, (b1, b2), eps = 0.1, 0.01, (0.9, 0.999), 1e-8
    optimizer = RowSparseAdamW([weight], lr=lr, weight_decay=wd, betas=(b1, b2), eps=eps)
    grads = {1: [0.3, -0.4], 2: None, 3: [-0.2, 0.1]}  # row 0's gradient per step
    p, m, v = [1.0, -2.0], [0.0, 0.0], [0.0, 0.0]
    for t, g in grads.items():
        rows = [0, 1] if g is not None else [1]
        values = [g or [0.0, 0.0], [0.05, 0.05]] if g is not None else [[0.05, 0.05]]
        weight.grad = torch.sparse_coo_tensor([rows], values, (2, 2), check_invariants=True)
        optimizer.step()
        if g is None:
            continue
        for i in range(2):
            p[i] *= 1 - lr * wd
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
            denom = math.sqrt(v[i]) / math.sqrt(1 - b2**t) + eps
            p[i] -= lr / (1 - b1**t) * m[i] / denom
    torch.testing.assert_close(weight.detach()[0], torch.tensor(p), rtol=1e-6, atol=1e-7)
    assert float(optimizer.state[weight]["step"]) == 3


def test_state_dict_round_trip_resumes_identically() -> None:
    straight, first = Bag(), Bag()
    opt = RowSparseAdamW(groups(straight), lr=0.05)
    train(straight, opt, range(6), sparse=True)
    opt_a = RowSparseAdamW(groups(first), lr=0.05)
    train(first, opt_a, range(3), sparse=True)
    saved_model, saved_opt = copy.deepcopy(first.state_dict()), copy.deepcopy(opt_a.state_dict())
    assert all(torch.is_tensor(v) for s in saved_opt["state"].values() for v in s.values())
    resumed = Bag()
    resumed.load_state_dict(saved_model)
    opt_b = RowSparseAdamW(groups(resumed), lr=0.05)
    opt_b.load_state_dict(saved_opt)
    train(resumed, opt_b, range(3, 6), sparse=True)
    for name, parameter in straight.named_parameters():
        assert torch.equal(parameter, resumed.get_parameter(name)), name


def test_dense_gradients_take_adamw_unchanged() -> None:
    """Without sparse gradients the optimizer and the clip are AdamW and clip_grad_norm_."""
    a, b = Bag(), Bag()
    train(a, RowSparseAdamW(groups(a), lr=0.05, fused=True), range(3), sparse=False)
    train(b, torch.optim.AdamW(groups(b), lr=0.05, fused=True), range(3), sparse=False)
    for name, parameter in a.named_parameters():
        assert torch.equal(parameter, b.get_parameter(name)), name


def test_switch_follows_config_and_frozen_embeddings() -> None:
    model = Bag()
    assert use_sparse_embedding_gradients(model, True) and model.embed.sparse
    assert not use_sparse_embedding_gradients(model, False) and not model.embed.sparse
    model.embed.weight.requires_grad_(False)
    assert not use_sparse_embedding_gradients(model, True) and not model.embed.sparse
    assert not use_sparse_embedding_gradients(nn.Linear(2, 2), True)


def test_the_loop_trains_rows_sparsely_and_resumes_bit_for_bit(tmp_path: Path) -> None:
    """Through ``train``: unused rows keep their value; a killed run resumes to the same model
    (the row optimizer's state goes through the checkpoint)."""

    def batches(epoch: int) -> list[dict[str, torch.Tensor]]:
        return [dict(zip(("ids", "y"), batch(10 * epoch + i), strict=True)) for i in range(4)]

    calls = {"n": 0}

    def loss(model: nn.Module, data: dict[str, torch.Tensor]) -> torch.Tensor:
        return nn.functional.cross_entropy(model(data["ids"]), data["y"])

    config = TrainConfig(epochs=2, learning_rate=0.05, warmup_ratio=0.0, weight_decay=0.1)
    straight = Bag()
    start = straight.embed.weight.detach().clone()
    train_loop(straight, batches, loss, None, config, "straight", progress=False)
    assert not straight.embed.sparse  # sparse during the phase only
    unused = torch.tensor([0, 2, 6, 20])
    assert torch.equal(straight.embed.weight[unused], start[unused])
    assert not torch.equal(straight.embed.weight[torch.tensor(ALWAYS)], start[ALWAYS])

    def crashing(model: nn.Module, data: dict[str, torch.Tensor]) -> torch.Tensor:
        calls["n"] += 1
        if calls["n"] == 6:  # mid epoch 2, after the checkpoint of step 5
            raise RuntimeError("killed")
        return nn.functional.cross_entropy(model(data["ids"]), data["y"])

    calls["n"] = 0
    with pytest.raises(RuntimeError, match="killed"):
        train_loop(Bag(), batches, crashing, None, config, "a", checkpoint_dir=tmp_path / "run",
                   checkpoint_every=1, progress=False)  # fmt: skip
    resumed = Bag()
    result = train_loop(resumed, batches, loss, None, config, "b", checkpoint_dir=tmp_path / "run",
                        checkpoint_every=1, progress=False)  # fmt: skip
    assert result.steps == 8
    for name, parameter in straight.named_parameters():
        assert torch.equal(parameter, resumed.get_parameter(name)), name


def test_average_gradients_keeps_embedding_gradients_sparse() -> None:
    """Data parallel: the row gradient is reduced densely and comes back sparse (same rows)."""
    import torch.distributed as dist

    from xstilts.train.loop import average_gradients

    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:29541", rank=0, world_size=1)
    try:
        model = Bag()
        model.embed.sparse = True
        ids, labels = batch(0)
        nn.functional.cross_entropy(model(ids), labels).backward()
        before = model.embed.weight.grad.coalesce()
        average_gradients(model, world=1)
        after = model.embed.weight.grad
        assert after.is_sparse
        assert torch.equal(after.coalesce().indices(), before.indices()[:, before.values().any(1)])
        torch.testing.assert_close(after.to_dense(), before.to_dense())
    finally:
        dist.destroy_process_group()
