"""BUCC-style bitext mining: xstilts' ``max_margin_pairs`` against a naive numpy implementation.

Both sides get the same L2-normalised float32 sentence embeddings (synthetic: ``n`` random unit
vectors per side in the e5-small width, half of the target side a noisy copy of a source
sentence, so there are true pairs to find) and run the same algorithm — ratio margin over k=4
nearest neighbours in both directions, "max" retrieval, greedy 1:1 acceptance
(``google-research/xtreme:third_party/utils_retrieve.py``'s ``mine_bitext``):

- **xstilts**: ``xstilts.families.retrieval_bucc.max_margin_pairs`` with its default backend
  (``auto``: faiss ``IndexFlatIP`` on a CPU when faiss is installed, else a blocked torch
  matmul + ``topk`` whose memory stays near 512 MiB);
- **naive numpy**: the full ``n x n`` similarity matrix ``x @ y.T``, then
  ``np.argsort(-S, axis=1)[:, :k]`` for the forward and ``np.argsort(-S.T, axis=1)[:, :k]``
  for the backward neighbours, the same margin and greedy acceptance. Its memory is
  ``n² · 4`` bytes for ``S`` plus ``n² · 8`` for each argsort (10^5 per side: ~120 GB).

The mined pairs of the two are checked to be identical. The fraction of the matmul peak counts
the FLOPs the algorithm does as implemented: two k-NN searches, ``2 · 2·n·m·d``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from bench_common import Measurement, PeakMemory, alternate, median_of, noise

DIM = 384  # multilingual-e5-small's width
K = 4


def synthetic_embeddings(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``, unit rows; ``y[perm[i]]`` is a noisy copy of ``x[i]`` for half the rows."""
    from xstilts.families.knn import normalize_rows

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, DIM), dtype=np.float32)
    y = rng.standard_normal((n, DIM), dtype=np.float32)
    half = n // 2
    perm = rng.permutation(n)[:half]
    y[perm] = x[:half] + 0.8 * rng.standard_normal((half, DIM), dtype=np.float32)
    return normalize_rows(x), normalize_rows(y)


def naive_numpy_pairs(x: np.ndarray, y: np.ndarray, k: int = K) -> list[tuple[float, int, int]]:
    """Mine with a full similarity matrix and argsort (see the module docstring)."""
    similarity = x @ y.T
    forward_ids = np.argsort(-similarity, axis=1)[:, :k]
    backward_ids = np.argsort(-similarity.T, axis=1)[:, :k]
    rows_x, rows_y = np.arange(len(x))[:, None], np.arange(len(y))[:, None]
    forward_sim = similarity[rows_x, forward_ids]
    backward_sim = similarity.T[rows_y, backward_ids]
    del similarity
    forward_mean = forward_sim.astype(np.float64).mean(axis=1)
    backward_mean = backward_sim.astype(np.float64).mean(axis=1)
    forward_scores = forward_sim / ((forward_mean[:, None] + backward_mean[forward_ids]) / 2)
    backward_scores = backward_sim / ((backward_mean[:, None] + forward_mean[backward_ids]) / 2)
    best_f, best_b = forward_scores.argmax(axis=1), backward_scores.argmax(axis=1)
    src = np.concatenate((np.arange(len(x)), backward_ids[np.arange(len(y)), best_b]))
    trg = np.concatenate((forward_ids[np.arange(len(x)), best_f], np.arange(len(y))))
    scores = np.concatenate(
        (forward_scores[np.arange(len(x)), best_f], backward_scores[np.arange(len(y)), best_b])
    )
    used_x: set[int] = set()
    used_y: set[int] = set()
    accepted = []
    for position in np.argsort(-scores, kind="stable"):
        i, j = int(src[position]), int(trg[position])
        if i in used_x or j in used_y:
            continue
        used_x.add(i)
        used_y.add(j)
        if scores[position] > 0:
            accepted.append((float(scores[position]), i, j))
    return accepted


