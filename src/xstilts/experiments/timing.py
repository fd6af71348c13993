"""Where a run's time and memory went: the numbers each result row carries besides its score.

Why not one number: a run's wall time (``seconds``) mixes loading the encoder, the intermediate
phase (trained once and reused by every target), the target training and the evaluation of every
language, so it cannot say what one more language or one more epoch costs. Rows therefore also
carry ``train_seconds`` (the target training phase), ``intermediate_seconds`` (the intermediate
phase, as measured when it was trained), ``eval_seconds`` (this row's split and language) and
``peak_memory_mib``.

How ``eval_seconds`` is measured: the kept evaluation of a trained family predicts each
(split, language) in its own call and times it (``families.base.predict_sets_timed``), then adds
that set's scoring time; nothing is apportioned. (The dev evaluations during
training pool every language into one length-sorted pass, which wastes fewer padded batches, and
are not timed per language.) Retrieval evaluates one language at a time, and the measured time
of a language covers all its splits (BUCC's dev threshold tuning serves its test split).
"""

from __future__ import annotations

import resource
import sys

import torch


def reset_peak_memory() -> None:
    """Start a run's GPU peak from zero (the CPU peak cannot be reset, see below)."""
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def peak_memory_mib() -> float:
    """Peak memory in MiB: the CUDA allocator's peak since :func:`reset_peak_memory` on a GPU;
    on CPU the process's peak resident set (``ru_maxrss``), which is a high-water mark over the
    process's whole life, so later runs of one process report at least the earlier peaks."""
    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB else
