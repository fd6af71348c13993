"""Hierarchical, item-paired bootstrap over seeds and test items.

Seeds and test items are *crossed*, not nested: every seed's model is scored on the same test
items. So one resample draws seeds with replacement and, independently, items with replacement
(Owen 2007, "The pigeonhole bootstrap", Ann. Appl. Stat. 1(2)), and the *same* draw is applied
to every configuration (intermediate task) of a target task and, for seeds, to every language:

- configurations are paired by item and by seed (runs with one seed share the target-task data
  order and head initialisation), so a gain's interval carries only the variance of the
  *difference*, not of two independent means;
- one seed is one model scored in every language, so seed draws are shared across languages and
  an average over languages keeps that correlation.

Item draws are exact multinomial resamples when the task is small enough (the demo's 120 items),
and otherwise moment-matched Gaussian draws of each language's resampled item means: the exact
multinomial resample of a mean of N items has mean x̄ and covariance Σ̂/N (Σ̂ the item covariance
of the (configuration, seed) columns, ddof 0), so the Gaussian draw reproduces both moments of the
exact resample at a cost independent of N (5,010 XNLI items per language cost the same as 120).

With 3-10 seeds a plain percentile interval is too narrow (the bootstrap variance of a mean of S
values is (S-1)/S of the unbiased one, and z replaces t). Intervals are therefore *expanded
percentile* intervals (Hesterberg 2015, "What teachers should know about the bootstrap",
Am. Stat. 69(4), §"expanded percentile"): the draws are stretched about the estimate so that
their spread equals the unbiased two-level variance v_seed + v_item, times t_df/z with
Welch–Satterthwaite df. The shape (skew near 0 or 100) still comes from the resamples.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

RESAMPLES = 10_000
WORKERS = min(2, os.cpu_count() or 1)
"""Threads that draw the Gaussian item means (the benchmark's target is set for 2 cores)."""
EXACT_ITEM_BUDGET = 50_000_000
"""Exact multinomial item draws when resamples × items (summed over a task's languages) stay
below this; above it the moment-matched Gaussian draws are used (same mean and covariance)."""


@dataclass
class TaskScores:
    """One target task's item scores: ``scores[language]`` is an array (configs, seeds, items).

    Configurations and seeds are shared by every language (the pairing); items may differ per
    language (TyDiQA) or be parallel (XNLI).
    """

    configs: list[str]
    seeds: list[int]
    languages: list[str]
    scores: dict[str, np.ndarray]
    cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
    """Summaries computed once per task (:func:`.bootstrap_tables.moments`)."""

    def estimates(self) -> np.ndarray:
        """Point estimates (languages, configs): mean over seeds and items."""
        return np.stack([self.scores[lang].mean(axis=(1, 2)) for lang in self.languages])


@dataclass
class Moments:
    """Per-language moments of one task: ``seed_means`` (L, C, S) over items, ``item_cov``
    (L, C, C) between configurations of the seed-averaged item scores (ddof 1), ``n_items`` (L,),
    ``estimates`` (L, C)."""

    seed_means: np.ndarray
    item_cov: np.ndarray
    n_items: np.ndarray
    estimates: np.ndarray


def moments(task: TaskScores) -> Moments:
    """The moments of ``task`` (cached on it: every table of a task reuses them)."""
    cached = task.cache.get("moments")
    if isinstance(cached, Moments):
        return cached
    configs = len(task.configs)
    seed_means, item_cov, n_items = [], [], []
    for language in task.languages:
        x = task.scores[language]
        seed_means.append(x.mean(axis=2))
        per_item = x.mean(axis=1)
        n_items.append(x.shape[2])
        cov = np.cov(per_item, ddof=1) if x.shape[2] > 1 else np.zeros((configs, configs))
        item_cov.append(np.atleast_2d(cov))
    result = Moments(
        np.stack(seed_means), np.stack(item_cov), np.array(n_items, dtype=float),
        task.estimates(),
    )  # fmt: skip
    task.cache["moments"] = result
    return result


@dataclass
class Draws:
    """Bootstrap draws (resamples, languages, configs) of the per-language means."""

    task: TaskScores
    values: np.ndarray
    method: str


def seed_weights(rng: np.random.Generator, resamples: int, seeds: int) -> np.ndarray:
    """(resamples, seeds) multinomial weights that sum to 1 per resample (float32)."""
    picks = rng.integers(0, seeds, size=(resamples, seeds))
    return _counts(picks, seeds) / np.float32(seeds)


def _counts(picks: np.ndarray, n: int) -> np.ndarray:
    """Row-wise counts of each index 0..n-1 in ``picks`` (resamples, draws), vectorised: one
    bincount instead of a gather of the drawn items (the counts then weight the items in one
    matrix product, which costs the same for 0/1 accuracies and for F1 values)."""
    rows = picks.shape[0]
    flat = picks + (np.arange(rows) * n)[:, None]
    return np.bincount(flat.ravel(), minlength=rows * n).reshape(rows, n).astype(np.float32)


def _item_means_exact(rng: np.random.Generator, x: np.ndarray, resamples: int) -> np.ndarray:
    """(resamples, configs · seeds) means over exactly resampled items: multinomial counts
    drawn once for the language, shared by every configuration and seed (the pairing)."""
    configs, seeds, items = x.shape
    weights = _counts(rng.integers(0, items, size=(resamples, items)), items)
    flat = (x.reshape(configs * seeds, items).T / items).astype(np.float32)
    return weights @ flat


def _item_means_normal(rng: np.random.Generator, x: np.ndarray, resamples: int) -> np.ndarray:
    """(resamples, configs · seeds) Gaussian draws with the exact resample's mean and
    covariance Σ̂/N (float32: the draws' own rounding is ~1e-6 of a point)."""
    flat = x.reshape(-1, x.shape[2])
    covariance = np.atleast_2d(np.cov(flat, ddof=0)) / x.shape[2]
    # eigh rather than Cholesky: identical columns (a seed scored twice) make it singular
    values, vectors = np.linalg.eigh(covariance)
    root = (vectors * np.sqrt(np.clip(values, 0.0, None))).T.astype(np.float32)
    noise = rng.standard_normal((resamples, len(flat)), dtype=np.float32)
    return noise @ root + flat.mean(axis=1).astype(np.float32)


def draw(
    task: TaskScores, resamples: int = RESAMPLES, seed: int = 0, method: str = "auto"
) -> Draws:
    """Hierarchical bootstrap draws of every (language, configuration) mean of one task.

    ``method``: ``"exact"`` (multinomial item resampling), ``"normal"`` (moment-matched
    Gaussian item means) or ``"auto"`` (exact below :data:`EXACT_ITEM_BUDGET`). The draws are
    float32: their Monte-Carlo error (~0.01 points at 10,000 resamples) dwarfs the rounding.

    :data:`WORKERS` threads each draw a share of the languages, each language from its own
    child generator (numpy fills and multiplies arrays without the GIL); BLAS runs on one thread
    per worker, since multi-threaded BLAS on 25-column factors is slower on an idle machine and
    far slower on a loaded one.
    """
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    if method == "auto":
        cost = resamples * sum(task.scores[lang].shape[2] for lang in task.languages)
        method = "exact" if cost <= EXACT_ITEM_BUDGET else "normal"
    if method not in ("exact", "normal"):
        raise ValueError(f"unknown bootstrap method {method!r}")
    configs, seeds = len(task.configs), len(task.seeds)
    weights = seed_weights(rng, resamples, seeds)
    item_means = _item_means_exact if method == "exact" else _item_means_normal
    values = np.empty((resamples, len(task.languages), configs), dtype=np.float32)

    # one stream per language: the draws do not depend on how many workers share the languages
    generators = rng.spawn(len(task.languages))

    def fill(share: np.ndarray) -> None:
        for index in share:
            language = task.languages[index]
            means = item_means(generators[index], task.scores[language], resamples)
            # the same seed draw for every language: one seed is one model scored everywhere
            values[:, index, :] = np.einsum(
                "bcs,bs->bc", means.reshape(resamples, configs, seeds), weights
            )

    shares = np.array_split(np.arange(len(task.languages)), WORKERS)
    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(fill, shares))
    return Draws(task, values, method)


