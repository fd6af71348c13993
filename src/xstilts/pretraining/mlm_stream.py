"""The training stream of a continued-MLM cell: exact per-language budgets, languages interleaved.

Each language's text is tokenized with the encoder's own tokenizer (special tokens excluded) and
cut into *blocks* of ``max_length - 2`` tokens (``<s>`` and ``</s>`` are added around each, and
are not counted); the language's last block is shorter, so the language contributes **exactly its
budget** in tokens. Blocks of all languages (English replay included) are interleaved by a fixed
schedule that spreads each language evenly over training — block ``j`` of a language with ``n``
blocks sits at ``(j + u) / n`` of the run, ``u`` a seeded offset per language — so the replay
share holds throughout training, not only on average, and the schedule (hence the number of
steps) is known before any text is read.

:class:`BatchStream` is the ``Sequence`` of batches the training loop asks for: it builds batch
``i`` lazily, reading every language's corpus forward only (a 1B-token budget is never in
memory); asking for an earlier batch (a resumed run) restarts the readers and skips forward.
Under data parallelism the loop takes batches ``rank, rank + W, ...`` and drops the last
``len % W``; :func:`trained_tokens` counts exactly the blocks of the batches that were used.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
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


def language_blocks(
    lines: Iterable[str], tokenize: Tokenize, budget: int, block: int, where: str
) -> Iterator[list[int]]:
    """Blocks of ``block`` tokens (the last: what remains of ``budget``) from a line stream."""
    buffer: list[int] = []
    remaining = budget
    chunk: list[str] = []

    def cut() -> Iterator[list[int]]:
        nonlocal buffer, remaining
        while remaining > 0 and len(buffer) >= min(block, remaining):
            take = min(block, remaining)
            piece, buffer = buffer[:take], buffer[take:]
            remaining -= take
            yield piece

    for line in lines:
        chunk.append(line)
        if len(chunk) == LINES_PER_CALL:
            for ids in tokenize(chunk):
                buffer.extend(ids)
            chunk = []
            yield from cut()
            if remaining == 0:
                return
    for ids in tokenize(chunk) if chunk else []:
        buffer.extend(ids)
    yield from cut()
    if remaining > 0:
        found = budget - remaining + len(buffer)
        raise XstiltsError(
            f"{where}: the corpus holds {found:,} tokens, the cell's budget is {budget:,}"
        )


class BatchStream(Sequence[dict[str, Any]]):
    """The cell's batches, built on demand (see the module docstring)."""

    def __init__(
        self, schedule: Schedule, open_blocks: Callable[[str], Iterator[list[int]]], tokenizer: Any
    ) -> None:
        self.schedule = schedule
        self._open_blocks = open_blocks
        self._bos, self._eos = int(tokenizer.bos_token_id), int(tokenizer.eos_token_id)
        self._pad, self._mask = int(tokenizer.pad_token_id), int(tokenizer.mask_token_id)
        self._vocab = len(tokenizer)
        self._readers: list[Iterator[list[int]]] = []
        self._next = 0

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
        if index < self._next or not self._readers:
            self._readers = [self._open_blocks(code) for code in self.schedule.languages]
            self._next = 0
        while self._next < index:  # skip forward: read (and drop) the batches in between
            self._blocks(self._next)
            self._next += 1
        blocks = self._blocks(index)
        self._next = index + 1
        return self._collate(blocks)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for index in range(len(self)):
            yield self[index]

    def _blocks(self, index: int) -> list[tuple[str, list[int]]]:
        size = self.schedule.batch_size
        owners = self.schedule.order[index * size : (index + 1) * size]
        return [(self.schedule.languages[o], next(self._readers[o])) for o in owners]

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
