"""Content addresses for artefacts: a hash of everything that determines them.

An intermediate checkpoint is keyed by encoder, task, data bytes, hyper-parameters and seed, so
every target task reuses it, and changing anything that matters (max length included) gives a new
key instead of a stale cache hit (the jiant cache bug).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from xstilts.files import cached_file_digest


def directory_digest(folder: str | Path) -> str:
    """sha256 over the names and bytes of every file under ``folder`` (sorted, deterministic)."""
    folder = Path(folder)
    digest = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(cached_file_digest(str(path), stat.st_size, stat.st_mtime_ns).encode())
    return digest.hexdigest()


def content_key(**parts: Any) -> str:
    """A short stable key (16 hex chars) for a JSON-serialisable description."""
    # Any change of the package's code gives new keys (derived, never a hand-bumped constant).
    from xstilts.experiments.provenance import code_version

    blob = json.dumps({"code_version": code_version(), **parts}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
