"""What the word-embedding update alone costs a step: dense (what ``transformers.Trainer`` runs:
a dense gradient, ``clip_grad_norm_``, fused AdamW over all 250,002 × 384 rows) against xstilts'
sparse rows (``nn.Embedding(sparse=True)``, ``train.sparse_adamw.clip_grad_norm`` and
``RowSparseAdamW``), in CPU seconds per step, mean of 5 steps after the first (which allocates
the moments). It bounds the trainable-embedding ratio of ``make bench``: with both sides running
the same model, the sparse update can win at most this difference per step (benchmarks/profile.md).

    python benchmarks/embedding_update_cost.py [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import torch

from xstilts.train.sparse_adamw import RowSparseAdamW, clip_grad_norm

VOCABULARY, WIDTH = 250_002, 384  # XLM-R's vocabulary, e5-small's width


def cost(ids: torch.Tensor, sparse: bool, steps: int = 5) -> dict[str, float]:
    """Mean CPU seconds of backward, clipping and optimizer step of the embedding alone."""
    embedding = torch.nn.Embedding(VOCABULARY, WIDTH, padding_idx=1, sparse=sparse)
    kind = RowSparseAdamW if sparse else torch.optim.AdamW
    optimizer = kind(embedding.parameters(), lr=5e-5, weight_decay=0.01, fused=True)
    totals = {"backward": 0.0, "clip": 0.0, "step": 0.0}
    for step in range(steps + 1):
        out = embedding(ids)
        t0 = time.process_time()
        out.sum().backward()
        t1 = time.process_time()
        if sparse:
            clip_grad_norm(embedding.parameters(), 1.0)
        else:
            torch.nn.utils.clip_grad_norm_(embedding.parameters(), 1.0)
        t2 = time.process_time()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        t3 = time.process_time()
        if step:
            for key, seconds in zip(totals, (t1 - t0, t2 - t1, t3 - t2), strict=True):
                totals[key] += seconds / steps
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for batch, length in ((16, 96), (16, 40)):
        ids = torch.randint(0, VOCABULARY, (batch, length))
        for sparse in (False, True):
            totals = cost(ids, sparse)
            parts = ", ".join(f"{k} {v:.3f} s" for k, v in totals.items())
            name = "sparse rows" if sparse else "dense"
            print(f"{batch} x {length} tokens, {name}: {parts}; total {sum(totals.values()):.3f} s")


if __name__ == "__main__":
    main()
