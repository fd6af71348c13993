"""What makes a Hub fetch reproducible and resumable: one pinned commit, and checksums.

* **Pinned**: a fetch without ``--revision`` first resolves the dataset repo's current commit
  and loads every config and split at that commit (so a fetch interrupted by a Hub update cannot
  mix two versions), and ``hub-source.json`` records it: ``xstilts fetch TASK --revision SHA``
  repeats the fetch exactly. Offline (``HF_HUB_OFFLINE=1`` with a filled cache), the commit
  cannot be resolved: the fetch goes on unpinned and says so.
* **Checksums and resume**: every written file is recorded with its sha256 and the languages
  asked for. A later fetch at the same pinned commit skips each config/split whose files are all
  present with their recorded checksums (an interrupted fetch resumes where it stopped), and
  fetches again one whose file changed on disk, saying so. The downloads themselves are cached
  and resumed by ``datasets``/``huggingface_hub``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from xstilts.files import file_digest

ResolveRevision = Callable[[str], str]


def hub_commit(repo: str) -> str:
    """The current commit of a dataset repo on the Hub (``huggingface_hub``, a dependency of
    ``transformers``), of its main branch or, for ``repo@branch``, of that branch (such as
    ``refs/convert/parquet``); raises when offline."""
    from huggingface_hub import HfApi

    name, _, branch = repo.partition("@")
    sha = HfApi().dataset_info(name, revision=branch or None).sha
    if not sha:
        raise ValueError(f"the Hub reports no commit for {repo}")
    return str(sha)


def pin(repo: str, resolve: ResolveRevision, notes: list[str]) -> str | None:
    """The commit to fetch from, or None (unpinned, with a note) when it cannot be resolved."""
    try:
        return resolve(repo)
    except Exception as error:  # any failure to reach the Hub means: unpinned, not a crash
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        notes.append(
            f"could not resolve the current commit of {repo} ({first}); fetched unpinned, so "
            "these files are not guaranteed to match a later fetch"
        )
        return None


def fetched_before(
    record: Mapping[str, Mapping[str, Any]],
    task_dir: Path,
    key: tuple[str, str, str, str | None],
    languages: Collection[str],
    notes: list[str],
) -> list[str] | None:
    """The recorded files of ``key`` = (repo, config, split, revision) when all are on disk as an
    earlier fetch at the same pinned revision for the same languages wrote them; else None."""
    repo, config, split, revision = key
    entries = {
        name: entry
        for name, entry in record.items()
        if entry.get("config") == config and entry.get("split") == split
    }
    if revision is None or not entries:
        return None
    for name, entry in entries.items():
        same_fetch = (entry.get("repo"), entry.get("revision")) == (repo, revision)
        if not same_fetch or entry.get("languages") != sorted(languages):
            return None
        path = task_dir / name
        if not path.is_file() or file_digest(path) != entry.get("sha256"):
            notes.append(f"{path}: missing or changed since it was fetched; fetched again")
            return None
    return sorted(entries)
