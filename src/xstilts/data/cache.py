"""A content-addressed disk cache for tokenized features.

Tokenizing SQuAD or MNLI takes a minute per phase at full scale and is repeated for every seed
and every intermediate phase; the features only depend on the data bytes, the tokenizer, the
family's featurizer and ``max_length``, so they are cached under a hash of exactly those (the
jiant cache ignored max length and silently reused stale features).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# Bump when a featurizer changes its output for the same inputs.
FEATURE_VERSION = "1"


@lru_cache(maxsize=8)
def _tokenizer_digest_cached(key: int, serialized: str) -> str:
    return hashlib.sha256(serialized.encode("utf-8")).hexdigest()[:16]


def tokenizer_digest(tokenizer: Any) -> str:
    """A fingerprint of a fast tokenizer's full definition (vocab, normaliser, templates)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    serialized = backend.to_str() if backend is not None else repr(tokenizer)
    return _tokenizer_digest_cached(hash(serialized), serialized)


def cached(folder: Path | None, parts: dict[str, Any], build: Callable[[], T]) -> T:
    """Load the value stored under ``parts`` in ``folder``, or build, store and return it.

    The file is written to a temporary name and renamed, so a killed process never leaves a
    truncated cache entry behind; an unreadable entry is rebuilt.
    """
    if folder is None:
        return build()
    blob = repr(sorted({"feature_version": FEATURE_VERSION, **parts}.items()))
    path = folder / f"{hashlib.sha256(blob.encode()).hexdigest()[:24]}.pkl"
    if path.is_file():
        try:
            with path.open("rb") as handle:
                return pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError):
            pass
    value = build()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    with tmp.open("wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return value
