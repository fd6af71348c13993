"""Smoke test of the benchmark suite (``-m bench``; never in the default run).

Runs ``benchmarks/run.py --quick`` as ``make bench`` runs the suite (a subprocess, so the entry
point itself is what is tested) and checks that the table and the JSON are written with every
section; plus the two pieces of logic a wrong ratio could hide behind: the naive miner must mine
exactly what xstilts mines, and the FLOP counter must follow its formula.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / "benchmarks"

pytestmark = pytest.mark.bench


@pytest.fixture()
def bench_modules(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return BENCHMARKS


def test_quick_suite_writes_table_and_json(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    table = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "| measurement | xstilts | reference | ratio | target | met? |" in table
    assert "quick smoke mode" in table
    payload = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    rows = payload["rows"]
    assert {"training", "evaluation", "mining", "scaling"} <= {row["section"] for row in rows}
    for row in rows:
        assert row["ratio"] is None or (math.isfinite(row["ratio"]) and row["ratio"] > 0), row
        assert row["reference_name"], row
    mining = next(row for row in rows if row["section"] == "mining" and row["reference"])
    assert mining["details"]["identical_pairs"] is True
    for row in rows:
        if row["section"] == "evaluation" and "fp32" in row["name"]:
            assert row["details"]["prediction_agreement"] == 1.0  # same numerics, same answers
        elif row["section"] == "evaluation":  # bf16 against fp32: rounding may flip a near-tie
            assert 0.0 <= row["details"]["prediction_agreement"] <= 1.0
    training = [row for row in rows if row["name"].startswith("training throughput")]
    assert len(training) == 4  # fixed and realistic, embeddings frozen and trained
    assert [row["details"]["variant"] for row in training[::2]] == [
        "word embeddings frozen",
        "word embeddings trained (both sides)",
    ]
    # the fixed-length data has no padding on either side; realistic data pads less in xstilts
    for fixed, realistic in (training[:2], training[2:]):
        assert fixed["details"]["padded_tokens"]["xstilts"] == fixed["details"]["real_tokens"]
        assert (
            realistic["details"]["padded_tokens"]["xstilts"]
            <= (realistic["details"]["padded_tokens"]["reference"])
        )
    import torch

    if not torch.cuda.is_available():
        assert payload["raw"]["gpu"] == {"skipped": "no CUDA device"}


def test_naive_miner_mines_what_xstilts_mines(bench_modules: Path) -> None:
    import bench_mining

    from xstilts.families.retrieval_bucc import max_margin_pairs

    x, y = bench_mining.synthetic_embeddings(300, seed=5)
    ours = max_margin_pairs(x, y, bench_mining.K, backend="torch")
    naive = bench_mining.naive_numpy_pairs(x, y)
    assert [(i, j) for _, i, j in ours] == [(i, j) for _, i, j in naive]
    assert [s for s, _, _ in ours] == pytest.approx([s for s, _, _ in naive], rel=1e-5)


def test_flop_counter_follows_its_formula(bench_modules: Path) -> None:
    import torch
    from bench_models import FlopCounter, non_embedding_parameters
    from transformers import XLMRobertaConfig, XLMRobertaModel

    config = XLMRobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2,
                              num_attention_heads=2, intermediate_size=32)  # fmt: skip
    encoder = XLMRobertaModel(config, add_pooling_layer=False)
    counter = FlopCounter(encoder)
    ids = torch.full((2, 5), 7)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    encoder(input_ids=ids, attention_mask=mask)
    counter.remove()
    n = non_embedding_parameters(encoder)
    per_token, attention = 6 * n, 12 * 2 * 16
    assert counter.tokens == 8 and counter.padded_tokens == 10
    assert counter.model_flops == pytest.approx(per_token * 8 + attention * (5**2 + 3**2))
    assert counter.hardware_flops == pytest.approx(2 * (per_token * 5 + attention * 5**2))


def test_gpu_bench_data_and_flops(bench_modules: Path) -> None:
    """Synthetic GPU features: fixed rows are exactly L long, realistic ones ≤ L with the
    documented median; FLOPs follow 6·N·T + 12·L·d·T² per sequence."""
    import statistics

    import bench_gpu

    fixed = bench_gpu.synthetic_features(64, 128, 1000, realistic=False, seed=0)
    assert {len(ids) for ids, _ in fixed} == {128}
    realistic = bench_gpu.synthetic_features(2000, 128, 1000, realistic=True, seed=0)
    lengths = [len(ids) for ids, _ in realistic]
    assert max(lengths) <= 128 and 35 <= statistics.median(lengths) <= 45
    assert all(ids[0] == 0 and ids[-1] == 2 for ids, _ in realistic)
    encoder = bench_gpu._encoder(bench_gpu.TINY, "cpu")
    n = sum(p.numel() for p in encoder.encoder.parameters())
    d, layers = 64, 2
    expected = sum(6.0 * n * t + 12.0 * layers * d * t * t for t in lengths[:10])
    assert bench_gpu.flops(realistic[:10], encoder) == pytest.approx(expected)


def test_flop_counter_counts_a_packed_batch_as_the_padded_one(bench_modules: Path) -> None:
    """Packed rows (models.packing) carry the same useful work as the padded batch they hold."""
    import torch
    from bench_models import FlopCounter
    from transformers import XLMRobertaConfig, XLMRobertaModel

    from xstilts.models.packing import PackedInputs, block_diagonal_mask, pack_batch

    config = XLMRobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2,
                              num_attention_heads=2, intermediate_size=32)  # fmt: skip
    encoder = XLMRobertaModel(config, add_pooling_layer=False)
    ids = torch.tensor([[7, 7, 7, 7, 7], [7, 7, 7, 1, 1], [7, 7, 1, 1, 1]])
    batch = {"input_ids": ids, "attention_mask": (ids != 1).long()}
    padded = FlopCounter(encoder)
    encoder(input_ids=ids, attention_mask=batch["attention_mask"])
    padded.remove()
    packed = FlopCounter(encoder)
    layout = PackedInputs.from_batch(pack_batch(batch, 5, 1, 2))
    assert layout is not None and layout.input_ids.shape == (2, 5)
    for implementation in ("sdpa", "eager"):
        mask = block_diagonal_mask(layout.segments, implementation, torch.float32)
        packed._hook(encoder, (), {"input_ids": layout.input_ids, "attention_mask": mask})
    packed.remove()
    assert packed.tokens == 2 * padded.tokens == 20 and packed.padded_tokens == 20
    assert packed.sequences == 2 * padded.sequences == 6
    assert packed.model_flops == pytest.approx(2 * padded.model_flops)
