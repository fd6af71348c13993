"""The encoder panel recovers a planted within-language volume slope exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xstilts.analysis.panel import encoder_volumes, panel_frame, volume_column, volume_slope
from xstilts.languages.table import load_languages

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
    assert volume_column("cis-lmu/glot500-base") == "volumes_glot500c_sentences.csv"
    assert volume_column("google/mt5-large") == "volumes_mc4_tokens_b.csv"
    assert volume_column("google/rembert") is None
    languages = pd.DataFrame({"iso639_1": ["de", "sw"], "wiki_tokens_m": [900.0, 5.0],
                              "cc100_tokens_m": [10000.0, 300.0]})  # fmt: skip
    rows = pd.DataFrame({
        "encoder": ["bert-base-multilingual-cased", "xlm-roberta-base", "google/rembert"],
        "language": ["sw", "sw", "sw"], "value": [50.0, 60.0, 70.0],
    })  # fmt: skip
    joined = panel_frame(rows, languages)
    assert joined.sort_values("encoder")["volume"].tolist() == [5.0, 300.0]


def test_glot500_and_mt5_rows_join_their_own_published_volumes():
    # Spot checks against the sources (SOURCES.md): Glot500-c sentences from
    # cisnlp/Glot500:miscellaneous/languages_stats.csv (new_length of swa_Latn, yor_Latn,
    # zho_Hani); mC4 billions of tokens from the mT5 paper's table via mc4.csv (sw, de, he = iw).
    rows = pd.DataFrame({
        "encoder": ["cis-lmu/glot500-base"] * 3 + ["google/mt5-base"] * 4,
        "language": ["sw", "yo", "zh", "sw", "de", "he", "qu"],
        "value": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
    })  # fmt: skip
    joined = panel_frame(rows, load_languages()).set_index(["encoder", "language"])["volume"]
    assert joined["cis-lmu/glot500-base", "sw"] == 5989369
    assert joined["cis-lmu/glot500-base", "yo"] == 2392359
    assert joined["cis-lmu/glot500-base", "zh"] == 24143786
    assert joined["google/mt5-base", "sw"] == 1.0
    assert joined["google/mt5-base", "de"] == 347.0
    assert joined["google/mt5-base", "he"] == 17.0
    assert joined["google/mt5-base", "qu"] == 0.0  # not among mT5's 101 languages: unseen


def test_the_packaged_tables_cover_every_language_of_the_table():
    codes = set(load_languages()["iso639_1"])
    for encoder in ["glot500-base", "mt5-small"]:
        volumes = encoder_volumes(encoder, load_languages())
        assert volumes is not None and set(volumes.index) == codes
        assert (volumes >= 0).all()
    unseen = encoder_volumes("mt5-small", load_languages())
    assert sorted(unseen[unseen == 0].index) == ["qu", "wo"]


def test_a_panel_over_four_tables_recovers_a_planted_slope():
    # Scores planted in each table's own unit (words, sentences, SentencePiece tokens): the
    # encoder fixed effects absorb the unit, so the slope comes back from the real volumes.
    languages = load_languages()
    rng = np.random.default_rng(7)
    encoders = ["bert-base-multilingual-cased", "xlm-roberta-base", "glot500-base", "mt5-base"]
    rows = [{"encoder": encoder, "language": code, "value": 0.0}
            for encoder in encoders for code in languages["iso639_1"]]  # fmt: skip
    frame = panel_frame(pd.DataFrame(rows), languages)
    level = dict(zip(languages["iso639_1"], rng.normal(60, 10, len(languages)), strict=True))
    shift = dict(zip(encoders, [0.0, 3.0, 5.0, -2.0], strict=True))
    seen = frame["volume"] > 0
    frame["value"] = (
        frame["language"].map(level)
        + frame["encoder"].map(shift)
        + np.where(seen, 1.5 * np.log10(frame["volume"].where(seen, 1.0)), -4.0)
    )
    result = volume_slope(frame)
    assert result["slope"] == pytest.approx(1.5, abs=1e-6)
    assert set(frame["encoder"]) == set(encoders) and result["identifying_languages"] == 51
