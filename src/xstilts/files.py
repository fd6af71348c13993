"""Crash-safe files: atomic write protocols, checksum manifests, one-line OS errors.

Every artefact a run leaves (checkpoints, saved encoders, feature cache entries, row files) is
written by one of two protocols, each of whose steps a kill may interrupt without losing data:

* a **file**: write ``.<name>.tmp-<host>-<pid>-<random>`` next to it, fsync, ``os.replace`` onto
  the name. A kill leaves at most the temporary, which is never read and is swept later;
* a **folder** (:func:`atomic_folder`): fill a uniquely named temporary sibling, write its
  manifest last, then ``folder -> folder.old``, ``tmp -> folder``, remove ``folder.old``. A kill
  between the renames leaves ``folder.old`` complete; :func:`recover_folder` puts it back or
  removes it at the next start, so no leftover ever blocks a later write (a stale ``.old`` used
  to make every later save fail with "Directory not empty").

Temporary names carry host, pid and a random part, so two processes never share one, and a
leftover is swept only once its owner is provably gone (same host, pid no longer alive).

A folder's ``manifest.json`` lists the sha256 and size of each file (written last, so its
presence also marks the folder complete); :func:`verify_manifest` re-hashes on load, which
catches truncation and bit flips that the formats themselves would not.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

from xstilts.errors import XstiltsError

MANIFEST = "manifest.json"
_TMP_MARK = ".tmp-"


class CorruptFileError(XstiltsError):
    """A stored artefact fails its checksum or cannot be parsed; the message names the file."""


USER_FIXABLE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}
    # a path the user gave is not what it must be (--out naming a file, a 300-byte name)
    | {errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG, errno.ELOOP}
)


def as_os_error(error: BaseException, path: Path) -> OSError | None:
    """The OS error inside ``error`` when a library wrapped it (safetensors writes fail as
    ``SafetensorError('... No space left on device (os error 28)')``), else None."""
    if isinstance(error, OSError):
        return error
    found = re.search(r"\(os error (\d+)\)", str(error))
    if found is None:
        return None
    code = int(found.group(1))
    return OSError(code, os.strerror(code), str(path))


def os_error_message(error: OSError, path: str | Path | None = None) -> str:
    """One line for a disk-full, read-only, permission or other OS error on ``path``."""
    where = path or error.filename
    reasons = {
        errno.ENOSPC: "no space left on the device; free space and run again to resume",
        errno.EDQUOT: "disk quota exceeded; free space and run again to resume",
        errno.EROFS: "read-only file system; choose a writable output folder",
        errno.EACCES: "permission denied; choose a writable output folder",
        errno.EPERM: "operation not permitted; choose a writable output folder",
    }
    reason = reasons.get(error.errno or 0, error.strerror or str(error))
    return f"{where}: {reason}" if where else reason


def temporary_name(path: Path) -> Path:
    """A sibling name no other process (or host sharing the folder) will pick."""
    token = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
    return path.with_name(f".{path.name}{_TMP_MARK}{token}")


def _owner_gone(temporary: Path) -> bool:
    """Whether the process that made ``temporary`` has ended (unknown owners are kept)."""
    token = temporary.name.rsplit(_TMP_MARK, 1)[-1]
    parts = token.rsplit("-", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def sweep_temporaries(path: Path) -> None:
    """Remove temporaries of ``path`` left by processes that have ended."""
    if not path.parent.is_dir():
        return
    for leftover in path.parent.glob(f".{path.name}{_TMP_MARK}*"):
        if _owner_gone(leftover):
            _remove(leftover)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _fsync_path(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk so a rename never exposes empty data."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    try:
        descriptor = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def atomic_write_with(path: Path, write: Callable[[Path], object]) -> None:
    """Let ``write`` fill a temporary name, then rename it onto ``path`` (old or new, never a
    part); on any failure the temporary is removed and a wrapped OS error is raised as such."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_temporaries(path)
    temporary = temporary_name(path)
    with _removed_on_failure(temporary, path):
        write(temporary)
        _fsync_path(temporary)
        os.replace(temporary, path)


