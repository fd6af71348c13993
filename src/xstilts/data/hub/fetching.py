"""Fetching from the Hub (network; only when the user asks): the plan, the pinned commits, the
download of each config/split, its conversion, and the record that makes it repeatable.

A task may read several repos (ANLI+ also trains on MNLI and SNLI; XCOPA's English is COPA): its
:class:`~xstilts.data.hub.source.HubSource` names them as ``companions``. Each repo is pinned to
its own commit when the fetch starts, and every file written is recorded with the repo, commit,
config, split and sha256 it came from (:mod:`.resume`), so one ``hub-source.json`` describes a
task folder filled from several repos.

Rows are read with ``datasets.load_dataset(repo, config, split=..., revision=...)``, or, for a
source with a ``file_pattern``, straight from one parquet file of the repo at the pinned commit
(``load_dataset("parquet", data_files="hf://datasets/{repo}@{commit}/{file}")``, the Hub file
system URL of ``huggingface_hub``). The second path serves repos whose card still sits beside a
loading script, which ``datasets`` 4 refuses to run even where parquet files are present, and the
Hub's ``refs/convert/parquet`` branch, where the Hub keeps the rows its dataset viewer produced
from a script-only repo.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tqdm.auto import tqdm

from xstilts.data.hub.resume import ResolveRevision, fetched_before, hub_commit, pin
from xstilts.data.hub.rows import HubConversionWarning, Row, write_text
from xstilts.data.hub.source import HubSource, hub_plan, select_languages
from xstilts.errors import XstiltsError
from xstilts.files import file_digest

SOURCE_FILE = "hub-source.json"


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch` wrote, and what the user should know about it."""

    task_dir: Path
    files: tuple[Path, ...]
    notes: tuple[str, ...]


LoadDataset = Callable[..., Iterable[Row]]
# convert(source, config, split, rows, out_dir, languages=...) -> paths: ``convert_rows``
Convert = Callable[..., list[Path]]


@dataclass(frozen=True)
class _Part:
    """One repo of a fetch: its source (the task's own or a companion), pinned commit and plan."""

    source: HubSource
    repo: str
    revision: str | None
    plan: list[tuple[str, str]]


def fetch_task(
    source: HubSource,
    languages: Collection[str],
    out_dir: str | Path,
    convert: Convert,
    *,
    repo: str | None,
    revision: str | None,
    load_dataset: LoadDataset | None,
    resolve_revision: ResolveRevision | None,
    progress: bool,
) -> FetchResult:
    """:func:`xstilts.data.hub.fetch` (see there); ``convert`` is its ``convert_rows``."""
    chosen = select_languages(source, languages)
    loader = load_dataset or _datasets_loader()
    if load_dataset is None:  # the real Hub: pin its current commits unless one is given
        resolve_revision = resolve_revision or hub_commit
    notes: list[str] = []
    parts = [_part(c, c.repo, c.revision, hub_plan(c), resolve_revision, notes)
             for c in source.companions]  # fmt: skip
    own = _part(source, repo or source.repo, revision or source.revision,
                hub_plan(source, languages), resolve_revision, notes)  # fmt: skip
    parts.append(own)
    task_dir = Path(out_dir) / source.task
    record = _read_record(task_dir)
    files: list[Path] = []
    sources: dict[str, dict[str, Any]] = {}
    jobs = [(part, config, split) for part in parts for config, split in part.plan]
    for part, config, split in tqdm(
        jobs, desc=f"fetch {source.task}", unit="split", disable=not progress
    ):
        key = (part.repo, config, split, part.revision)
        done = fetched_before(record, task_dir, key, chosen, notes)
        if done is not None:  # resumed: this split is on disk as recorded
            files.extend(task_dir / name for name in done)
            continue
        rows = _load(loader, part, config, split)
        with _warnings_as_notes(notes):
            written = convert(part.source, config, split, rows, out_dir, languages=chosen)
        for path in written:
            files.append(path)
            sources[path.relative_to(task_dir).as_posix()] = {
                "repo": part.repo, "revision": part.revision, "config": config, "split": split,
                "languages": sorted(chosen), "sha256": file_digest(path),
            }  # fmt: skip
    _record_sources(task_dir, sources)
    for part in parts:
        notes.extend(_task_notes(part.source, task_dir))
    return FetchResult(task_dir=task_dir, files=tuple(files), notes=tuple(notes))


