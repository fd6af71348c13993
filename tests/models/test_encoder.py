"""``cpu_has_native_bf16``: read from /proc/cpuinfo's flags, False wherever it cannot tell."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from xstilts.models.encoder import cpu_has_native_bf16

ZEN4 = (
    "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\n"
)
AVX2 = "processor\t: 0\nmodel name\t: Intel Core\nflags\t\t: fpu sse4_2 avx2 fma\n"


def _cpuinfo(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, expected",
    [
        (ZEN4, torch.ops.mkldnn._is_mkldnn_bf16_supported()),  # the flag, and torch's bf16 path
        (ZEN4.replace("avx512_bf16", "amx_bf16"), torch.ops.mkldnn._is_mkldnn_bf16_supported()),
        (AVX2, False),  # AVX2 laptops: bf16 would be emulated, slower than fp32
        ("processor\t: 0\nBogoMIPS\t: 48.00\nFeatures\t: fp asimd bf16\n", False),  # no x86 flags
        ("", False),
    ],
)
def test_native_bf16_follows_the_cpu_flags(tmp_path: Path, text: str, expected: bool) -> None:
    assert cpu_has_native_bf16(_cpuinfo(tmp_path, text)) is expected


def test_no_cpuinfo_means_no_native_bf16(tmp_path: Path) -> None:
    assert cpu_has_native_bf16(tmp_path / "missing") is False
