"""The hierarchical, item-paired bootstrap: pairing, shared seeds, and CI coverage.

Coverage is checked on simulated studies whose truth is known by construction:
score = mu_config + item effect + config×item effect + seed effect + config×seed effect + noise,
all effects mean 0, so the population mean of a configuration is mu_config and the true gain is
mu_mnli - mu_none. A 95% interval must contain the truth in 95% ± 2 points of >= 500 studies
(slow); the fast variant runs 120 studies with a tolerance of ± 5 points.
"""

from __future__ import annotations

import numpy as np
import pytest

from xstilts.analysis.statistics import bootstrap as B
from xstilts.analysis.statistics import bootstrap_tables as T

TRUE_GAIN = 1.0


def simulated_task(rng: np.random.Generator, n_items: int = 150, n_seeds: int = 5) -> B.TaskScores:
    item = rng.normal(0, 10, n_items)
    config_item = rng.normal(0, 4, (2, 1, n_items))
    seed = rng.normal(0, 1.0, (1, n_seeds, 1))
    config_seed = rng.normal(0, 1.0, (2, n_seeds, 1))
    noise = rng.normal(0, 6, (2, n_seeds, n_items))
    mu = np.array([60.0, 60.0 + TRUE_GAIN])[:, None, None]
    scores = mu + item + config_item + seed + config_seed + noise
    return B.TaskScores(["none", "mnli"], list(range(n_seeds)), ["de"], {"de": scores})


def coverage(studies: int, resamples: int, method: str) -> tuple[float, float]:
    rng = np.random.default_rng(2026)
    gain_hits = score_hits = 0
    for index in range(studies):
        task = simulated_task(rng)
        draws = B.draw(task, resamples, seed=index, method=method)
        gain = B.contrast_estimate(draws, B.gain_contrast(task, ["de"], "mnli", "none"))
        score = B.contrast_estimate(draws, B.cell_contrast(task, "de", "none"))
        gain_hits += gain.ci_low <= TRUE_GAIN <= gain.ci_high
        score_hits += score.ci_low <= 60.0 <= score.ci_high
    return gain_hits / studies, score_hits / studies


@pytest.mark.parametrize("method", ["normal", "exact"])
def test_coverage_fast(method: str) -> None:
    gain, score = coverage(120, 400, method)
    assert abs(gain - 0.95) <= 0.05 and abs(score - 0.95) <= 0.05


@pytest.mark.slow
@pytest.mark.parametrize("method", ["normal", "exact"])
def test_coverage_500_studies(method: str) -> None:
    gain, score = coverage(500, 2000, method)
    assert abs(gain - 0.95) <= 0.02, gain
    assert abs(score - 0.95) <= 0.02, score


def test_pairing_removes_shared_item_variance() -> None:
    """Two configs that differ by a constant on every item: the paired gain is exact, although
    each config's own interval is wide."""
    rng = np.random.default_rng(0)
    base = rng.normal(60, 15, (1, 3, 200))
    task = B.TaskScores(
        ["none", "mnli"], [0, 1, 2], ["de"], {"de": np.concatenate([base, base + 2])}
    )
    draws = B.draw(task, 500, method="exact")
    gain = B.contrast_estimate(draws, B.gain_contrast(task, ["de"], "mnli", "none"))
    score = B.contrast_estimate(draws, B.cell_contrast(task, "de", "none"))
    assert gain.estimate == pytest.approx(2.0) and gain.ci_high - gain.ci_low < 1e-9
    assert score.ci_high - score.ci_low > 2.0


def test_seed_draws_are_shared_across_languages() -> None:
    """A seed effect common to two languages does not cancel in their difference (gap)."""
    seed_effect = np.array([-3.0, 0.0, 3.0])[None, :, None]
    items = np.full((1, 1, 50), 60.0)  # no item variance: only the seeds vary
    scores = {"en": items + seed_effect, "de": items + seed_effect - 5}
    task = B.TaskScores(["none"], [0, 1, 2], ["en", "de"], scores)
    draws = B.draw(task, 300, method="normal")
    gap = B.contrast_estimate(draws, B.gap_contrast(task, "de", "none", "en"))
    alone = B.contrast_estimate(draws, B.cell_contrast(task, "de", "none"))
    assert gap.estimate == pytest.approx(5.0) and gap.se == pytest.approx(0.0, abs=1e-9)
    assert gap.ci_high - gap.ci_low == pytest.approx(0.0, abs=1e-9) and alone.se > 1.0
    assert gap.n_languages == 2 and gap.n_items == 100 and gap.n_seeds == 3


def test_exact_draws_reproduce_the_plain_item_bootstrap() -> None:
    """One seed, one config: the draws' sd is the item bootstrap's sqrt(var_0 / N)."""
    values = np.tile([0.0, 100.0], 100)[None, None, :]  # accuracy 50%, N = 200
    task = B.TaskScores(["none"], [0], ["de"], {"de": values})
    draws = B.draw(task, 20_000, seed=1, method="exact")
    assert draws.values.std() == pytest.approx(50.0 / np.sqrt(200), rel=0.03)
    normal = B.draw(task, 20_000, seed=1, method="normal")
    assert normal.values.std() == pytest.approx(50.0 / np.sqrt(200), rel=0.03)


def test_vectorised_tables_equal_one_contrast_at_a_time() -> None:
    """per_language (scores, gains) and per_language_gap give, for every cell, what
    contrast_estimate gives for that cell's contrast on the same draws."""
    rng = np.random.default_rng(5)
    scores = {lang: rng.normal(60 + 5 * k, 12, (3, 4, 80)) for k, lang in enumerate("abc")}
    task = B.TaskScores(["none", "mnli", "mnli@shuffled"], [0, 1, 2, 3], list("abc"), scores)
    draws = B.draw(task, 2000, seed=3, method="exact")
    gains, gaps = T.per_language(draws, "none"), T.per_language_gap(draws, "a")
    for i, language in enumerate(task.languages):
        for j, config in enumerate(task.configs):
            one = B.contrast_estimate(draws, B.gain_contrast(task, [language], config, "none"))
            cell = (i, j)
            assert (gains["estimate"][cell], gains["se"][cell]) == pytest.approx(
                (one.estimate, one.se)
            )
            assert gains["ci_low"][cell] == pytest.approx(one.ci_low, abs=1e-4)
            if language == "a":
                assert gaps["se"][cell] == 0.0
                continue
            gap = B.contrast_estimate(draws, B.gap_contrast(task, language, config, "a"))
            got = [gaps[key][cell] for key in ("estimate", "se", "df", "ci_low", "ci_high")]
            want = [gap.estimate, gap.se, gap.df, gap.ci_low, gap.ci_high]
            assert got == pytest.approx(want, rel=1e-5, abs=1e-4)


@pytest.mark.parametrize("method", ["normal", "exact"])
def test_draws_do_not_depend_on_the_number_of_threads(
    method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(9)
    scores = {lang: rng.normal(60, 10, (2, 3, 40)) for lang in "abcde"}
    task = B.TaskScores(["none", "mnli"], [0, 1, 2], list("abcde"), scores)
    monkeypatch.setattr(B, "WORKERS", 1)
    one = B.draw(task, 300, seed=4, method=method).values
    monkeypatch.setattr(B, "WORKERS", 3)
    np.testing.assert_array_equal(B.draw(task, 300, seed=4, method=method).values, one)
