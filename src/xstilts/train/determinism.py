"""Opt-in bit-reproducible training on a GPU (``deterministic: true`` in a study).

On a CPU the fp32 default is already reproducible. On CUDA, cuBLAS picks reduction orders per
workspace and several kernels (atomics in scatter/index_add, some attention backwards) are
non-deterministic, so two runs of one seed differ in the last bits and, after thousands of
steps, in the scores. PyTorch's recipe (docs "Reproducibility"):

- ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` (or ``:16:8``) before the first cuBLAS call, else
  ``use_deterministic_algorithms`` raises on CUDA >= 10.2;
- ``torch.use_deterministic_algorithms(True)``: deterministic kernels where they exist, an error
  naming the operation where none does (never a silent non-deterministic fallback);
- cuDNN: no benchmark autotuning, deterministic convolutions.

It costs speed, so it is off by default; the run id hashes the switch.
"""

from __future__ import annotations

import os

import torch

CUBLAS_WORKSPACE = ":4096:8"


def enable_determinism() -> None:
    """Switch this process to deterministic kernels (call before any CUDA work)."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
