"""The atomic write protocols under a real kill at every step, and the checksum manifest.

A kill is ``os._exit`` in a child process at the k-th file-system step of a protocol (no
``finally``, no cleanup: what SIGKILL leaves), for every k until the protocol completes. After
each, a reader still finds one complete copy (the old or the new), and the next write succeeds
and leaves nothing behind (a leftover ``.old`` used to block every later save).
"""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest

from xstilts import files
from xstilts.files import (
    MANIFEST,
    CorruptFileError,
    atomic_folder,
    atomic_write_text,
    atomic_write_with,
    temporary_name,
    verify_manifest,
)

KILLER = """
import os, pathlib, shutil, sys
from xstilts import files
target, kill_at = pathlib.Path(sys.argv[1]), int(sys.argv[2])
mode, content = sys.argv[3], sys.argv[4]
steps = 0
def step(function):
    def wrapped(*args, **kwargs):
        global steps
        steps += 1
        if steps == kill_at:
            os._exit(9)
        return function(*args, **kwargs)
    return wrapped
os.replace, os.unlink, os.rmdir = step(os.replace), step(os.unlink), step(os.rmdir)
files.write_manifest = step(files.write_manifest)
pathlib.Path.write_text = step(pathlib.Path.write_text)
pathlib.Path.mkdir = step(pathlib.Path.mkdir)
if mode == "file":
    files.atomic_write_text(target, content)
else:
    with files.atomic_folder(target, keep_existing=mode == "shared") as tmp:
        for name in ("a", "b", "c"):
            (tmp / name).write_text(content)
print(steps)
"""


def _killed_at(target: Path, step: int, mode: str, content: str) -> bool:
    """Run one protocol in a child killed at ``step``; False when it completed first."""
    result = subprocess.run(
        [sys.executable, "-c", KILLER, str(target), str(step), mode, content],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode in (0, 9), result.stderr
    return result.returncode == 9


def _read_folder(folder: Path) -> str:
    """What a reader resumes from: the folder, or the complete ``.old`` a kill left."""
    found = folder if (folder / MANIFEST).is_file() else folder.with_name(folder.name + ".old")
    verify_manifest(found)
    contents = {(found / name).read_text(encoding="utf-8") for name in ("a", "b", "c")}
    assert len(contents) == 1
    return contents.pop()


@pytest.mark.parametrize("mode", ["replace", "shared"])
def test_a_kill_at_every_step_of_the_folder_protocol(tmp_path: Path, mode: str) -> None:
    for step in range(1, 40):
        root = tmp_path / f"kill-{step}"
        folder = root / "checkpoint"
        with atomic_folder(folder) as tmp:
            for name in ("a", "b", "c"):
                (tmp / name).write_text("old", encoding="utf-8")
        if mode == "shared":  # content-addressed: a second writer finds the folder present
            folder = root / "encoder"
        if not _killed_at(folder, step, mode, "new"):
            break
        if folder.exists() or mode == "replace":
            assert _read_folder(folder) in ({"old", "new"} if mode == "replace" else {"new"})
        with atomic_folder(folder, keep_existing=mode == "shared") as tmp:
            for name in ("a", "b", "c"):
                (tmp / name).write_text("newer", encoding="utf-8")
        assert _read_folder(folder) in {"newer", "new"}
        leftovers = sorted(p.name for p in root.iterdir())
        assert leftovers == (["checkpoint"] if mode == "replace" else ["checkpoint", "encoder"])
    else:
        raise AssertionError("the protocol never completed")
    assert step > 8  # every step was reached (mkdirs, three writes, manifest, renames, removal)


def test_a_kill_at_every_step_of_the_file_protocol(tmp_path: Path) -> None:
    target = tmp_path / "rows.json"
    for step in range(1, 20):
        atomic_write_text(target, "old")
        if not _killed_at(target, step, "file", "new"):
            break
        assert target.read_text(encoding="utf-8") in {"old", "new"}
        atomic_write_text(target, "newer")  # sweeps the dead writer's temporary
        assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.json"]
    assert step > 2


def test_temporary_names_never_repeat_and_live_owners_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "checkpoint"
    names = {temporary_name(target) for _ in range(100)}
    assert len(names) == 100
    mine = temporary_name(target)
    mine.mkdir()  # a writer in progress in this (live) process
    files.sweep_temporaries(target)
    assert mine.exists()


def test_a_failed_write_removes_its_temporary_and_reports_the_os_error(tmp_path: Path) -> None:
    def full_disk(temporary: Path) -> None:
        temporary.write_bytes(b"partial")
        raise RuntimeError("Error while serializing: No space left on device (os error 28)")

    with pytest.raises(OSError) as caught:
        atomic_write_with(tmp_path / "model.safetensors", full_disk)
    assert caught.value.errno == errno.ENOSPC
    assert "no space left" in files.os_error_message(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_manifest_names_the_damaged_file(tmp_path: Path) -> None:
    folder = tmp_path / "encoder"
    with atomic_folder(folder) as tmp:
        (tmp / "encoder.safetensors").write_bytes(bytes(range(200)))
    verify_manifest(folder, ("encoder.safetensors",))
    data = bytearray((folder / "encoder.safetensors").read_bytes())
    data[100] ^= 1
    (folder / "encoder.safetensors").write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match=r"encoder\.safetensors: checksum mismatch"):
        verify_manifest(folder)
    (folder / "encoder.safetensors").write_bytes(bytes(data[:50]))
    with pytest.raises(CorruptFileError, match="truncated"):
        verify_manifest(folder)
    with pytest.raises(CorruptFileError, match=r"best\.safetensors: missing"):
        verify_manifest(folder, ("best.safetensors",))
