"""One process per output folder: the second one stops at once with one line; a kill frees it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from xstilts.locking import FolderBusyError, output_lock

# Holds the lock until killed (or until its stdin closes, should the test die first).
HOLDER = """
import sys, pathlib
from xstilts.locking import output_lock
with output_lock(pathlib.Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.read()
"""


def test_a_second_holder_is_refused_with_one_line_naming_the_first(tmp_path: Path) -> None:
    with (
        output_lock(tmp_path),
        pytest.raises(FolderBusyError) as caught,
        output_lock(tmp_path, "xstilts rebuild-store"),
    ):
        pass
    message = str(caught.value)
    assert "\n" not in message and str(tmp_path) in message
    assert f"pid {os.getpid()}" in message and "choose another output_dir" in message
    with output_lock(tmp_path):  # released on exit
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "locked"
    with pytest.raises(FolderBusyError, match=f"pid {child.pid}"), output_lock(tmp_path):
        pass
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
    # Reaped: the kernel closed the holder's descriptors, and with them its flock.
    with output_lock(tmp_path):
        pass
    assert child.stdin is not None
    child.stdin.close()
