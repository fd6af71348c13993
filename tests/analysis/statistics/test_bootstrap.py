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
