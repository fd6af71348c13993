"""Statistics on constructed data whose correlations, coefficients and intervals are known.

Two kinds of construction:

* exact relations through a real store (gain = 3·log(1 + GiB) from the packaged CC-100 table),
  so the slope is 3 and Pearson/Spearman are 1, end to end from ``ResultStore`` rows;
* designs with a known residual: y = 10 + 3·x1 − 5·x2 + e with x1, x2 centred and orthogonal and
  e orthogonal to (1, x1, x2). Then OLS returns exactly (10, 3, −5), the residual variance is
  e'e/(n − 3), and every standard error, interval, VIF and partial correlation has a closed form
  that the test computes independently of statsmodels.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from xstilts.analysis import statistics as S
from xstilts.experiments.store import ResultStore
from xstilts.languages.table import pretraining_volume

TOL = 1e-6
Z_975 = 1.959963984540054
LANGUAGES = ["de", "fr", "es", "ru", "zh", "ar", "hi", "sw", "ur", "th", "tr", "vi"]


def orthogonal_design(n: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x1, x2 centred and orthogonal; e orthogonal to (1, x1, x2); all fixed, no randomness."""
    x1 = np.arange(n, dtype=float) - (n - 1) / 2
    x2 = np.array([1.0, -1.0, -1.0, 1.0] * (n // 4))  # orthogonal to 1 and to the linear x1
    raw = np.cos(np.arange(n) * 1.7)
    basis = np.column_stack([np.ones(n), x1, x2])
    e = raw - basis @ np.linalg.lstsq(basis, raw, rcond=None)[0]
    assert abs(x1 @ x2) < 1e-12 and np.abs(basis.T @ e).max() < 1e-12
    return x1, x2, e


def design_frame(
    y: np.ndarray, covariates: dict[str, np.ndarray], target: str = "xnli"
) -> pd.DataFrame:
    """An analysis frame (one row per language) with the given gain and covariates."""
    n = len(y)
    frame = pd.DataFrame(
        {
            "encoder": "xlmr",
            "intermediate_task": "mnli",
            "target_task": target,
            "language": LANGUAGES[:n] if n <= len(LANGUAGES) else [f"l{i}" for i in range(n)],
            "gain": y,
        }
    )
    for column in S.PREDICTORS:
        frame[column] = covariates.get(column, np.full(n, np.nan))
    return frame


def test_exact_volume_relation_through_the_store(store_factory, row) -> None:
    gib = pretraining_volume("cc100")
    languages = ["en", *LANGUAGES]
    seed_offsets = [-1.0, 0.0, 1.0]  # identical for every language: seed sd exactly 1
    records = []
    for seed, offset in enumerate(seed_offsets):
        for lang in languages:
            base = 60.0 + offset
            records.append(
                row(
                    intermediate_task="none",
                    target_task="xnli",
                    language=lang,
                    seed=seed,
                    value=base,
                )
            )
            records.append(
                row(
                    intermediate_task="mnli",
                    target_task="xnli",
                    language=lang,
                    seed=seed,
                    value=base + 3.0 * math.log1p(gib[lang]),
                )
            )
    with ResultStore(store_factory(records), read_only=True) as store:
        rows = store.frame()
    analysis = S.analyse(rows)

    frame = analysis.frame
    assert "en" not in set(frame["language"])  # the source language is not an observation
    gains = frame[frame["intermediate_task"] == "mnli"].set_index("language")
    for lang in LANGUAGES:
        assert gains.loc[lang, "gain"] == pytest.approx(3.0 * math.log1p(gib[lang]), abs=TOL)
        assert gains.loc[lang, "log_volume"] == pytest.approx(math.log1p(gib[lang]), abs=TOL)
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
    y = 3.0 * np.log1p(gib[LANGUAGES].to_numpy(float))
    n = len(y)
    assert exact["rmse"] == pytest.approx(0.0, abs=TOL)
    # leaving language i out, the mean of the others misses by n/(n-1)·(y_i − ȳ)
    expected_null = n / (n - 1) * math.sqrt(float(np.mean((y - y.mean()) ** 2)))
    assert exact["rmse_null"] == pytest.approx(expected_null, abs=TOL)
    assert exact["skill"] == pytest.approx(1.0, abs=TOL)


def test_ols_coefficients_intervals_vif_and_partials_known() -> None:
    from scipy import stats

    x1, x2, e = orthogonal_design()
    y = 10.0 + 3.0 * x1 - 5.0 * x2 + e
    frame = design_frame(y, {"log_volume": x1, "syntax_distance": x2})
    ols = S.ols_regressions(frame, measures=["gain"])

    models = ols.models.set_index("model")
    assert models.loc["volume", "status"] == "fitted"
    assert models.loc["volume+distances", "status"] == "fitted"
    assert "phonology_distance (not available)" in models.loc["volume+distances", "dropped"]

    n = len(y)
    full = ols.coefficients[ols.coefficients["model"] == "volume+distances"].set_index("term")
    assert full.loc["const", "coef"] == pytest.approx(10.0, abs=TOL)
    assert full.loc["log_volume", "coef"] == pytest.approx(3.0, abs=TOL)
    assert full.loc["syntax_distance", "coef"] == pytest.approx(-5.0, abs=TOL)
    # closed forms: s² = e'e/(n−3); with centred orthogonal columns Var(b_j) = s²/x_j'x_j
    s2 = float(e @ e) / (n - 3)
    t = float(stats.t.ppf(0.975, n - 3))
    for term, x, coef in (("log_volume", x1, 3.0), ("syntax_distance", x2, -5.0)):
        se = math.sqrt(s2 / float(x @ x))
        assert full.loc[term, "se"] == pytest.approx(se, abs=TOL)
        assert full.loc[term, "ci_low"] == pytest.approx(coef - t * se, abs=TOL)
        assert full.loc[term, "ci_high"] == pytest.approx(coef + t * se, abs=TOL)
    assert full.loc["const", "se"] == pytest.approx(math.sqrt(s2 / n), abs=TOL)

    # x2 and e are orthogonal to x1, so the slope of y on x1 alone is also exactly 3
    alone = ols.coefficients[ols.coefficients["model"] == "volume"].set_index("term")
    assert alone.loc["log_volume", "coef"] == pytest.approx(3.0, abs=TOL)

    vif = S.vif_table(frame.set_index("language"), {"all": list(frame["language"])})
    assert vif.set_index("predictor")["vif"].to_dict() == pytest.approx(
        {"log_volume": 1.0, "syntax_distance": 1.0}, abs=TOL
    )

    # marginal Pearson r = cov/(sd·sd) and its Fisher interval
    yc = y - y.mean()
    r = 3.0 * float(x1 @ x1) / (math.sqrt(float(x1 @ x1)) * math.sqrt(float(yc @ yc)))
    corr = S.correlations(frame, measures=["gain"]).set_index("predictor")
    assert corr.loc["log_volume", "pearson_r"] == pytest.approx(r, abs=TOL)
    z, half = math.atanh(r), Z_975 / math.sqrt(n - 3)
    assert corr.loc["log_volume", "pearson_ci_low"] == pytest.approx(math.tanh(z - half), abs=TOL)
    assert corr.loc["log_volume", "pearson_ci_high"] == pytest.approx(math.tanh(z + half), abs=TOL)
    ranks = frame[["log_volume", "gain"]].rank()
    rho = float(np.corrcoef(ranks["log_volume"], ranks["gain"])[0, 1])
    assert corr.loc["log_volume", "spearman_rho"] == pytest.approx(rho, abs=TOL)
    se_rho = math.sqrt((1 + rho * rho / 2) / (n - 3))
    assert corr.loc["log_volume", "spearman_ci_low"] == pytest.approx(
        math.tanh(math.atanh(rho) - Z_975 * se_rho), abs=TOL
    )

    # partial r of x1 given x2: residuals are x1 and 3·x1 + e
    partial = S.partial_effects(frame, ols, measures=["gain"]).set_index("predictor")
    expected = (
        3.0
        * float(x1 @ x1)
        / (math.sqrt(float(x1 @ x1)) * math.sqrt(9.0 * float(x1 @ x1) + float(e @ e)))
    )
    assert partial.loc["log_volume", "partial_r"] == pytest.approx(expected, abs=TOL)
    half = Z_975 / math.sqrt(n - 3 - 1)
    assert partial.loc["log_volume", "partial_ci_low"] == pytest.approx(
        math.tanh(math.atanh(expected) - half), abs=TOL
    )
    span = float(x1.max() - x1.min())
    assert partial.loc["log_volume", "effect_over_range"] == pytest.approx(3.0 * span, abs=TOL)


def test_pooled_ols_uses_task_fixed_effects() -> None:
    x1, _, e = orthogonal_design()
    frames = [
        design_frame(intercept + 3.0 * x1 + e, {"log_volume": x1}, target=target)
        for target, intercept in (("pawsx", 20.0), ("xnli", 5.0))
    ]
    ols = S.ols_regressions(pd.concat(frames, ignore_index=True), measures=["gain"])
    pooled = ols.coefficients[ols.coefficients["scope"] == "pooled"].set_index("term")
    assert pooled.loc["log_volume", "coef"] == pytest.approx(3.0, abs=TOL)
    assert pooled.loc["const", "coef"] == pytest.approx(20.0, abs=TOL)  # pawsx, the reference
    assert pooled.loc["task[xnli]", "coef"] == pytest.approx(-15.0, abs=TOL)
    model = ols.models[(ols.models["scope"] == "pooled") & (ols.models["model"] == "volume")]
    assert model["n"].iloc[0] == 24 and model["n_languages"].iloc[0] == 12


def test_collinear_predictors_are_reported_not_fitted() -> None:
    x1, _, e = orthogonal_design()
    frame = design_frame(3.0 * x1 + e, {"log_volume": x1, "syntax_distance": 2.0 * x1 + 1.0})
    ols = S.ols_regressions(frame, measures=["gain"])
    full = ols.models.set_index("model").loc["volume+distances"]
    assert full["status"] == "skipped" and "collinear" in full["reason"]
    vif = S.vif_table(frame.set_index("language"), {"all": list(frame["language"])})
    assert np.isinf(vif["vif"]).all()


def test_mixed_model_recovers_slope_and_variances() -> None:
    """Balanced: 10 languages × 3 tasks, y = c_t + 3·x_l + u_l + a_l·b_t with u ⊥ (1, x),
    Σa = 0, Σb = 0. For a language-level covariate in a balanced design, GLS equals the OLS of
    language means on x, whatever the variance ratio: slope exactly 3. The REML variances have
    the balanced-ANOVA closed forms computed below."""
    n_languages, x = 10, np.linspace(0.0, 4.5, 10)
    basis = np.column_stack([np.ones(n_languages), x])
    raw = np.sin(np.arange(n_languages) * 2.3)
    u = raw - basis @ np.linalg.lstsq(basis, raw, rcond=None)[0]
    u *= 2.0 / u.std(ddof=1)  # sample variance of u: 4
    a = np.array([1.0, -1.0] * 5)
    tasks = {"t1": (0.0, 1.0), "t2": (5.0, -0.5), "t3": (-2.0, -0.5)}  # (c_t, b_t)
    rows = []
    for target, (c, b) in tasks.items():
        y = c + 3.0 * x + u + a * b
        frame = design_frame(y, {"log_volume": x}, target=target)
        frame["language"] = [f"l{i}" for i in range(n_languages)]
        rows.append(frame)
    mixed = S.mixed_models(pd.concat(rows, ignore_index=True), measures=["gain"])
    model = mixed.models.set_index("model").loc["volume"]
    assert model["status"] == "fitted", model["reason"]
    fit = mixed.coefficients.set_index("term")
    assert fit.loc["log_volume", "coef"] == pytest.approx(3.0, abs=TOL)
    assert fit.loc["task[t2]", "coef"] == pytest.approx(5.0, abs=TOL)

    n_tasks = len(tasks)
    b = np.array([bt for _, bt in tasks.values()])
    # within-language residual: Σ(a_l b_t)² over (N − L − (T − 1)) df
    residual = float((a**2).sum() * (b**2).sum()) / (n_languages * n_tasks - n_languages - 2)
    # between languages: residual variance of language means on x, minus residual/T
    language = float(u @ u) / (n_languages - 2) - residual / n_tasks
    assert model["residual_variance"] == pytest.approx(residual, rel=1e-4)
    assert model["language_variance"] == pytest.approx(language, rel=1e-3)
    sxx = float(((x - x.mean()) ** 2).sum())
    se = math.sqrt((language + residual / n_tasks) / sxx)
    assert fit.loc["log_volume", "se"] == pytest.approx(se, rel=1e-3)


def test_mixed_model_falls_back_below_threshold() -> None:
    x1, _, e = orthogonal_design(8)
    frames = [
        design_frame(c + 3.0 * x1 + e, {"log_volume": x1}, target=t).iloc[:6]
        for t, c in (("pawsx", 1.0), ("xnli", 2.0))
    ]
    mixed = S.mixed_models(pd.concat(frames, ignore_index=True), measures=["gain"])
    assert mixed.coefficients.empty
    model = mixed.models.set_index("model").loc["volume"]
    assert model["status"] == "skipped"
    assert f"at least {S.MIXED_MIN_LANGUAGES}" in model["reason"]
    # one task only: every language appears once, the language variance is not identifiable
    x1, _, e = orthogonal_design(12)
    single = S.mixed_models(design_frame(3.0 * x1 + e, {"log_volume": x1}), measures=["gain"])
    assert "2+ target tasks" in single.models.set_index("model").loc["volume", "reason"]


def test_small_data_gives_reasons_not_errors(store_factory, row) -> None:
    records = [
        row(intermediate_task=name, target_task="xnli", language=lang, seed=0, value=v)
        for name, shift in (("none", 0.0), ("mnli", 2.0))
        for lang, v in (("en", 80.0 + shift), ("de", 70.0 + 2 * shift), ("sw", 55.0))
    ]
    with ResultStore(store_factory(records), read_only=True) as store:
        analysis = S.analyse(store.frame())
    assert not analysis.robustness.empty
    assert analysis.ols.coefficients.empty
    assert (analysis.ols.models["status"] == "skipped").all()
    assert analysis.ols.models["reason"].str.len().gt(0).all()
    corr = analysis.correlations
    assert corr["pearson_r"].isna().all() and corr["reason"].str.contains("at least 3").all()
    assert "seed_std" not in set(corr["measure"])  # one seed: no spread to correlate
    assert (analysis.mixed.models["status"] == "skipped").all()


def test_fisher_interval_and_spearman_se() -> None:
    low, high = S.fisher_interval(0.5, 28)
    assert low == pytest.approx(math.tanh(math.atanh(0.5) - Z_975 / 5), abs=TOL)
    assert high == pytest.approx(math.tanh(math.atanh(0.5) + Z_975 / 5), abs=TOL)
    assert all(math.isnan(v) for v in S.fisher_interval(0.5, 3))
    assert S.fisher_interval(-1.0, 10) == (-1.0, -1.0)
    assert S.spearman_se(0.0, 28) == pytest.approx(0.2, abs=TOL)


def test_language_covariates_log1p_and_missing() -> None:
    covariates = S.language_covariates(["sw", "ht", "xx"], "cc100")
    gib = pretraining_volume("cc100")
    assert covariates.loc["sw", "log_volume"] == pytest.approx(math.log1p(gib["sw"]), abs=TOL)
    assert covariates.loc["ht", "log_volume"] == 0.0  # not in CC-100: kept, at log(1 + 0)
    assert math.isnan(covariates.loc["xx", "log_volume"])
    assert any("xx" in note for note in covariates.attrs["notes"])
    assert covariates.attrs["volume_unit"] == "GiB"


def test_language_covariates_from_a_user_volume_csv(tmp_path) -> None:
    table = tmp_path / "volumes.csv"
    table.write_text("language,volume\nde,9\nswa,0\n", encoding="utf-8")  # 639-3 code accepted
    covariates = S.language_covariates(["de", "sw"], table)
    assert covariates.loc["de", "log_volume"] == pytest.approx(math.log(10.0), abs=TOL)
    assert covariates.loc["sw", "log_volume"] == 0.0
    assert covariates.attrs["volume_unit"] == "volume units"
