"""The embedded demo study (``demo.yaml`` + ``data/``), as ``xstilts demo`` runs it."""

from __future__ import annotations

from pathlib import Path

from xstilts.config import StudyConfig, load_study
from xstilts.models.encoder import cpu_has_native_bf16

DEMO_DIR = Path(__file__).parent
FP32_NOTE = (
    "precision fp32: this CPU has no native bfloat16 (avx512_bf16/amx_bf16), so the demo trains "
    "in float32 instead of demo.yaml's bf16; its numbers are those of another configuration than "
    "the README's record, and it takes longer"
)


def demo_study(output: Path, seeds: int = 0, native_bf16: bool | None = None) -> StudyConfig:
    """The demo study reading the packaged data and writing to ``output`` (``seeds``: how
    many, 0 = the YAML's).

    demo.yaml trains in bf16, which pays only on a CPU with native bf16 (``native_bf16``: None
    asks :func:`cpu_has_native_bf16`); elsewhere both phases fall back to fp32, which the run ids
    hash, so those rows are never mixed with bf16 ones, and :data:`FP32_NOTE` says so."""
    study = load_study(DEMO_DIR / "demo.yaml")
    if not (cpu_has_native_bf16() if native_bf16 is None else native_bf16):
        for phase in (study.intermediate, study.target):
            phase.precision = "fp32"
    study.data_dir = str(DEMO_DIR / "data")
    study.output_dir = str(Path(output).resolve())
    if seeds:
        study.seeds = list(range(seeds))
    return study