def _part(
    source: HubSource,
    repo: str,
    revision: str | None,
    plan: list[tuple[str, str]],
    resolve: ResolveRevision | None,
    notes: list[str],
) -> _Part:
    """The repo pinned: no revision, or a branch (``refs/convert/parquet``), is resolved to its
    current commit (``repo@branch`` for a branch); a revision the user or the spec gives is kept.
    Unresolvable means unpinned, with a note (:func:`~xstilts.data.hub.resume.pin`)."""
    if resolve is not None and (revision is None or revision.startswith("refs/")):
        spec = repo if revision is None else f"{repo}@{revision}"
        revision = pin(spec, resolve, notes) or revision
    return _Part(source, repo, revision, plan)


@contextmanager
def _warnings_as_notes(notes: list[str]) -> Iterator[None]:
    """:class:`HubConversionWarning` messages of the block appended to ``notes``: :func:`fetch`
    reports them to the user with its other notes instead of the warnings machinery."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", HubConversionWarning)
        yield
    notes.extend(str(w.message) for w in caught if issubclass(w.category, HubConversionWarning))


def _task_notes(source: HubSource, task_dir: Path) -> list[str]:
    """The task's note on where the Hub differs, unless the user has already done what the
    note asks (XNLI's training file in place)."""
    done = source.note_done_when and (task_dir / source.note_done_when).is_file()
    if not source.note or done:
        return []
    return [source.note.format(task_dir=task_dir)]


def _datasets_loader() -> LoadDataset:
    """``datasets.load_dataset``, imported only here: the package is optional, needed by
    :func:`fetch` alone."""
    try:
        import datasets
    except ImportError:
        raise XstiltsError(
            "fetching from the Hugging Face Hub needs the 'datasets' package "
            "(pip install datasets); the official releases need no extra package"
        ) from None
    return datasets.load_dataset


def parquet_url(repo: str, revision: str | None, path: str) -> str:
    """The Hub file system URL of one file of a dataset repo at ``revision`` (a branch name such
    as ``refs/convert/parquet`` is URL-encoded, as ``huggingface_hub``'s ``HfFileSystem``
    requires)."""
    return f"hf://datasets/{repo}@{quote(revision or 'main', safe='')}/{path}"


def _load(loader: LoadDataset, part: _Part, config: str, split: str) -> Iterable[Row]:
    """``load_dataset`` with its many failure types turned into one user-facing line."""
    repo, revision = part.repo, part.revision
    if part.source.file_pattern:
        path = part.source.file_pattern.format(config=config, split=split)
        args: tuple[str, ...] = ("parquet",)
        kwargs: dict[str, Any] = {
            "data_files": {"train": parquet_url(repo, revision, path)}, "split": "train",
        }  # fmt: skip
    else:
        args = (repo, config)
        kwargs = {"split": split} if revision is None else {"split": split, "revision": revision}
    try:
        return loader(*args, **kwargs)
    except (ConnectionError, OSError) as error:
        raise XstiltsError(
            f"could not download {repo} config {config!r} split {split!r} "
            f"({type(error).__name__}: {_first_line(error)}); fetching needs access to "
            "huggingface.co, or a filled Hugging Face cache with HF_DATASETS_OFFLINE=1"
        ) from None
    except Exception as error:
        raise XstiltsError(
            f"could not load {repo} config {config!r} split {split!r} "
            f"({type(error).__name__}: {_first_line(error)})"
        ) from None


def _first_line(error: BaseException) -> str:
    """Enough of a library error for a one-line message (their messages can run over many lines)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else "no message"


def _record_sources(task_dir: Path, sources: dict[str, dict[str, Any]]) -> None:
    """Merge this fetch into ``hub-source.json`` (no timestamps: refetching changes nothing)."""
    files = _read_record(task_dir)
    files.update(sources)
    record = {"files": dict(sorted(files.items()))}
    text = json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    write_text(task_dir / SOURCE_FILE, text)


def _read_record(task_dir: Path) -> dict[str, dict[str, Any]]:
    """The ``files`` of ``hub-source.json`` (empty when absent or unreadable)."""
    path = task_dir / SOURCE_FILE
    if not path.is_file():
        return {}
    try:
        files = json.loads(path.read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return {name: entry for name, entry in files.items() if isinstance(entry, dict)}
