"""Checkpoints: the atomic write-then-rename shared with saved encoders; per-process RNG."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn
from transformers import get_linear_schedule_with_warmup

from xstilts.train.checkpoint import (
    LoopState,
    atomic_folder,
    find_checkpoint,
    load_checkpoint,
    rng_state,
    save_checkpoint,
)


class Killed(Exception):
    pass


def test_replaces_an_existing_folder_and_leaves_no_temporary(tmp_path: Path) -> None:
    folder = tmp_path / "deep" / "checkpoint"
    with atomic_folder(folder) as tmp:
        assert not folder.exists()
        (tmp / "a.txt").write_text("1", encoding="utf-8")
    with atomic_folder(folder) as tmp:
        (tmp / "b.txt").write_text("2", encoding="utf-8")
    assert sorted(p.name for p in folder.parent.iterdir()) == ["checkpoint"]
    assert sorted(p.name for p in folder.iterdir()) == ["b.txt"]


def test_a_failed_write_keeps_the_previous_folder(tmp_path: Path) -> None:
    folder = tmp_path / "checkpoint"
    with atomic_folder(folder) as tmp:
        (tmp / "trainer.json").write_text("{}", encoding="utf-8")
    with pytest.raises(Killed), atomic_folder(folder) as tmp:
        (tmp / "half").write_text("", encoding="utf-8")
        raise Killed
    assert sorted(p.name for p in folder.iterdir()) == ["trainer.json"]
    assert find_checkpoint(folder) == folder
    with atomic_folder(folder) as tmp:  # the stale temporary folder is cleared, not reused
        assert list(tmp.iterdir()) == []


def test_keep_existing_keeps_the_first_copy(tmp_path: Path) -> None:
    folder = tmp_path / "encoder"
    with atomic_folder(folder, keep_existing=True) as tmp:
        (tmp / "meta.json").write_text("first", encoding="utf-8")
    with atomic_folder(folder, keep_existing=True) as tmp:
        (tmp / "meta.json").write_text("second", encoding="utf-8")
    assert (folder / "meta.json").read_text(encoding="utf-8") == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["encoder"]


def _parts() -> tuple[nn.Module, torch.optim.Optimizer, object]:
    model = nn.Linear(2, 2)
    optimizer = torch.optim.AdamW(model.parameters())
    return model, optimizer, get_linear_schedule_with_warmup(optimizer, 0, 10)


def test_each_process_resumes_with_its_own_random_state(tmp_path: Path) -> None:
    """Data-parallel processes draw different dropout masks: the checkpoint keeps each one's
    generator, and process ``r`` resumes from its own (rank 0's if the run had fewer)."""
    torch.manual_seed(10)
    rank0 = rng_state()
    torch.manual_seed(11)
    rank1 = rng_state()
    model, optimizer, scheduler = _parts()
    save_checkpoint(tmp_path / "ck", model, optimizer, scheduler, LoopState(), None,
                    rng_states=[rank0, rank1])  # fmt: skip
    draws = {}
    for rank in (0, 1, 2):
        torch.manual_seed(99)
        load_checkpoint(tmp_path / "ck", *_parts(), rank=rank)
        draws[rank] = torch.rand(3)
    torch.manual_seed(10)
    assert torch.equal(draws[0], torch.rand(3))
    torch.manual_seed(11)
    assert torch.equal(draws[1], torch.rand(3))
    assert torch.equal(draws[2], draws[0])


def test_checkpoint_of_an_older_layout_restores_the_cpu_generator(tmp_path: Path) -> None:
    model, optimizer, scheduler = _parts()
    save_checkpoint(tmp_path / "ck", model, optimizer, scheduler, LoopState(), None)
    extra = torch.load(tmp_path / "ck" / "optimizer.pt", weights_only=False)
    torch.manual_seed(5)
    extra["torch_rng"] = torch.get_rng_state()  # what checkpoints held before per-process RNG
    del extra["rng"]
    torch.save(extra, tmp_path / "ck" / "optimizer.pt")
    expected = torch.rand(2)
    load_checkpoint(tmp_path / "ck", *_parts())
    assert torch.equal(torch.rand(2), expected)
