"""Everything besides data and settings that determines a score, and the configuration id of a row.

- ``code_version``: a digest of this package's own source files, derived at run time (a
  hand-edited constant is forgotten exactly when it matters);
- ``package_versions``: torch, transformers, accelerate, tokenizers and xstilts (read from the
  installed distributions' metadata, so no heavy import);
- ``world_size``: processes of a data-parallel run (``WORLD_SIZE``, set by torchrun and
  ``accelerate launch``): the effective batch and the reduction order change with it.

``config_id`` names a *study configuration*: every result-relevant study setting except the grid
axes (seeds, intermediate and target tasks, skipped cells, languages), plus the encoder's
weights, world size and versions. Rows with different ids are never averaged together
(``xstilts results``, ``report``); the seeds of one configuration are.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any

# Study keys that are grid axes or bookkeeping, not settings that change a score.
NOT_CONFIGURATION = (
    "name", "seeds", "intermediate_tasks", "target_tasks", "skip", "languages", "data_dir",
    "output_dir", "threads", "trackers",
)  # fmt: skip
PACKAGES = ("torch", "transformers", "accelerate", "tokenizers", "xstilts")


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """sha256 (16 hex) over the names and bytes of every ``.py`` file of the xstilts package."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def package_versions() -> dict[str, str]:
    """Installed versions of the packages that compute a score, and the code digest."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["xstilts_code"] = code_version()
    return versions


def world_size() -> int:
    """Processes of this (possibly distributed) run; 1 outside torchrun/accelerate launch."""
    try:
        return max(1, int(os.environ.get("WORLD_SIZE", "1")))
    except ValueError:
        return 1


def _digest(blob: Any) -> str:
    text = json.dumps(blob, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def config_id(study_json: dict[str, Any], provenance: dict[str, Any]) -> str:
    """The configuration id of a study (``study_json``: ``StudyConfig.to_json`` parsed)."""
    settings = {k: v for k, v in study_json.items() if k not in NOT_CONFIGURATION}
    return _digest({"settings": settings, "provenance": provenance})


def config_id_of_row(config_json: str) -> str:
    """A row's configuration id from its stored ``config_json`` (stores without the column).

    Rows written before provenance was stored get an id from their study settings alone, prefixed
    ``legacy-``; that still separates, e.g., two retrieval layers run into one folder.
    """
    try:
        config = json.loads(config_json)
    except (TypeError, ValueError):
        return "legacy-unknown"
    if isinstance(config, dict) and config.get("config_id"):
        return str(config["config_id"])
    study = config.get("study", {}) if isinstance(config, dict) else {}
    return "legacy-" + config_id(study if isinstance(study, dict) else {}, {})
