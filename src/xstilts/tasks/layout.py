"""Finding a task's files when releases lay them out in more than one way.

Official releases and their mirrors disagree on folders (``MLQA_V1/dev/...`` or ``dev/...``,
XTREME's ``download_data.sh`` layout or the original zip's): a task lists its candidate paths in
order of preference, and a missing file is reported with every path that was tried and the
command that would get the data (``get``), so a user never has to read the source to learn where
a file should go.

Where XTREME's ``download_data.sh`` writes each task (google-research/xtreme ``scripts/
download_data.sh`` and ``utils_preprocess.py``, read at commit 838c13b): ``download/{task}/`` with
the task names used here (``xnli pawsx udpos panx tatoeba bucc2018 squad xquad mlqa tydiqa xcopa
mewslix lareqa``), so ``data_dir: download`` works as it is. That download *removes the test
labels* of every task (XTREME scores test sets on its server): test sets read from it are
predicted (the files for ``xstilts export``) but not scored; dev sets are scored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from xstilts.errors import DataError
from xstilts.tasks.spec import TaskSpec

#: The command behind most ``get`` hints: XTREME's own download script.
XTREME_DOWNLOAD = (
    "git clone https://github.com/google-research/xtreme && cd xtreme && "
    "bash scripts/download_data.sh  (writes download/{task}/; use data_dir: download)"
)


def xtreme_download(task: str) -> str:
    """The ``get`` hint for a task that XTREME's ``download_data.sh`` fetches."""
    return XTREME_DOWNLOAD.replace("{task}", task)


def first_file(task_dir: Path, candidates: Sequence[str], what: str, get: str = "") -> Path:
    """The first candidate (relative to ``task_dir``) that exists; else one error naming all
    of them (relative to ``task_dir``, which the message starts with) and, when given, how to
    get the data."""
    for candidate in candidates:
        path = task_dir / candidate
        if path.is_file():
            return path
    raise missing(task_dir, candidates, what, get)


def missing(task_dir: Path, candidates: Sequence[str], what: str, get: str = "") -> DataError:
    """The one-line error for data that is in none of the ``candidates`` layouts."""
    hint = f"; to get it: {get}" if get else ""
    return DataError(task_dir, None, f"no {what}; expected one of: {', '.join(candidates)}{hint}")


def any_file(task_dir: Path, candidates: Sequence[str]) -> bool:
    """Whether any candidate exists (a language counts as present for ``languages_found``)."""
    return any((task_dir / candidate).is_file() for candidate in candidates)


def check_split(task_dir: Path, split: str, splits: Sequence[str]) -> None:
    """A split the task does not have is a user error naming the ones it has."""
    if split not in splits:
        raise DataError(task_dir, None, f"no split {split!r}; this task has {', '.join(splits)}")


def split_file(task_dir: Path, split: str, files: Mapping[str, str]) -> str:
    """The file name of ``split`` in a release with one file per split."""
    check_split(task_dir, split, sorted(files))
    return files[split]


def english_if_present(task_dir: Path, split: str) -> list[str]:
    """``languages_found`` of an English-only task: English, once its folder exists."""
    return ["en"] if task_dir.is_dir() else []


def file_key(path: Path) -> tuple[str, int, int]:
    """Cache key of a file: its path and what changes when its content does."""
    stat = path.stat()
    return str(path.resolve()), stat.st_mtime_ns, stat.st_size


def how_to_get(spec: TaskSpec, data_dir: Path) -> str:
    """How to get a task's data, from its spec: ``xstilts fetch`` where the Hub has it (the
    command, with this study's ``data_dir``), else the release the spec names (a Hub copy that
    is only a loading script, or BUCC's gold pairs without the corpora, is not the data)."""
    hub = spec.hub
    if hub is not None and not hub.script_only and not hub.gold_only:
        return f"xstilts fetch {spec.name} --out {data_dir}"
    release = f"the release, {spec.source}" if spec.source else "the official release"
    return f"{release} (docs/real-scale.md lists the accepted layouts)"
