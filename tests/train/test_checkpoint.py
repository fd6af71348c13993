"""Checkpoints: the atomic write-then-rename shared with saved encoders; per-process RNG."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from torch import nn
from transformers import get_linear_schedule_with_warmup

from xstilts.train.checkpoint import (
    CheckpointError,
    LoopState,
    atomic_folder,
    find_checkpoint,
    load_checkpoint,
    resume,
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
    assert sorted(p.name for p in folder.iterdir()) == ["b.txt", "manifest.json"]


def test_a_failed_write_keeps_the_previous_folder(tmp_path: Path) -> None:
    folder = tmp_path / "checkpoint"
    with atomic_folder(folder) as tmp:
        (tmp / "trainer.json").write_text("{}", encoding="utf-8")
    with pytest.raises(Killed), atomic_folder(folder) as tmp:
        (tmp / "half").write_text("", encoding="utf-8")
        raise Killed
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "trainer.json"]
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


class Marker:
    """Unpickling this writes a file: what a crafted ``optimizer.pt`` could do."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def _trained_checkpoint(folder: Path) -> tuple[nn.Module, torch.optim.Optimizer, object]:
    model, optimizer, scheduler = _parts()
    model(torch.ones(3, 2)).sum().backward()
    optimizer.step()
    scheduler.step()
    save_checkpoint(folder, model, optimizer, scheduler, LoopState(step=1), None)
    return model, optimizer, scheduler


@pytest.mark.parametrize("with_manifest", [True, False])
def test_a_crafted_pickle_never_runs(tmp_path: Path, with_manifest: bool) -> None:
    folder, marker = tmp_path / "ck", tmp_path / "pwned"
    _trained_checkpoint(folder)
    pickle_bytes = pickle.dumps({"optimizer": Marker(marker)})
    (folder / "optimizer.pt").write_bytes(pickle_bytes)
    if not with_manifest:  # the layout of older xstilts versions
        (folder / "manifest.json").unlink()
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(folder, *_parts())
    assert "optimizer.pt" in str(caught.value) and "\n" not in str(caught.value)
    assert not marker.exists()
    # no loader in the package unpickles anything (tensors/JSON only)
    assert find_checkpoint(folder) == folder
    state, best, _ = resume(folder, *_parts())
    assert state.step == 0 and best is None and not marker.exists()


def test_state_round_trips_exactly(tmp_path: Path) -> None:
    model, optimizer, scheduler = _trained_checkpoint(tmp_path / "ck")
    fresh = _parts()
    state, _, _ = load_checkpoint(tmp_path / "ck", *fresh)
    assert state.step == 1
    saved, loaded = optimizer.state_dict(), fresh[1].state_dict()
    assert saved["param_groups"] == loaded["param_groups"]
    for index, values in saved["state"].items():
        for key, tensor in values.items():
            assert torch.equal(tensor, loaded["state"][index][key]), key
    assert scheduler.state_dict() == fresh[2].state_dict()  # type: ignore[attr-defined]
    for name, parameter in model.named_parameters():
        assert torch.equal(parameter, dict(fresh[0].named_parameters())[name])


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("model.safetensors", "flip"),
        ("optimizer.safetensors", "truncate"),
        ("optimizer.json", "flip"),
        ("trainer.json", "truncate"),
        ("manifest.json", "truncate"),
    ],
)
def test_damage_is_one_line_naming_the_file_and_changes_nothing(
    tmp_path: Path, name: str, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "ck"
    _trained_checkpoint(folder)
    path = folder / name
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x10
    else:
        data = data[: len(data) // 2]
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(folder, *_parts())
    message = str(caught.value)
    assert name in message and "\n" not in message and "delete" in message
    torch.manual_seed(3)
    model, optimizer, scheduler = _parts()
    before = [p.detach().clone() for p in model.parameters()]
    expected_draw = torch.rand(2)
    torch.manual_seed(3)
    model, optimizer, scheduler = _parts()
    state, _, _ = resume(folder, model, optimizer, scheduler)
    assert state.step == 0 and "from the start" in caplog.text
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert not optimizer.state_dict()["state"]
    assert torch.equal(torch.rand(2), expected_draw)  # the random state is untouched too


def test_a_checkpoint_of_another_model_is_rejected_before_any_change(tmp_path: Path) -> None:
    _trained_checkpoint(tmp_path / "ck")
    model = nn.Linear(2, 3)
    optimizer = torch.optim.AdamW(model.parameters())
    scheduler = get_linear_schedule_with_warmup(optimizer, 0, 10)
    before = model.weight.detach().clone()
    with pytest.raises(CheckpointError, match=r"model\.safetensors"):
        load_checkpoint(tmp_path / "ck", model, optimizer, scheduler)
    assert torch.equal(model.weight, before)
