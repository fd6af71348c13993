"""One writer per output folder: an exclusive ``flock`` on ``<output_dir>/.lock``.

Two ``xstilts run`` on one folder used to race on the same temporary names and checkpoints. The
lock is an advisory ``flock`` (Linux/macOS, ``man 2 flock``): the kernel drops it when the holder
exits, even by SIGKILL, so a crash never leaves a stale lock to delete by hand. The file keeps
the holder's host, pid and start time only to name it in the refusal. (``flock`` is local to
one machine on some network file systems; runs that share a folder across hosts should use one
driver, as the Ray and Slurm executors do.)
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from xstilts.errors import XstiltsError

LOCK_NAME = ".lock"

try:  # pragma: no cover - Windows has no fcntl; runs there are simply not locked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


class FolderBusyError(XstiltsError):
    """Another process holds the output folder's lock."""


@contextlib.contextmanager
def output_lock(folder: Path, what: str = "xstilts run") -> Iterator[None]:
    """Hold the exclusive lock of ``folder`` for the block, or stop with one line at once."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise FolderBusyError(
                    f"{folder}: in use by another {_holder(path)}; wait for it to finish or "
                    "choose another output_dir"
                ) from None
        holder = {"host": socket.gethostname(), "pid": os.getpid(), "what": what,
                  "since": time.strftime("%Y-%m-%d %H:%M:%S")}  # fmt: skip
        with contextlib.suppress(OSError):  # only names the holder; a full disk must not stop us
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, json.dumps(holder).encode(), 0)
        yield
    finally:
        os.close(descriptor)  # closing releases the flock


def _holder(path: Path) -> str:
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
        return (
            f"{holder['what']} (pid {holder['pid']} on {holder['host']}, since {holder['since']})"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "xstilts process"


__all__ = ["LOCK_NAME", "FolderBusyError", "output_lock"]
