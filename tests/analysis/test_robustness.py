"""Robustness measures on stores whose means, spreads, gains and intervals are known by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from store_records import rows
from xstilts.analysis import robustness as R

T_975_DF2 = 4.302652729749462  # t quantile, 97.5%, 2 df (tables: 4.3027)
TOL = 1e-6
GRID = "intermediate_task language seed value"  # the columns most tests vary


def only(table: pd.DataFrame, **where: object) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for column, value in where.items():
        mask &= table[column] == value
    selected = table[mask]
    assert len(selected) == 1, f"expected one row for {where}, got {len(selected)}"
    return selected.iloc[0]


def test_headline_metric_prefers_f1_for_qa_and_falls_back() -> None:
    assert R.headline_metric("xquad", ["exact_match", "f1"]) == "f1"
    assert R.headline_metric("xnli", ["accuracy"]) == "accuracy"
    assert R.headline_metric("new_task", ["zeta", "alpha"]) == "alpha"
    assert R.headline_metric("xquad", ["exact_match"]) == "exact_match"
    assert R.headline_metric("xnli", []) is None


def test_select_rows_per_task_selection_and_headline(store_rows) -> None:
    records = rows(
        "target_task selection metric split value",
        ("xnli", "en_dev", "accuracy", "test", 70.0),
        ("xnli", "oracle", "accuracy", "test", 72.0),
        ("tatoeba", "none", "accuracy", "test", 50.0),
        ("pawsx", "oracle", "accuracy", "test", 80.0),
        ("xquad", "en_dev", "f1", "test", 60.0),
        ("xquad", "en_dev", "exact_match", "test", 45.0),
        ("xnli", "en_dev", "accuracy", "dev", 99.0),
        intermediate_task="none",
        language="de",
        seed=0,
    )
    frame = store_rows(records)
    en_dev = R.select_rows(frame, selection="en_dev")
    assert sorted(zip(en_dev["target_task"], en_dev["value"], strict=True)) == [
        ("tatoeba", 50.0),  # retrieval: no checkpoint choice, kept
        ("xnli", 70.0),
        ("xquad", 60.0),  # f1, not exact match
    ]  # pawsx has only oracle rows: dropped rather than mixed into a zero-shot table
    oracle = R.select_rows(frame, selection="oracle")
    assert sorted(zip(oracle["target_task"], oracle["value"], strict=True)) == [
        ("pawsx", 80.0),
        ("tatoeba", 50.0),
        ("xnli", 72.0),
    ]
    assert R.select_rows(frame, split="nope").empty


def test_seed_summary_known_spread(store_rows) -> None:
    de_seeds = [("none", "de", s, v) for s, v in enumerate((70.0, 72.0, 74.0))]
    records = rows(GRID, *de_seeds, ("none", "sw", 0, 55.0), target_task="xnli")
    summary = R.seed_summary(store_rows(records))
    de = only(summary, language="de")
    assert de["n_seeds"] == 3
    assert de["mean"] == pytest.approx(72.0, abs=TOL)
    assert de["std"] == pytest.approx(2.0, abs=TOL)  # sample sd of 70, 72, 74
    assert (de["min"], de["max"]) == (70.0, 74.0)
    sw = only(summary, language="sw")
    assert sw["n_seeds"] == 1 and math.isnan(sw["std"])


def test_paired_gain_has_t_interval_across_seeds(store_rows) -> None:
    # differences per seed 1, 2, 3: mean 2, sd 1 -> 2 ± t(0.975, 2) / sqrt(3)
    baseline = [60.0, 61.0, 62.0]
    treated = [61.0, 63.0, 65.0]
    records = rows(
        GRID,
        *[
            (name, "de", s, v)
            for name, values in (("none", baseline), ("mnli", treated))
            for s, v in enumerate(values)
        ],
        target_task="xnli",
    )
    gain = only(R.gains(store_rows(records)), intermediate_task="mnli", language="de")
    half = T_975_DF2 * 1.0 / math.sqrt(3)
    assert gain["gain_pairing"] == "paired" and gain["gain_n"] == 3
    assert gain["gain"] == pytest.approx(2.0, abs=TOL)
    assert gain["gain_ci_low"] == pytest.approx(2.0 - half, abs=TOL)
    assert gain["gain_ci_high"] == pytest.approx(2.0 + half, abs=TOL)
    assert gain["baseline_mean"] == pytest.approx(61.0, abs=TOL)


def test_single_seed_gain_has_no_interval(store_rows) -> None:
    records = rows(GRID, ("none", "de", 0, 60.0), ("mnli", "de", 0, 64.5), target_task="xnli")
    gain = only(R.gains(store_rows(records)), language="de")
    assert gain["gain"] == pytest.approx(4.5, abs=TOL)
    assert math.isnan(gain["gain_ci_low"]) and math.isnan(gain["gain_ci_high"])


def test_unpaired_seeds_use_welch(store_rows) -> None:
    records = rows(
        GRID,
        ("none", "de", 0, 5.0),
        ("none", "de", 1, 6.0),
        ("mnli", "de", 3, 10.0),
        ("mnli", "de", 4, 12.0),
        target_task="xnli",
    )
    gain = only(R.gains(store_rows(records)), language="de")
    # Welch: var/n = 2/2 and 0.5/2; df = 1.25^2 / (1^2/1 + 0.25^2/1)
    se = math.sqrt(1.25)
    dof = 1.25**2 / (1.0 + 0.0625)
    half = float(stats.t.ppf(0.975, dof)) * se
    assert gain["gain_pairing"] == "welch"
    assert gain["gain"] == pytest.approx(5.5, abs=TOL)
    assert gain["gain_ci_low"] == pytest.approx(5.5 - half, abs=TOL)
    assert gain["gain_ci_high"] == pytest.approx(5.5 + half, abs=TOL)


def test_transfer_gap_to_english(store_rows) -> None:
    records = rows(
        GRID,
        *[
            ("mnli", lang, s, v + s)
            for lang, v in [("en", 80.0), ("de", 75.0), ("sw", 60.0)]
            for s in (0, 1)
        ],
        target_task="xnli",
    )
    gaps = R.transfer_gaps(store_rows(records))
    assert set(gaps["language"]) == {"de", "sw"}
    assert only(gaps, language="de")["gap_to_english"] == pytest.approx(5.0, abs=TOL)
    assert only(gaps, language="sw")["gap_to_english"] == pytest.approx(20.0, abs=TOL)


def test_worst_language_and_bottom_quintile(store_rows) -> None:
    languages = ["de", "fr", "es", "ru", "zh", "ar", "hi", "sw", "ur", "th"]
    records = rows(
        GRID,
        ("none", "en", 0, 99.0),
        ("mnli", "en", 0, 99.0),
        *[
            (name, lang, 0, value)
            for i, lang in enumerate(languages)
            for name, value in (("none", 40.0 + i), ("mnli", 59.0 - i))
        ],
        target_task="xnli",
    )
    worst = R.worst_languages(store_rows(records))
    mnli = only(worst, intermediate_task="mnli")
    assert mnli["n_languages"] == 10  # English excluded
    assert mnli["worst_language"] == "th" and mnli["worst_score"] == 50.0
    assert mnli["bottom_languages"] == "th,ur"  # ceil(0.2 * 10) = 2 lowest
    assert mnli["bottom_mean"] == pytest.approx(50.5, abs=TOL)
    assert mnli["baseline_bottom_mean"] == pytest.approx(40.5, abs=TOL)  # de, fr
    assert mnli["bottom_gain"] == pytest.approx(10.0, abs=TOL)
    none = only(worst, intermediate_task="none")
    assert none["worst_language"] == "de" and math.isnan(none["bottom_gain"])
    assert [R.bottom_count(n) for n in (1, 3, 5, 6, 10, 11)] == [1, 1, 1, 2, 2, 3]


def test_selection_gap_oracle_minus_en_dev(store_rows) -> None:
    records = rows(
        "seed selection value",
        *[
            (seed, selection, value)
            for seed, (en_dev, oracle) in enumerate([(70.0, 71.0), (70.0, 72.0), (70.0, 73.0)])
            for selection, value in (("en_dev", en_dev), ("oracle", oracle))
        ],
        intermediate_task="mnli",
        target_task="xnli",
        language="de",
    )
    gap = only(R.selection_gaps(store_rows(records)), language="de")
    half = T_975_DF2 / math.sqrt(3)
    assert gap["selection_gap"] == pytest.approx(2.0, abs=TOL)
    assert gap["selection_gap_ci_low"] == pytest.approx(2.0 - half, abs=TOL)
    assert gap["n_seeds"] == 3


def test_task_gain_averages_languages_then_seeds(store_rows) -> None:
    # seed 0: gains 2 and 4 -> 3; seed 1: gains 4 and 6 -> 5. Mean 4, sd sqrt(2), n 2.
    records = rows(
        GRID,
        *[
            (name, lang, seed, value)
            for seed, gains in enumerate([(2.0, 4.0), (4.0, 6.0)])
            for lang, gain in zip(("en", "de"), gains, strict=True)
            for name, value in (("none", 50.0), ("mnli", 50.0 + gain))
        ],
        target_task="xnli",
    )
    task = only(R.task_gains(store_rows(records)), intermediate_task="mnli")
    half = float(stats.t.ppf(0.975, 1)) * math.sqrt(2) / math.sqrt(2)
    assert task["gain"] == pytest.approx(4.0, abs=TOL)
    assert task["gain_ci_low"] == pytest.approx(4.0 - half, abs=TOL)
    assert task["n_languages"] == 2 and task["gain_n"] == 2


def test_seed_stored_by_two_studies_counts_once(store_rows) -> None:
    records = rows(
        "study value",
        ("a", 60.0),
        ("b", 62.0),
        intermediate_task="none",
        target_task="xnli",
        language="de",
        seed=0,
    )
    de = only(R.seed_summary(store_rows(records)), language="de")
    assert de["n_seeds"] == 1 and de["mean"] == pytest.approx(61.0, abs=TOL)


def test_robustness_table_joins_everything(store_rows) -> None:
    records = rows(
        GRID,
        *[
            (name, lang, s, v + s)
            for name, offset in (("none", 0.0), ("mnli", 3.0))
            for lang, v in (("en", 80.0 + offset), ("de", 70.0 + offset))
            for s in (0, 1, 2)
        ],
        target_task="xnli",
    )
    table = R.robustness_table(store_rows(records))
    de = only(table, intermediate_task="mnli", language="de")
    assert de["gain"] == pytest.approx(3.0, abs=TOL)
    assert de["gain_ci_low"] == pytest.approx(3.0, abs=TOL)  # identical differences: zero width
    assert de["gap_to_english"] == pytest.approx(10.0, abs=TOL)
    assert de["seed_std"] == pytest.approx(1.0, abs=TOL)
    assert math.isnan(only(table, intermediate_task="none", language="en")["gain"])
    assert R.robustness_table(store_rows([], "empty.duckdb")).empty
