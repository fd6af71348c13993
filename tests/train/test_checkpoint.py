"""atomic_folder: the write-then-rename shared by training checkpoints and saved encoders."""

from __future__ import annotations

from pathlib import Path

import pytest

from xstilts.train.checkpoint import atomic_folder, find_checkpoint


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
