"""The report's findings, comparisons over none and the controls, families and power."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import numpy as np

from xstilts.analysis.claims import render_claims
from xstilts.analysis.report import write_report
from xstilts.experiments.store import ResultStore

LANGUAGES = (("en", 0.8), ("de", 0.6), ("fr", 0.62), ("sw", 0.5), ("ur", 0.45))


def write_study(path: Path, effects: dict[str, float], seeds: int) -> Path:
    """Runs written through the real store, rows and items together, as the runner does."""
    difficulty = np.random.default_rng(3).random(120)
    with ResultStore(path) as store:
        for config, effect in effects.items():
            for seed in range(seeds):
                run_id = f"{config}-{seed}"
                rows, items = [], []
                for language, base in LANGUAGES:
                    correct = (difficulty < base + effect + 0.02 * seed) * 100.0
                    shared = {"run_id": run_id, "split": "test", "language": language,
                              "selection": "en_dev", "metric": "accuracy"}  # fmt: skip
                    rows.append({**shared, "study": "s", "encoder": "e", "seed": seed,
                                 "intermediate_task": config, "target_task": "xnli",
                                 "value": correct.mean(), "config_json": "{}",
                                 "started_at": datetime(2026, 1, 1), "seconds": 1.0})  # fmt: skip
                    items += [{**shared, "target_task": "xnli", "item_id": str(i), "score": v}
                              for i, v in enumerate(correct)]  # fmt: skip
                store.add_run(rows, items)
    return path


def test_report_shows_findings_controls_and_power(tmp_path: Path) -> None:
    effects = {"none": 0.0, "mnli": 0.12, "mnli@shuffled": 0.0, "mnli@mlm-control": 0.01}
    store = write_study(tmp_path / "results.duckdb", effects, seeds=2)
    text = write_report(store, tmp_path / "report").read_text(encoding="utf-8")
    assert "## Findings" in text and "## Power" in text
    assert "mnli → xnli vs the control mnli@shuffled" in text
    assert "mnli → xnli vs the control mnli@mlm-control" in text
    assert "Holm (family-wise error)" in text and "Benjamini–Hochberg (FDR)" in text
    assert "4 zero-shot languages, 480 test items, 2 seeds" in text
    assert "WARNING xnli: 2 seeds" in text
    assert "xnli: score [95% CI] per language." in text
    assert "xnli: gap to English (English − language) [95% CI]." in text
    assert "The floor of zero-shot transfer" in text and "| worst language | 1 of 4 |" in text
    assert "X-STILTs-sized effects" in text  # 120 items cannot detect 0.5-2 points
    assert "too small to detect X-STILTs-sized effects" in text
    interval = re.compile(r"95% CI ([+-][\d.]+) to ([+-][\d.]+)")
    findings = [
        line for line in text.splitlines() if line.startswith("- ") and "points (95% CI" in line
    ]
    assert len(findings) == 5
    for sentence in findings:
        low, high = (float(v) for v in interval.findall(sentence)[0])
        if low <= 0 <= high:
            assert "not supported by these data" in sentence
        else:
            assert "supported" in sentence


def test_render_claims_without_controls_or_comparisons(tmp_path: Path) -> None:
    store = write_study(tmp_path / "a.duckdb", {"none": 0.0}, seeds=1)
    assert "No comparison" in render_claims(store, resamples=200)
    store = write_study(tmp_path / "b.duckdb", {"none": 0.0, "mnli": 0.0}, seeds=1)
    text = render_claims(store, resamples=200)
    assert "not supported by these data" in text and "WARNING xnli: 1 seed" in text
    report = write_report(store, tmp_path / "report").read_text(encoding="utf-8")
    assert "No control intermediate in this study" in report
