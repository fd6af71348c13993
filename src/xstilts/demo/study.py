"""The embedded demo study (``demo.yaml`` + ``data/``), as ``xstilts demo`` runs it."""

from __future__ import annotations

from pathlib import Path

from xstilts.config import StudyConfig, load_study

DEMO_DIR = Path(__file__).parent


def demo_study(output: Path, seeds: int = 0) -> StudyConfig:
    """The demo study reading the packaged data and writing to ``output`` (``seeds``: how
    many, 0 = the YAML's)."""
    study = load_study(DEMO_DIR / "demo.yaml")
    study.data_dir = str(DEMO_DIR / "data")
    study.output_dir = str(Path(output).resolve())
    if seeds:
        study.seeds = list(range(seeds))
    return study
