"""The machine's measured matmul peak: the denominator of every "fraction of peak" in the suite.

The peak is the best median GFLOP/s of fp32 ``torch.mm`` over a few square sizes (2·n³ FLOPs per
product) plus the shapes the demo model's linear layers actually run (tokens x 384 x 1536), with
torch's current thread count. A vendor's theoretical peak would flatter nobody: what a GEMM
achieves on this machine, now, is the fair ceiling for a training step made of GEMMs.
"""

from __future__ import annotations

import time
from typing import Any

from bench_common import median

SQUARE_SIZES = (512, 1024, 2048)
# (m, k, n) of the e5-small FFN input projection at 16 x 48 tokens: the model's largest GEMM.
MODEL_SHAPES = ((768, 384, 1536), (768, 1536, 384))


def _gflops(m: int, k: int, n: int, dtype: Any, device: str, seconds_budget: float) -> float:
    import torch

    a = torch.randn(m, k, dtype=dtype, device=device)
    b = torch.randn(k, n, dtype=dtype, device=device)
    out = torch.empty(m, n, dtype=dtype, device=device)

    def sync() -> None:
        if device != "cpu":
            torch.cuda.synchronize()

    torch.mm(a, b, out=out)  # warm-up (thread pool, kernel selection)
    sync()
    start = time.perf_counter()
    torch.mm(a, b, out=out)
    sync()
    once = max(time.perf_counter() - start, 1e-6)
    inner = max(1, int(seconds_budget / 5 / once))
    rates = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(inner):
            torch.mm(a, b, out=out)
        sync()
        rates.append(2.0 * m * k * n * inner / (time.perf_counter() - start) / 1e9)
    return median(rates)


def measure_peak(
    dtype: str = "float32", device: str = "cpu", seconds_per_shape: float = 0.6
) -> dict[str, Any]:
    """``{"peak_gflops": best, "by_shape": {...}, "threads": n}`` for ``dtype`` on ``device``."""
    import torch

    torch_dtype = getattr(torch, dtype)
    sizes = [(n, n, n) for n in SQUARE_SIZES] + list(MODEL_SHAPES)
    if device != "cpu":
        sizes += [(4096, 4096, 4096), (8192, 8192, 8192)]
    by_shape = {
        f"{m}x{k}x{n}": _gflops(m, k, n, torch_dtype, device, seconds_per_shape)
        for m, k, n in sizes
    }
    return {
        "dtype": dtype,
        "device": device,
        "threads": torch.get_num_threads(),
        "peak_gflops": max(by_shape.values()),
        "by_shape": by_shape,
    }
