"""The whole analysis end to end, from rows written through a real ``ResultStore``.

gain = 3·log(GiB) from the packaged CC-100 table (every language here was seen), exactly, so
the slope is 3, Pearson and Spearman are 1 and leave-one-language-out predicts without error.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from designs import LANGUAGES, TOL

from store_records import rows
from xstilts.analysis import statistics as S
from xstilts.languages.table import pretraining_volume

GRID = "intermediate_task language seed value"


def test_exact_volume_relation_through_the_store(store_rows) -> None:
    gib = pretraining_volume("cc100")
    seed_offsets = [-1.0, 0.0, 1.0]  # identical for every language: seed sd exactly 1
    records = rows(
        GRID,
        *[
            (name, lang, seed, 60.0 + offset + gain)
            for seed, offset in enumerate(seed_offsets)
            for lang in ["en", *LANGUAGES]
            for name, gain in (("none", 0.0), ("mnli", 3.0 * math.log(gib[lang])))
        ],
        target_task="xnli",
    )
    analysis = S.analyse(store_rows(records))

    frame = analysis.frame
    assert "en" not in set(frame["language"])  # the source language is not an observation
    gains = frame[frame["intermediate_task"] == "mnli"].set_index("language")
    for lang in LANGUAGES:
        assert gains.loc[lang, "gain"] == pytest.approx(3.0 * math.log(gib[lang]), abs=TOL)
        assert gains.loc[lang, "log_volume"] == pytest.approx(math.log(gib[lang]), abs=TOL)
        assert gains.loc[lang, "unseen"] == 0.0
        assert gains.loc[lang, "seed_std"] == pytest.approx(1.0, abs=TOL)

    corr = analysis.correlations
    volume = corr[(corr["measure"] == "gain") & (corr["predictor"] == "log_volume")].iloc[0]
    assert volume["n"] == len(LANGUAGES)
    assert volume["pearson_r"] == pytest.approx(1.0, abs=TOL)
    assert volume["spearman_rho"] == pytest.approx(1.0, abs=TOL)
    assert volume["pearson_ci_low"] == pytest.approx(1.0, abs=TOL)  # |r| = 1: degenerate CI
    assert volume["pearson_ci_high"] == pytest.approx(1.0, abs=TOL)

    coefficients = analysis.ols.coefficients
    fit = coefficients[
        (coefficients["scope"] == "task")
        & (coefficients["measure"] == "gain")
        & (coefficients["model"] == "volume")
    ].set_index("term")
    assert fit.loc["log_volume", "coef"] == pytest.approx(3.0, abs=TOL)
    assert fit.loc["const", "coef"] == pytest.approx(0.0, abs=TOL)
    assert fit.loc["log_volume", "ci_low"] == pytest.approx(3.0, abs=TOL)  # no residual at all
    assert fit.loc["log_volume", "std_coef"] == pytest.approx(1.0, abs=TOL)

    lolo = analysis.lolo
    exact = lolo[(lolo["scope"] == "task") & (lolo["measure"] == "gain")]
    exact = exact[exact["model"] == "volume"].iloc[0]
    y = 3.0 * np.log(gib[LANGUAGES].to_numpy(float))
    n = len(y)
    assert exact["rmse"] == pytest.approx(0.0, abs=TOL)
    # leaving language i out, the mean of the others misses by n/(n-1)·(y_i − ȳ)
    expected_null = n / (n - 1) * math.sqrt(float(np.mean((y - y.mean()) ** 2)))
    assert exact["rmse_null"] == pytest.approx(expected_null, abs=TOL)
    assert exact["skill"] == pytest.approx(1.0, abs=TOL)


def test_small_data_gives_reasons_not_errors(store_rows) -> None:
    records = rows(
        GRID,
        *[
            (name, lang, 0, v)
            for name, shift in (("none", 0.0), ("mnli", 2.0))
            for lang, v in (("en", 80.0 + shift), ("de", 70.0 + 2 * shift), ("sw", 55.0))
        ],
        target_task="xnli",
    )
    analysis = S.analyse(store_rows(records))
    assert not analysis.robustness.empty
    assert analysis.ols.coefficients.empty
    assert (analysis.ols.models["status"] == "skipped").all()
    assert analysis.ols.models["reason"].str.len().gt(0).all()
    corr = analysis.correlations
    assert corr["pearson_r"].isna().all() and corr["reason"].str.contains("at least 3").all()
    assert "seed_std" not in set(corr["measure"])  # one seed: no spread to correlate
    assert (analysis.mixed.models["status"] == "skipped").all()