@contextlib.contextmanager
def _removed_on_failure(temporary: Path, target: Path) -> Iterator[None]:
    """On any failure remove ``temporary`` and raise again; an OS error is named by ``target``,
    what the user asked to write, not by a temporary name they never chose."""
    try:
        yield
    except BaseException as error:
        _remove(temporary)
        wrapped = as_os_error(error, target)
        if wrapped is not None and wrapped.errno is not None:
            raise OSError(wrapped.errno, wrapped.strerror, str(target)) from None
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``path`` so readers see the old content or the new one, never a part."""
    atomic_write_with(path, lambda temporary: temporary.write_bytes(data))


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=512)
def cached_file_digest(path: str, size: int, mtime_ns: int) -> str:
    """:func:`file_digest`, remembered per (path, size, mtime): a large weight file hashed for
    a run id is not read again for the next one. ``size`` and ``mtime_ns`` are the cache key, so
    a rewritten file is hashed anew."""
    return file_digest(Path(path))


def write_manifest(folder: Path) -> None:
    """Record every file of ``folder`` (sha256, bytes); called last, it marks the folder done."""
    files = {
        path.name: {"sha256": file_digest(path), "bytes": path.stat().st_size}
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name != MANIFEST
    }
    for path in folder.iterdir():
        _fsync_path(path)
    text = json.dumps({"format": "xstilts-manifest/1", "files": files}, indent=1)
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    _fsync_path(folder / MANIFEST)
    _fsync_path(folder)


def verify_manifest(folder: Path, required: tuple[str, ...] = ()) -> None:
    """Check every file listed in ``folder``'s manifest; raise naming the first bad file."""
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = manifest["files"]
        if not isinstance(files, dict):
            raise TypeError("files is not a mapping")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CorruptFileError(f"{manifest_path}: unreadable manifest ({error})") from None
    for name in required:
        if name not in files:
            raise CorruptFileError(f"{folder / name}: missing from {manifest_path}")
    for name, entry in files.items():
        path = folder / Path(name).name
        try:
            size, digest = path.stat().st_size, file_digest(path)
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise CorruptFileError(f"{path}: listed in the manifest but {reason}") from None
        if size != entry.get("bytes") or digest != entry.get("sha256"):
            what = "truncated or extended" if size != entry.get("bytes") else "checksum mismatch"
            raise CorruptFileError(f"{path}: {what} (the file is corrupt)")


def discard_folder(folder: Path) -> None:
    """Remove ``folder`` with its ``.old`` and every temporary of it, whoever wrote them: for a
    finished run's checkpoint, whose writers are all done (the output folder is locked)."""
    for path in (folder, folder.with_name(folder.name + ".old")):
        _remove(path)
    if folder.parent.is_dir():
        for leftover in folder.parent.glob(f".{folder.name}{_TMP_MARK}*"):
            _remove(leftover)


def recover_folder(folder: Path) -> None:
    """Finish or undo an interrupted :func:`atomic_folder` replace of ``folder``.

    ``folder.old`` exists only between the two renames or during the final removal: if
    ``folder`` is missing, ``.old`` is the last complete copy and is put back; otherwise it is
    a leftover and is removed. Temporaries of ended processes are swept.
    """
    old = folder.with_name(folder.name + ".old")
    if old.exists():
        if folder.exists():
            shutil.rmtree(old)
        else:
            os.replace(old, folder)
    sweep_temporaries(folder)


@contextlib.contextmanager
def atomic_folder(folder: Path, *, keep_existing: bool = False) -> Iterator[Path]:
    """Yield an empty temporary sibling of ``folder`` to fill; on normal exit it becomes ``folder``.

    Readers never see a half-written folder: an exception mid-write removes the temporary, a
    kill leaves it for :func:`sweep_temporaries`. A directory cannot be renamed over a non-empty
    one, so an existing ``folder`` is first renamed to ``.old`` (see :func:`recover_folder`).
    With ``keep_existing`` the folder is content-addressed and several processes may write it
    at once: the first rename wins and the others drop their copy.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    if not keep_existing:
        recover_folder(folder)
    else:
        sweep_temporaries(folder)
    tmp = temporary_name(folder)
    tmp.mkdir()
    with _removed_on_failure(tmp, folder):
        yield tmp
        write_manifest(tmp)
    if keep_existing:
        try:
            os.replace(tmp, folder)
        except OSError:
            _remove(tmp)
            if not folder.is_dir():
                raise
            # another process finished first; keep theirs (same content key)
        return
    old = folder.with_name(folder.name + ".old")
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    _fsync_path(folder.parent)
    if old.exists():
        shutil.rmtree(old)


__all__ = [
    "MANIFEST",
    "USER_FIXABLE_ERRNOS",
    "CorruptFileError",
    "as_os_error",
    "atomic_folder",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_with",
    "cached_file_digest",
    "discard_folder",
    "file_digest",
    "os_error_message",
    "recover_folder",
    "sweep_temporaries",
    "temporary_name",
    "verify_manifest",
    "write_manifest",
]
