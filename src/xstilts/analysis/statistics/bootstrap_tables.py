"""Whole tables of bootstrap intervals at once: every language's score, gain and gap to English,
and the floor of transfer (worst language, bottom quintile).

Each function computes, for all (language, configuration) cells together, what
:func:`.bootstrap.contrast_estimate` computes for one cell's contrast — a test checks they
agree — so that 50 languages × 5 configurations cost one pass over the draws. The unbiased seed
and item variances come from per-language moments computed once per task
(:class:`Moments`): seed means and the item covariance between configurations, from which the
variance of any paired difference follows (var(a − b) = var a + var b − 2 cov(a, b));
:func:`.bootstrap.moments`.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from xstilts.analysis.statistics.bootstrap import (
    WORKERS,
    Draws,
    Moments,
    expanded_interval,
    moments,
)


def _item_df(m: Moments, configs: int) -> np.ndarray:
    """(L, C) df of each language's item variance: N − 1, infinite where there is one item."""
    per_language = np.where(m.n_items > 1, m.n_items - 1, np.inf)
    return per_language[:, None] * np.ones(configs)


def _seed_variance(differences: np.ndarray) -> np.ndarray:
    """Unbiased variance of the seed mean of (…, S) per-seed values; 0 with one seed."""
    seeds = differences.shape[-1]
    if seeds < 2:
        return np.zeros(differences.shape[:-1])
    return differences.var(axis=-1, ddof=1) / seeds


def _table(
    draws: Draws,
    samples: np.ndarray,
    point: np.ndarray,
    seed_var: np.ndarray,
    item_parts: list[tuple[np.ndarray, np.ndarray]],
    confidence: float,
) -> dict[str, np.ndarray]:
    """Estimate, expanded interval, SE and Welch–Satterthwaite df of every cell; ``item_parts``
    are (variance, df) of each independent item sample that enters the statistic."""
    total = seed_var + sum(variance for variance, _ in item_parts)
    seed_df = max(len(draws.task.seeds) - 1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = seed_var**2 / seed_df + sum(v**2 / df for v, df in item_parts)
        df = np.where(denominator > 0, total**2 / denominator, np.inf)
    se = np.sqrt(total)
    low, high = expanded_interval(samples, point, se, df, confidence)
    return {"estimate": point, "ci_low": low, "ci_high": high, "se": se, "df": df}


def per_language(
    draws: Draws, reference: str | None = None, confidence: float = 0.95
) -> dict[str, np.ndarray]:
    """Every (language, config) score — or gain over ``reference``, paired by item and seed —
    as arrays (languages, configs): keys ``estimate, ci_low, ci_high, se, df``."""
    task, m = draws.task, moments(draws.task)
    item_df = _item_df(m, len(task.configs))
    diagonal = np.diagonal(m.item_cov, axis1=1, axis2=2)
    if reference is None:
        item_var = diagonal / m.n_items[:, None]
        return _table(draws, draws.values, m.estimates, _seed_variance(m.seed_means),
                      [(item_var, item_df)], confidence)  # fmt: skip
    ref = task.configs.index(reference)
    paired = diagonal + diagonal[:, [ref]] - 2 * m.item_cov[:, :, ref]
    item_var = np.clip(paired, 0.0, None) / m.n_items[:, None]
    seed_var = _seed_variance(m.seed_means - m.seed_means[:, [ref], :])
    samples = draws.values - draws.values[:, :, [ref]]
    point = m.estimates - m.estimates[:, [ref]]
    return _table(draws, samples, point, seed_var, [(item_var, item_df)], confidence)


def per_language_gap(draws: Draws, source: str, confidence: float = 0.95) -> dict[str, np.ndarray]:
    """Every language's gap to ``source`` (source mean − language mean, per configuration) as
    arrays (languages, configs); the ``source`` row is 0 with no interval. Seeds are shared (one
    model per seed scores both languages); the two languages' items are resampled independently.
    """
    task, m = draws.task, moments(draws.task)
    src = task.languages.index(source)
    item_var = np.diagonal(m.item_cov, axis1=1, axis2=2) / m.n_items[:, None]
    item_df = _item_df(m, len(task.configs))
    own_var, own_df = item_var.copy(), item_df.copy()
    own_var[src] = 0.0
    source_var = np.broadcast_to(item_var[src], item_var.shape).copy()
    source_var[src] = 0.0
    source_df = np.broadcast_to(item_df[src], item_df.shape)
    seed_var = _seed_variance(m.seed_means[src] - m.seed_means)
    samples = draws.values[:, [src], :] - draws.values
    point = m.estimates[src] - m.estimates
    parts = [(source_var, source_df), (own_var, own_df)]
    return _table(draws, samples, point, seed_var, parts, confidence)


def language_tables(
    draws: Draws, references: Sequence[str], source: str | None, confidence: float = 0.95
) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    """Every table of one task: ``("score", "")``, ``("gain", reference)`` for each reference
    and ``("gap", source)`` when ``source`` is one of its languages — on :data:`WORKERS`
    threads, since the quantiles and reductions that dominate them run without the GIL."""
    moments(draws.task)  # once, before the threads share it
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = {("score", ""): pool.submit(per_language, draws, None, confidence)}
        for reference in references:
            futures[("gain", reference)] = pool.submit(per_language, draws, reference, confidence)
        if source is not None and source in draws.task.languages:
            futures[("gap", source)] = pool.submit(per_language_gap, draws, source, confidence)
        return {key: future.result() for key, future in futures.items()}


def bottom_mean(
    draws: Draws, languages: list[str], count: int, confidence: float = 0.95
) -> dict[str, np.ndarray]:
    """Mean of the ``count`` lowest-scoring ``languages`` per configuration (``count`` = 1: the
    worst language's score), re-ranked inside every resample, so the interval includes the
    uncertainty of *which* languages are the worst. A nonlinear statistic: plain percentile
    interval (no expansion). Keys ``estimate, ci_low, ci_high`` of shape (configs,), plus
    ``gain_*`` over the first configuration (``none`` where present).
    """
    task = draws.task
    index = [task.languages.index(lang) for lang in languages]
    point = np.sort(task.estimates()[index], axis=0)[:count].mean(axis=0)
    chosen = draws.values[:, index, :]
    lowest = chosen if count >= len(index) else np.partition(chosen, count - 1, axis=1)
    samples = lowest[:, :count, :].mean(axis=1)  # partition: the count lowest, in any order
    tail = 0.5 + confidence / 2
    low, high = np.quantile(samples, [1 - tail, tail], axis=0)
    gains = samples - samples[:, [0]]
    gain_low, gain_high = np.quantile(gains, [1 - tail, tail], axis=0)
    return {
        "estimate": point, "ci_low": low, "ci_high": high, "gain": point - point[0],
        "gain_ci_low": gain_low, "gain_ci_high": gain_high,
    }  # fmt: skip
