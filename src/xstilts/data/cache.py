"""A content-addressed disk cache for tokenized features.

Tokenizing SQuAD or MNLI takes a minute per phase at full scale and is repeated for every seed
and every intermediate phase; the features only depend on the data bytes, the tokenizer, the
family's featurizer and ``max_length``, so they are cached under a hash of exactly those (the
jiant cache ignored max length and silently reused stale features).

Entries are safetensors files of plain arrays plus a JSON spec (:mod:`.columns`), never pickle:
a cache folder copied from elsewhere cannot run code. A sha256 over spec and arrays is checked
on load; an entry that fails it, or cannot be decoded, is rebuilt with a warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from safetensors import SafetensorError
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays

from xstilts.data import columns
from xstilts.files import CorruptFileError, atomic_write_bytes

T = TypeVar("T")
log = logging.getLogger("xstilts")

# Bump when a featurizer changes its output for the same inputs.
FEATURE_VERSION = "1"
FORMAT = "xstilts-features/1"


@lru_cache(maxsize=8)
def _tokenizer_digest_cached(key: int, serialized: str) -> str:
    try:  # calling the tokenizer with truncation=True records that in its state: not a definition
        definition = json.loads(serialized)
        definition.pop("truncation", None)
        definition.pop("padding", None)
        serialized = json.dumps(definition, sort_keys=True)
    except (ValueError, AttributeError):
        pass
    return hashlib.sha256(serialized.encode("utf-8")).hexdigest()[:16]


def tokenizer_digest(tokenizer: Any) -> str:
    """A fingerprint of a fast tokenizer's full definition (vocab, normaliser, templates), not of
    its current truncation/padding settings (which change once it has been called, and made the
    same features miss the cache)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    serialized = backend.to_str() if backend is not None else repr(tokenizer)
    return _tokenizer_digest_cached(hash(serialized), serialized)


def cached(folder: Path | None, parts: dict[str, Any], build: Callable[[], T]) -> T:
    """Load the value stored under ``parts`` in ``folder``, or build, store and return it.

    The file is written to a temporary name and renamed, so a killed process never leaves a
    truncated cache entry behind; an unreadable or corrupt entry is rebuilt.
    """
    if folder is None:
        return build()
    blob = repr(sorted({"feature_version": FEATURE_VERSION, **parts}.items()))
    path = folder / f"{hashlib.sha256(blob.encode()).hexdigest()[:24]}.safetensors"
    if path.is_file():
        try:
            return read_entry(path)  # type: ignore[no-any-return]
        except CorruptFileError as error:
            log.warning("%s; rebuilding it", error)
    value = build()
    try:
        spec, arrays = columns.encode(value)
    except (TypeError, OverflowError, ValueError) as error:
        log.warning("feature cache: cannot store this value (%s); not cached", error)
        return value
    write_entry(path, spec, arrays)
    return value


def write_entry(path: Path, spec: dict[str, Any], arrays: dict[str, Any]) -> None:
    spec_text = json.dumps(spec, separators=(",", ":"))
    header = {"format": FORMAT, "spec": spec_text, "sha256": columns.digest(spec_text, arrays)}
    atomic_write_bytes(path, save_arrays(arrays, metadata=header))


def read_entry(path: Path) -> Any:
    """Decode one cache file; :class:`CorruptFileError` (one line naming it) if it is damaged,
    foreign (a pickle, say: never unpickled) or of another format."""
    try:
        data = path.read_bytes()
        arrays = load_arrays(data)
        header = _metadata(data)
        if header.get("format") != FORMAT or "spec" not in header:
            raise ValueError(f"unknown format {header.get('format')!r}")
        if columns.digest(header["spec"], arrays) != header.get("sha256"):
            raise ValueError("checksum mismatch")
        return columns.decode(json.loads(header["spec"]), arrays)
    except (OSError, SafetensorError, ValueError, TypeError, RecursionError) as error:
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        raise CorruptFileError(f"{path}: not a usable feature cache entry ({reason})") from None


def _metadata(data: bytes) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors buffer (8-byte little-endian header length)."""
    length = int.from_bytes(data[:8], "little")
    if length > len(data) - 8:
        raise ValueError("header runs past the end of the file")
    metadata = json.loads(data[8 : 8 + length]).get("__metadata__") or {}
    if not isinstance(metadata, dict):
        raise ValueError("metadata is not a mapping")
    return metadata
