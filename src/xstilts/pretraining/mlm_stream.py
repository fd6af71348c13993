"""The training stream of a continued-MLM cell: exact per-language budgets, languages interleaved.

Each language's text is tokenized with the encoder's own tokenizer (special tokens excluded) and
cut into *blocks* of ``max_length - 2`` tokens (``<s>`` and ``</s>`` are added around each, and
are not counted); the language's last block is shorter, so the language contributes **exactly its
budget** in tokens. Blocks of all languages (English replay included) are interleaved by a fixed
schedule that spreads each language evenly over training — block ``j`` of a language with ``n``
blocks sits at ``(j + u) / n`` of the run, ``u`` a seeded offset per language — so the replay
share holds throughout training, not only on average, and the schedule (hence the number of
steps) is known before any text is read.

Each language's first ``budget`` tokens are written once to a uint32 token file
(:func:`write_tokens`, streaming: a 1B-token budget is never in memory) and memory-mapped.
:class:`BatchStream` is the ``Sequence`` of batches the training loop asks for: batch ``i`` is
sliced from the token files by offset, so a resumed run starts at its batch at once and a
data-parallel process reads only its own batches. Under data parallelism the loop takes batches
``rank, rank + W, ...`` and drops the last ``len % W``; :func:`trained_tokens` counts exactly the
blocks of the batches that were used.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from xstilts.errors import XstiltsError
from xstilts.families import masked_lm

Tokenize = Callable[[list[str]], list[list[int]]]
LINES_PER_CALL = 256  # lines per tokenizer call (batched: the fast tokenizer's threads)


@dataclass(frozen=True)
class Schedule:
    """Which language each block of the run comes from, and how long each language's blocks are."""

    languages: tuple[str, ...]
    budgets: tuple[int, ...]  # tokens per language (same order)
    block: int  # tokens of a full block
    batch_size: int
    order: np.ndarray  # language index of every block, in training order

    @property
    def batches(self) -> int:
        return math.ceil(len(self.order) / self.batch_size)

    def blocks(self, language: int) -> int:
        return math.ceil(self.budgets[language] / self.block)


def _offset(seed: int, language: str) -> float:
    digest = hashlib.blake2b(f"mlm-schedule:{seed}:{language}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def make_schedule(budgets: dict[str, int], max_length: int, batch_size: int, seed: int) -> Schedule:
    """The interleaved block order of a cell (languages with budget 0 contribute no block)."""
    block = max_length - 2
    languages = tuple(sorted(code for code, tokens in budgets.items() if tokens > 0))
    keys: list[np.ndarray] = []
    owners: list[np.ndarray] = []
    for index, code in enumerate(languages):
        count = math.ceil(budgets[code] / block)
        keys.append((np.arange(count, dtype=np.float64) + _offset(seed, code)) / count)
        owners.append(np.full(count, index, dtype=np.int32))
    key = np.concatenate(keys) if keys else np.zeros(0)
    owner = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int32)
    order = owner[np.lexsort((owner, key))]
    return Schedule(languages, tuple(budgets[c] for c in languages), block, batch_size, order)


def trained_tokens(schedule: Schedule, used_batches: int) -> dict[str, int]:
    """Exact content tokens per language in the first ``used_batches`` batches."""
    used = schedule.order[: used_batches * schedule.batch_size]
    counts = np.bincount(used, minlength=len(schedule.languages))
    tokens = {}
    for index, code in enumerate(schedule.languages):
        full, total = int(counts[index]), schedule.blocks(index)
        last = schedule.budgets[index] - (total - 1) * schedule.block
        tokens[code] = full * schedule.block - (schedule.block - last if full == total else 0)
    return tokens


