"""The tokenized-feature cache: hit on identical inputs, miss on any change, atomic files."""

from __future__ import annotations

from pathlib import Path

from xstilts.data.cache import cached, tokenizer_digest


def test_cache_hits_and_misses(tmp_path: Path) -> None:
    calls: list[int] = []

    def build() -> list[int]:
        calls.append(1)
        return [1, 2, 3]

    parts = {"data": "abc", "max_length": 128}
    assert cached(tmp_path, parts, build) == [1, 2, 3]
    assert cached(tmp_path, dict(parts), build) == [1, 2, 3]
    assert len(calls) == 1
    cached(tmp_path, {**parts, "max_length": 64}, build)  # max length is part of the key
    assert len(calls) == 2
    assert not list(tmp_path.glob("*.tmp-*"))


def test_corrupt_entry_is_rebuilt(tmp_path: Path) -> None:
    cached(tmp_path, {"k": 1}, lambda: "first")
    (entry,) = tmp_path.glob("*.pkl")
    entry.write_bytes(b"\x80garbage")
    assert cached(tmp_path, {"k": 1}, lambda: "rebuilt") == "rebuilt"


def test_tokenizer_digest_tracks_the_definition(tiny_encoder: Path) -> None:
    from transformers import AutoTokenizer

    a = AutoTokenizer.from_pretrained(tiny_encoder)
    b = AutoTokenizer.from_pretrained(tiny_encoder)
    assert tokenizer_digest(a) == tokenizer_digest(b)
    b.backend_tokenizer.add_tokens(["zzzunseen"])
    assert tokenizer_digest(a) != tokenizer_digest(b)
