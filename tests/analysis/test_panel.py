"""The encoder panel recovers a planted within-language volume slope exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xstilts.analysis.panel import panel_frame, volume_column, volume_slope

ENCODERS = ["bert-base-multilingual-cased", "xlm-roberta-base", "xlm-roberta-large"]


def _constructed(slope: float, noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Scores = language effect + encoder effect + slope * log10(volume) (+ noise)."""
    rng = np.random.default_rng(seed)
    languages = [f"l{i}" for i in range(12)]
    language_effect = dict(zip(languages, rng.normal(60, 10, len(languages)), strict=True))
    encoder_effect = dict(zip(ENCODERS, [0.0, 4.0, 9.0], strict=True))
    rows = []
    for language in languages:
        for encoder in ENCODERS:
            volume = float(10 ** rng.uniform(0, 4)) if rng.random() > 0.15 else 0.0
            seen = slope * np.log10(volume) if volume > 0 else -7.5  # unseen: its own level
            value = language_effect[language] + encoder_effect[encoder] + seen
            rows.append({"language": language, "encoder": encoder, "volume": volume,
                         "value": value + rng.normal(0, noise)})  # fmt: skip
    return pd.DataFrame(rows)


@pytest.mark.parametrize("slope", [0.0, 2.5, -1.25])
def test_a_planted_slope_is_recovered_to_1e_6(slope):
    result = volume_slope(_constructed(slope))
    assert result["slope"] == pytest.approx(slope, abs=1e-6)
    assert result["identifying_languages"] == 12


def test_the_slope_is_not_confounded_by_language_levels():
    # Languages with more volume also score higher for reasons of their own: a pooled
    # regression would mix the two, the within-language estimate does not.
    frame = _constructed(1.0)
    frame["value"] += frame.groupby("language")["volume"].transform("mean") / 1000
    pooled = np.polyfit(np.log10(frame["volume"].clip(lower=1)), frame["value"], 1)[0]
    within = volume_slope(frame)["slope"]
    language_mean_volume = frame.groupby("language")["volume"].transform("mean")
    assert within == pytest.approx(1.0, abs=1e-6) and language_mean_volume.nunique() > 1
    assert abs(pooled - 1.0) > 0.1


def test_noise_gives_an_interval_that_covers_the_truth():
    result = volume_slope(_constructed(2.0, noise=1.0, seed=3))
    assert result["se"] > 0 and result["df"] > 1
    assert abs(result["slope"] - 2.0) < 4 * result["se"]


def test_each_encoder_reads_its_own_pretraining_table():
    assert volume_column("bert-base-multilingual-cased") == "wiki_tokens_m"
    assert volume_column("FacebookAI/xlm-roberta-large") == "cc100_tokens_m"
    assert volume_column("glot500-base") is None
    languages = pd.DataFrame({"iso639_1": ["de", "sw"], "wiki_tokens_m": [900.0, 5.0],
                              "cc100_tokens_m": [10000.0, 300.0]})  # fmt: skip
    rows = pd.DataFrame({
        "encoder": ["bert-base-multilingual-cased", "xlm-roberta-base", "glot500-base"],
        "language": ["sw", "sw", "sw"], "value": [50.0, 60.0, 70.0],
    })  # fmt: skip
    joined = panel_frame(rows, languages)
    assert joined.sort_values("encoder")["volume"].tolist() == [5.0, 300.0]