def write_tokens(
    path: Path, lines: Iterable[str], tokenize: Tokenize, count: int, where: str
) -> None:
    """The first ``count`` tokens of a line stream as a little-endian uint32 file, written once
    (atomically: a temporary name, then a rename) and then read by offset: a resumed run starts
    at its batch at once, and a data-parallel process reads only its own batches' blocks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    written = 0
    chunk: list[str] = []
    with temporary.open("wb") as handle:
        for line in itertools.chain(lines, [None]):
            if line is not None:
                chunk.append(line)
            if chunk and (line is None or len(chunk) == LINES_PER_CALL):
                ids = [i for row in tokenize(chunk) for i in row][: count - written]
                handle.write(np.asarray(ids, dtype="<u4").tobytes())
                written += len(ids)
                chunk = []
            if written == count:
                break
    if written < count:
        temporary.unlink()
        raise XstiltsError(
            f"{where}: the corpus holds {written:,} tokens, the cell's budget is {count:,}"
        )
    os.replace(temporary, path)


def read_tokens(path: Path) -> np.ndarray:
    """A token file as a read-only memory map (nothing is loaded until a block is sliced)."""
    if path.stat().st_size == 0:
        return np.zeros(0, dtype="<u4")
    return np.memmap(path, dtype="<u4", mode="r")


class BatchStream(Sequence[dict[str, Any]]):
    """The cell's batches, each built on demand from the token files (module docstring)."""

    def __init__(
        self, schedule: Schedule, tokens_of: Callable[[str], np.ndarray], tokenizer: Any
    ) -> None:
        self.schedule = schedule
        self._tokens_of = tokens_of
        self._tokens: list[np.ndarray] = []
        self._bos, self._eos = int(tokenizer.bos_token_id), int(tokenizer.eos_token_id)
        self._pad, self._mask = int(tokenizer.pad_token_id), int(tokenizer.mask_token_id)
        self._vocab = len(tokenizer)
        # each block's index within its language (the k-th block of de is de's tokens k*block..)
        order = schedule.order
        self._within = np.zeros(len(order), dtype=np.int64)
        for index in range(len(schedule.languages)):
            where = order == index
            self._within[where] = np.arange(int(where.sum()))

    def __len__(self) -> int:
        return self.schedule.batches

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return _View(self, range(len(self))[index])
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._collate(self._blocks(index))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for index in range(len(self)):
            yield self[index]

    def _blocks(self, index: int) -> list[tuple[str, list[int]]]:
        if not self._tokens:
            self._tokens = [self._tokens_of(code) for code in self.schedule.languages]
        size, block = self.schedule.batch_size, self.schedule.block
        picked = []
        for position in range(index * size, min((index + 1) * size, len(self.schedule.order))):
            owner = int(self.schedule.order[position])
            start = int(self._within[position]) * block
            end = min(start + block, self.schedule.budgets[owner])
            ids = self._tokens[owner][start:end].tolist()
            picked.append((self.schedule.languages[owner], ids))
        return picked

    def _collate(self, blocks: list[tuple[str, list[int]]]) -> dict[str, Any]:
        features = [
            masked_lm.MaskedLMFeature(
                (self._bos, *ids, self._eos), (1, *([0] * len(ids)), 1), self._mask, self._vocab
            )
            for _, ids in blocks
        ]
        batch = masked_lm.collate(features, self._pad)
        batch["languages"] = [code for code, _ in blocks]
        return batch


class _View(Sequence[dict[str, Any]]):
    """A lazy slice of a :class:`BatchStream` (what the loop's resume and sharding take)."""

    def __init__(self, stream: BatchStream, indices: range) -> None:
        self._stream, self._indices = stream, indices

    def __len__(self) -> int:
        return len(self._indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return _View(self._stream, self._indices[index])
        return self._stream[self._indices[index]]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for index in self._indices:
            yield self._stream[index]


def content_tokens(batch: dict[str, Any]) -> dict[str, int]:
    """Non-special tokens per language in a collated batch (what tests count against)."""
    counts: dict[str, int] = {}
    content = (batch["special_tokens_mask"] == 0).sum(dim=1).tolist()
    for code, count in zip(batch["languages"], content, strict=True):
        counts[code] = counts.get(code, 0) + int(count)
    return counts