# --------------------------------------------------------------------------------------------
# Linear statistics: a contrast over (language, configuration) cells


@dataclass
class Estimate:
    """One statistic with its interval and the numbers a claim needs."""

    estimate: float
    ci_low: float
    ci_high: float
    se: float
    df: float
    p_value: float
    n_seeds: int
    n_items: int
    n_languages: int


def variance_components(task: TaskScores, contrast: np.ndarray) -> tuple[float, float, float]:
    """Unbiased seed and item variance of a linear statistic, and its Satterthwaite df.

    ``contrast`` (languages, configs) weights the cell means. Per seed: the statistic computed
    from that seed alone; its variance / S is the seed part. Per language and item: the
    seed-averaged contrast of that item, whose variance is wᵀ K w (K the item covariance between
    configurations, :func:`moments`); that / N is the language's item part.
    """
    m = moments(task)
    n_seeds = len(task.seeds)
    per_seed = np.einsum("lc,lcs->s", contrast, m.seed_means)
    parts = np.einsum("lc,lcd,ld->l", contrast, m.item_cov, contrast) / m.n_items
    used = np.any(contrast != 0, axis=1) & (m.n_items > 1)
    item_var = float(parts[used].sum())
    item_df_terms = float((parts[used] ** 2 / (m.n_items[used] - 1)).sum())
    seed_var = float(per_seed.var(ddof=1)) / n_seeds if n_seeds > 1 else 0.0
    total = seed_var + item_var
    denominator = item_df_terms + (seed_var**2 / (n_seeds - 1) if n_seeds > 1 else 0.0)
    df = total**2 / denominator if denominator > 0 else math.inf
    return seed_var, item_var, df


