"""The tokenized-feature cache: hit on identical inputs, miss on any change, atomic files."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import numpy as np
import pytest

from xstilts.data.cache import cached, read_entry, tokenizer_digest
from xstilts.data.featurize import Feature
from xstilts.families.masked_lm import MaskedLMFeature
from xstilts.families.multiple_choice import ChoiceFeature
from xstilts.families.span_qa_features import SpanFeature
from xstilts.families.tagging import TaggingFeature
from xstilts.files import CorruptFileError


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
    (entry,) = tmp_path.glob("*.safetensors")
    entry.write_bytes(b"\x80garbage")
    assert cached(tmp_path, {"k": 1}, lambda: "rebuilt") == "rebuilt"


def test_tokenizer_digest_tracks_the_definition(tiny_encoder: Path) -> None:
    from transformers import AutoTokenizer

    a = AutoTokenizer.from_pretrained(tiny_encoder)
    b = AutoTokenizer.from_pretrained(tiny_encoder)
    assert tokenizer_digest(a) == tokenizer_digest(b)
    a(["a few words"], truncation=True, max_length=4)  # leaves truncation set in its state
    assert tokenizer_digest(a) == tokenizer_digest(b)
    b.backend_tokenizer.add_tokens(["zzzunseen"])
    assert tokenizer_digest(a) != tokenizer_digest(b)


class Marker:
    """Unpickling this writes a file: what a crafted cache entry could do."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def test_a_crafted_entry_never_runs_and_is_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cached(tmp_path / "cache", {"k": 1}, lambda: [1])
    (entry,) = (tmp_path / "cache").glob("*.safetensors")
    marker = tmp_path / "pwned"
    entry.write_bytes(pickle.dumps([Marker(marker)]))
    entry.with_suffix(".pkl").write_bytes(pickle.dumps([Marker(marker)]))  # the old name
    assert cached(tmp_path / "cache", {"k": 1}, lambda: [2]) == [2]
    assert not marker.exists()
    assert entry.name in caplog.text and "rebuilding" in caplog.text
    assert cached(tmp_path / "cache", {"k": 1}, lambda: [3]) == [2]  # the rebuilt entry is used
    entry.write_bytes(pickle.dumps([Marker(marker)]))
    with pytest.raises(CorruptFileError, match=entry.name):
        read_entry(entry)
    assert not marker.exists()


def test_a_bit_flip_is_detected(tmp_path: Path) -> None:
    features = [Feature((0, 5, 7, 2), 1), Feature((0, 9, 2), 0)]
    cached(tmp_path, {"k": 1}, lambda: features)
    (entry,) = tmp_path.glob("*.safetensors")
    data = bytearray(entry.read_bytes())
    data[-3] ^= 0x01  # inside the last array, not the header
    entry.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="checksum") as caught:
        read_entry(entry)
    assert str(entry) in str(caught.value) and "\n" not in str(caught.value)


def _every_feature_type() -> list[list[object]]:
    ids = np.array([0, 17, 4, 2], dtype=np.int32)
    offsets = np.array([[0, 3], [4, 9]], dtype=np.int64)
    return [
        [Feature((0, 5, 7, 2), 1), Feature((0, 9, 2), -1)],
        [ChoiceFeature(((0, 1, 2), (0, 3)), 1), ChoiceFeature(((0,), (), (0, 4, 4)), 0)],
        [MaskedLMFeature((0, 5, 2), (1, 0, 1), 3, 250), MaskedLMFeature((0, 2), (1, 1), 3, 250)],
        [TaggingFeature((0, 5, 6, 2), (-100, 1, 2, -100), 0, 0, (1, 2))],
        [SpanFeature(ids, 0, 2, 2, 0, 2, 3), SpanFeature(ids[:3], 1, 2, 1, 4, 0, 0, offsets)],
        [],
    ]


@pytest.mark.parametrize("features", _every_feature_type())
def test_every_feature_type_round_trips(tmp_path: Path, features: list[object]) -> None:
    cached(tmp_path, {"k": 1}, lambda: features)
    (entry,) = tmp_path.glob("*.safetensors")
    loaded = read_entry(entry)
    assert len(loaded) == len(features)
    for original, back in zip(features, loaded, strict=True):
        assert type(back) is type(original)
        for field in dataclasses.fields(original):  # type: ignore[arg-type]
            a, b = getattr(original, field.name), getattr(back, field.name)
            if isinstance(a, np.ndarray):
                assert isinstance(b, np.ndarray) and a.dtype == b.dtype
                np.testing.assert_array_equal(a, b)
            else:
                assert a == b and type(a) is type(b), field.name


def test_a_value_the_format_cannot_hold_is_built_but_not_cached(tmp_path: Path) -> None:
    assert cached(tmp_path, {"k": 1}, lambda: [object]) == [object]
    assert not list(tmp_path.iterdir())


def test_a_file_naming_a_class_outside_the_feature_packages_is_refused(tmp_path: Path) -> None:
    from xstilts.data import columns
    from xstilts.data.cache import write_entry

    spec, arrays = columns.encode([Feature((1, 2), 0)])
    spec["inner"]["module"], spec["inner"]["qualname"] = "xstilts.config", "StudyConfig"
    write_entry(tmp_path / "x.safetensors", spec, arrays)
    with pytest.raises(CorruptFileError, match="not a loaded feature dataclass"):
        read_entry(tmp_path / "x.safetensors")