def _timed(fn: Any, flops: float, peak_gflops: float) -> dict[str, Any]:
    with PeakMemory() as memory:
        start = time.perf_counter()
        pairs = fn()
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_mib": memory.peak_mib,
        "fraction_of_peak": flops / seconds / 1e9 / peak_gflops,
        "pairs": {(i, j) for _, i, j in pairs},
    }


def run(
    peak_gflops: float, ratio_size: int, peak_sizes: list[int], repeats: int, log: Any
) -> tuple[list[Measurement], dict[str, Any]]:
    from xstilts.families import knn, retrieval_bucc

    backend = "faiss" if knn.faiss_available() else "torch"
    x, y = synthetic_embeddings(ratio_size)
    flops = 2 * 2.0 * len(x) * len(y) * DIM
    log(f"mining: {ratio_size} x {ratio_size} sentences, xstilts ({backend}) vs naive numpy")
    runs = alternate(
        {
            "xstilts": lambda: _timed(
                lambda: retrieval_bucc.max_margin_pairs(x, y, K), flops, peak_gflops
            ),
            "naive": lambda: _timed(lambda: naive_numpy_pairs(x, y), flops, peak_gflops),
        },
        repeats,
    )
    identical = runs["xstilts"][0]["pairs"] == runs["naive"][0]["pairs"]
    x_s, r_s = median_of(runs["xstilts"], "seconds"), median_of(runs["naive"], "seconds")
    rows = [
        Measurement(
            section="mining",
            name=f"BUCC mining, {ratio_size:,} sentences per side (seconds)",
            xstilts=x_s,
            reference=r_s,
            reference_name="naive numpy: full similarity matrix + argsort k-NN",
            unit="s",
            ratio=r_s / x_s,
            target="≥ 1.0×",
            target_value=1.0,
            details={
                **noise(runs["xstilts"], runs["naive"]),
                "backend": backend,
                "identical_pairs": identical,
                "pairs": len(runs["xstilts"][0]["pairs"]),
                "peak_mib": {
                    "xstilts": median_of(runs["xstilts"], "peak_mib"),
                    "reference": median_of(runs["naive"], "peak_mib"),
                },
                "seconds": {
                    "xstilts": [r["seconds"] for r in runs["xstilts"]],
                    "reference": [r["seconds"] for r in runs["naive"]],
                },
            },
        )
    ]
    raw: dict[str, Any] = {"ratio_size": ratio_size, "backend": backend, "identical": identical}
    for side in runs.values():
        for run_ in side:
            run_.pop("pairs")
    raw["runs"] = runs
    fractions = {ratio_size: median_of(runs["xstilts"], "fraction_of_peak")}
    memory = {ratio_size: median_of(runs["xstilts"], "peak_mib")}
    for size in peak_sizes:
        if size == ratio_size:
            continue
        log(f"mining: {size} x {size} sentences, xstilts only")
        xs, ys = synthetic_embeddings(size, seed=1)
        result = _timed(
            lambda xs=xs, ys=ys: retrieval_bucc.max_margin_pairs(xs, ys, K),
            2 * 2.0 * size * size * DIM,
            peak_gflops,
        )
        fractions[size], memory[size] = result["fraction_of_peak"], result["peak_mib"]
        raw[f"xstilts_{size}"] = {k: v for k, v in result.items() if k != "pairs"}
    for size, fraction in fractions.items():
        rows.append(
            Measurement(
                section="mining",
                name=f"BUCC mining FLOP/s ÷ matmul peak, {size:,} per side",
                xstilts=fraction,
                reference=None,
                reference_name="measured fp32 matmul peak",
                unit="fraction of peak",
                ratio=fraction,
                target="report",
                details={
                    "peak_mib": memory[size],
                    "flops": "2 k-NN searches x 2·n·m·d",
                    "backend": backend,
                },
            )
        )
    return rows, raw