def contrast_estimate(draws: Draws, contrast: np.ndarray, confidence: float = 0.95) -> Estimate:
    """Expanded-percentile interval, SE, t-test p and counts of one linear statistic."""
    task = draws.task
    point = float((task.estimates() * contrast).sum())
    samples = np.einsum("blc,lc->b", draws.values, contrast)
    seed_var, item_var, df = variance_components(task, contrast)
    se = math.sqrt(seed_var + item_var)
    if se == 0.0 or samples.size < 2:
        low = high = point
    else:
        bounds = expanded_interval(samples[:, None], np.array([point]), np.array([se]),
                                   np.array([df]), confidence)  # fmt: skip
        low, high = float(bounds[0][0]), float(bounds[1][0])
    p_value = float(2 * stats.t.sf(abs(point) / se, df)) if se > 0 else math.nan
    used = [lang for i, lang in enumerate(task.languages) if np.any(contrast[i])]
    items = sum(task.scores[lang].shape[2] for lang in used)
    return Estimate(
        point, float(low), float(high), se, df, p_value, len(task.seeds), items, len(used)
    )


def cell_contrast(task: TaskScores, language: str, config: str) -> np.ndarray:
    """The contrast selecting one (language, configuration) mean."""
    contrast = np.zeros((len(task.languages), len(task.configs)))
    contrast[task.languages.index(language), task.configs.index(config)] = 1.0
    return contrast


def gain_contrast(
    task: TaskScores, languages: list[str], config: str, reference: str
) -> np.ndarray:
    """Mean over ``languages`` of (``config`` − ``reference``), paired by item and seed."""
    contrast = np.zeros((len(task.languages), len(task.configs)))
    for language in languages:
        row = task.languages.index(language)
        contrast[row, task.configs.index(config)] += 1.0 / len(languages)
        contrast[row, task.configs.index(reference)] -= 1.0 / len(languages)
    return contrast


def gap_contrast(task: TaskScores, language: str, config: str, source: str) -> np.ndarray:
    """Transfer gap: ``source`` (English) mean − ``language`` mean, within one configuration."""
    return cell_contrast(task, source, config) - cell_contrast(task, language, config)


def expanded_interval(
    samples: np.ndarray, point: np.ndarray, se: np.ndarray, df: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Expanded-percentile bounds of every cell of ``samples`` (resamples, ...) at once.

    Stretching the draws about the estimate is an increasing affine map per cell, so the
    quantiles of the stretched draws are the stretched quantiles of the draws: two quantiles
    per cell, no stretched copy of the draws.
    """
    tail = 0.5 + confidence / 2
    spread = samples.std(axis=0, ddof=1, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = stats.t.ppf(tail, df) / stats.norm.ppf(tail) * se / spread
    scale = np.where(np.isfinite(scale), scale, 0.0)
    low, high = np.quantile(samples, [1 - tail, tail], axis=0)
    return point + scale * (low - point), point + scale * (high - point)
