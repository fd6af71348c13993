"""Exact k-NN search (``families/knn.py``): the blocked torch search against brute force and
against faiss, whose results it must reproduce."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from xstilts.families.knn import _knn_torch, knn_search, normalize_rows
from xstilts.families.retrieval_bucc import max_margin_pairs


def test_torch_knn_is_exact_and_blocking_changes_nothing() -> None:
    rng = np.random.default_rng(0)
    queries = normalize_rows(rng.normal(size=(37, 8)))
    index = normalize_rows(rng.normal(size=(53, 8)))
    brute = queries @ index.T
    cpu = torch.device("cpu")
    similarities, indices = _knn_torch(queries, index, 4, cpu)
    assert np.array_equal(indices, np.argsort(-brute, axis=1, kind="stable")[:, :4])
    assert np.allclose(similarities, np.take_along_axis(brute, indices, axis=1), atol=1e-6)
    blocked = _knn_torch(queries, index, 4, cpu, block_bytes=1)  # one query row per block
    assert np.array_equal(blocked[1], indices) and np.allclose(blocked[0], similarities)
    everything = _knn_torch(queries, index, 53, cpu)  # k = the whole index
    assert np.array_equal(everything[1][:, :4], indices)


def test_torch_fallback_equals_faiss() -> None:
    pytest.importorskip("faiss")
    rng = np.random.default_rng(1)
    x = normalize_rows(rng.normal(size=(300, 16)))
    y = normalize_rows(rng.normal(size=(400, 16)))
    faiss_sim, faiss_ids = knn_search(x, y, 4, backend="faiss")
    torch_sim, torch_ids = knn_search(x, y, 4, backend="torch")
    assert np.array_equal(faiss_ids, torch_ids)
    assert np.allclose(faiss_sim, torch_sim, atol=1e-5)
    via_faiss = max_margin_pairs(x, y, backend="faiss")
    via_torch = max_margin_pairs(x, y, backend="torch")
    assert [(i, j) for _, i, j in via_faiss] == [(i, j) for _, i, j in via_torch]
    assert [s for s, _, _ in via_faiss] == pytest.approx([s for s, _, _ in via_torch], rel=1e-5)
