"""The training loop: exact resume, selection and averaging, bf16 autocast, fused AdamW,
gradient all-reduce."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from helpers import torchrun
from xstilts.config import TrainConfig
from xstilts.train.loop import average_gradients, make_optimizer, train


class Toy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.linear = nn.Linear(4, 3)
        self.dropout = nn.Dropout(0.3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.dropout(x))


def batches(epoch: int) -> list[dict[str, torch.Tensor]]:
    generator = torch.Generator().manual_seed(100 + epoch)
    return [
        {
            "x": torch.randn(8, 4, generator=generator),
            "y": torch.randint(0, 3, (8,), generator=generator),
        }
        for _ in range(5)
    ]


def loss_fn(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return nn.functional.cross_entropy(model(batch["x"]), batch["y"])


def dev_score(model: nn.Module) -> float:
    x = torch.linspace(-1, 1, 12).reshape(3, 4)
    with torch.no_grad():
        return float(model.linear(x).sum())


CONFIG = TrainConfig(epochs=3, eval_every_epochs=1, learning_rate=0.05, warmup_ratio=0.2)


class Killed(Exception):
    pass


def test_resume_after_a_crash_gives_identical_parameters(tmp_path: Path) -> None:
    reference = Toy()
    train(reference, batches, loss_fn, lambda step: dev_score(reference), CONFIG, "ref",
          checkpoint_dir=tmp_path / "ref", checkpoint_every=1, progress=False)  # fmt: skip

    crashed = Toy()
    calls = {"n": 0}

    def crashing_loss(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        calls["n"] += 1
        if calls["n"] == 8:  # mid epoch 2, after the checkpoint of step 7
            raise Killed
        return loss_fn(model, batch)

    with pytest.raises(Killed):
        train(crashed, batches, crashing_loss, lambda step: dev_score(crashed), CONFIG, "a",
              checkpoint_dir=tmp_path / "run", checkpoint_every=1, progress=False)  # fmt: skip
    torch.manual_seed(12345)  # a fresh process would have a different RNG state: restored anyway
    resumed = Toy()
    result = train(resumed, batches, loss_fn, lambda step: dev_score(resumed), CONFIG, "b",
                   checkpoint_dir=tmp_path / "run", checkpoint_every=1, progress=False)  # fmt: skip
    assert result.steps == 15
    for (name, a), (_, b) in zip(
        reference.named_parameters(), resumed.named_parameters(), strict=True
    ):
        assert torch.equal(a, b), name


def test_best_dev_selection_and_checkpoint_average() -> None:
    model = Toy()
    config = TrainConfig(**{**vars(CONFIG), "average_checkpoints": True})
    seen: list[dict[str, torch.Tensor]] = []

    def score(step: int) -> float:
        seen.append({k: v.detach().clone() for k, v in model.named_parameters()})
        return [3.0, 5.0, 4.0][len(seen) - 1]  # the best is the second evaluation

    result = train(model, batches, loss_fn, score, config, "avg", progress=False)
    assert result.best_step == 10 and result.best_dev == 5.0
    assert torch.equal(model.linear.weight, seen[1]["linear.weight"])  # best kept in the model
    expected = sum(s["linear.weight"] for s in seen) / 3
    assert result.average_state is not None
    assert torch.allclose(result.average_state["linear.weight"], expected, atol=1e-6)


def test_bf16_autocast_trains_on_cpu() -> None:
    model = Toy()
    config = TrainConfig(**{**vars(CONFIG), "precision": "bf16", "epochs": 1})
    result = train(model, batches, loss_fn, None, config, "bf16", progress=False)
    assert result.steps == 5
    assert torch.isfinite(model.linear.weight).all()


def test_fused_adamw_on_cpu_by_default_and_same_training_as_unfused() -> None:
    """The fused kernel (default, CPU too) and the per-tensor loop agree to float rounding."""
    assert make_optimizer(Toy(), CONFIG).defaults["fused"] is True
    off = TrainConfig(**{**vars(CONFIG), "fused_optimizer": False})
    assert not make_optimizer(Toy(), off).defaults["fused"]
    fused, unfused = Toy(), Toy()
    for model, config in ((fused, CONFIG), (unfused, off)):
        torch.manual_seed(1)  # same dropout masks
        train(model, batches, loss_fn, None, config, "adamw", progress=False)
    assert not torch.equal(fused.linear.weight, Toy().linear.weight)  # it trained
    assert torch.allclose(fused.linear.weight, unfused.linear.weight, atol=1e-5)


def test_average_gradients_averages_and_leaves_unused_parameters_alone() -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:29533", rank=0, world_size=1)
    try:
        model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
        model[0].weight.grad = torch.ones(2, 2) * 4
        average_gradients(model, world=1)
        assert torch.equal(model[0].weight.grad, torch.ones(2, 2) * 4)
        assert model[1].weight.grad is None  # no process has it: the optimizer must skip it
    finally:
        dist.destroy_process_group()


_TWO_RANKS = """
import sys
import torch
import torch.distributed as dist
from torch import nn
from xstilts.train.loop import average_gradients

dist.init_process_group("gloo")
rank = dist.get_rank()
model = nn.ModuleDict({"shared": nn.Linear(2, 2), "a": nn.Linear(2, 1), "b": nn.Linear(2, 1),
                       "c": nn.Linear(2, 1)})
model["shared"].weight.grad = torch.full((2, 2), float(rank + 1))
(model["a"] if rank == 0 else model["b"]).weight.grad = torch.full((1, 2), 6.0)
average_gradients(model, world=2)
assert torch.equal(model["shared"].weight.grad, torch.full((2, 2), 1.5))
assert torch.equal(model["a"].weight.grad, torch.full((1, 2), 3.0))  # zeros from rank 1
assert torch.equal(model["b"].weight.grad, torch.full((1, 2), 3.0))
assert model["c"].weight.grad is None and model["c"].bias.grad is None  # on no rank
assert model["shared"].bias.grad is None
dist.destroy_process_group()
"""


@pytest.mark.slow
def test_average_gradients_over_two_processes(tmp_path: Path) -> None:
    """Two gloo processes: shared gradients averaged, a head used on one rank gets the other's
    zeros (DDP semantics), a head used on none keeps ``grad=None``."""
    script = tmp_path / "two_ranks.py"
    script.write_text(_TWO_RANKS, encoding="utf-8")
    torchrun(str(script), timeout=120)


def test_mlflow_tracker_receives_loss_lr_dev_score_and_hyper_parameters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``trackers: [mlflow]`` goes through accelerate's MLflow tracker (local file store here)."""
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"file://{tmp_path}/mlruns")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    model = Toy()
    train(model, batches, loss_fn, lambda step: dev_score(model), CONFIG, "target xnli",
          log_dir=tmp_path / "logs", trackers=["mlflow"], progress=False)  # fmt: skip
    runs = mlflow.search_runs(search_all_experiments=True)
    assert len(runs) == 1 and runs.loc[0, "status"] == "FINISHED"
    client = mlflow.tracking.MlflowClient()
    run_id = runs.loc[0, "run_id"]
    assert len(client.get_metric_history(run_id, "train/loss")) == 15  # 3 epochs x 5 batches
    assert [m.step for m in client.get_metric_history(run_id, "dev/en")] == [5, 10, 15]
    assert runs.loc[0, "params.learning_rate"] == "0.05"
