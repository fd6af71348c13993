"""The shared fixtures' own checks can fail: the ``demo_data`` guard sees a changed file."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import changed_files, fingerprint
from tiny_models import DEMO_DATA


def test_the_demo_data_guard_names_added_changed_and_removed_files(tmp_path: Path) -> None:
    copy = tmp_path / "tatoeba"
    shutil.copytree(DEMO_DATA / "tatoeba", copy)
    before = fingerprint(copy)
    assert before and changed_files(before, fingerprint(copy)) == []
    first, second = sorted(before)[:2]
    (copy / first).write_text("changed\n", encoding="utf-8")
    (copy / second).unlink()
    (copy / "new.txt").write_text("added\n", encoding="utf-8")
    assert changed_files(before, fingerprint(copy)) == sorted([first, second, "new.txt"])
