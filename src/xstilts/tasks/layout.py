"""Finding a task's files when releases lay them out in more than one way.

Official releases and their mirrors disagree on folders (``MLQA_V1/dev/...`` or ``dev/...``,
XTREME's ``download_data.sh`` layout or the original zip's): a task lists its candidate paths in
order of preference, and a missing file is reported with every path that was tried.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from xstilts.errors import DataError


def first_file(task_dir: Path, candidates: Sequence[str], what: str) -> Path:
    """The first candidate (relative to ``task_dir``) that exists; else one error naming all."""
    for candidate in candidates:
        path = task_dir / candidate
        if path.is_file():
            return path
    raise DataError(task_dir, None, f"no {what}; expected one of: {', '.join(candidates)}")


def any_file(task_dir: Path, candidates: Sequence[str]) -> bool:
    """Whether any candidate exists (a language counts as present for ``languages_found``)."""
    return any((task_dir / candidate).is_file() for candidate in candidates)
