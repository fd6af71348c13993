"""Robustness of zero-shot transfer, measured per language from the results store.

science.md §8 defines robustness three ways, and each is computed here from the stored rows alone:

(a) the spread across seeds per language (std, min, max), because zero-shot scores swing between
    fine-tuning runs (Keung et al. 2020; Wu, Van Durme & Dredze 2022);
(b) the worst language and the bottom-quintile mean per (encoder, intermediate, target), because an
    average over languages hides the languages that transfer fails on;
(c) the transfer gap to English (English score - language score).

On top of these, the *gain* of each intermediate task over the no-intermediate baseline ("none") is
estimated with a 95% t-interval across seeds, paired by seed: runs with the same seed share the
target-task data order and head initialisation, so the paired difference removes that variance.

Every function takes the store's tidy rows (``ResultStore.frame()``) and returns a tidy DataFrame
with one row per (encoder, intermediate_task, target_task[, language]).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from xstilts.experiments.schema import BASELINE
from xstilts.tasks.registry import TASKS

SOURCE_LANGUAGE = "en"
CONFIDENCE = 0.95

CELL: list[str] = ["encoder", "intermediate_task", "target_task"]
"""One fine-tuning configuration; the unit over which languages are compared."""
KEY: list[str] = [*CELL, "language"]
"""One configuration in one language; the unit over which seeds are compared."""

NO_CHOICE_SELECTIONS: tuple[str, ...] = ("no_selection", "none", "last")
"""Selections that involve no checkpoint choice (retrieval scored straight from the encoder,
``no_selection``, ``none`` in older stores; QA taking the last checkpoint). Such a task has no
English-dev/oracle variant, so it is kept whichever
selection the analysis asks for."""


def headline_metric(target_task: str, available: Iterable[str]) -> str | None:
    """The headline metric of ``target_task`` among the ``available`` ones (``None`` if none).

    The headline is the task spec's ``metric`` (QA reports F1 and exact match; F1 is the
    headline: the per-language analysis needs one number per language, and F1 is the less noisy
    of the two). A task no longer registered (rows of an old store) falls back to the
    alphabetically first available metric, so that it is still analysed, deterministically.
    """
    metrics = sorted({str(m) for m in available})
    if not metrics:
        return None
    spec = TASKS.get(target_task)
    preferred = spec.metric if spec is not None else None
    return preferred if preferred in metrics else metrics[0]


def select_rows(
    rows: pd.DataFrame, *, split: str = "test", selection: str = "en_dev"
) -> pd.DataFrame:
    """The rows one analysis uses: one split, one selection, the headline metric per task.

    Selection is chosen per (encoder, target task): where the task has rows with ``selection``
    those are used; where it has none but has rows of a no-choice selection (``"none"`` for
    retrieval, ``"last"``), those are used, since there was no checkpoint to choose. A task that
    has only another real selection (e.g. only ``"oracle"`` when ``"en_dev"`` was asked for) is
    dropped rather than silently mixing true zero-shot and oracle numbers.
    """
    chosen = rows[rows["split"] == split]
    if chosen.empty:
        return chosen.copy()
    kept: list[pd.DataFrame] = []
    for (_, target_task), group in chosen.groupby(["encoder", "target_task"], sort=True):
        selections = set(group["selection"])
        if selection in selections:
            group = group[group["selection"] == selection]
        else:
            fallback = [s for s in NO_CHOICE_SELECTIONS if s in selections]
            if not fallback:
                continue
            group = group[group["selection"] == fallback[0]]
        metric = headline_metric(str(target_task), group["metric"])
        kept.append(group[group["metric"] == metric])
    if not kept:
        return chosen.iloc[0:0].copy()
    return pd.concat(kept, ignore_index=True)


def _per_seed(rows: pd.DataFrame) -> pd.DataFrame:
    """One value per (key, seed). A seed stored twice (e.g. by two studies) counts once, averaged,
    so that a repeated run cannot masquerade as an extra seed."""
    return rows.groupby([*KEY, "seed"], as_index=False, sort=True).agg(
        value=("value", "mean"), metric=("metric", "first"), selection=("selection", "first")
    )


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Two-sided t confidence interval for the mean of ``values``; NaNs for fewer than 2 values.

    With one seed there is no estimate of between-seed variance, so no interval can be given.
    """
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    n = data.size
    if n < 2:
        return math.nan, math.nan
    mean = float(data.mean())
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * float(data.std(ddof=1)) / math.sqrt(n)
    return mean - half, mean + half


def welch_interval(
    a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Welch t-interval for mean(a) - mean(b) (unequal variances); NaNs if either has < 2 values."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size < 2 or y.size < 2:
        return math.nan, math.nan
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    diff = float(x.mean() - y.mean())
    se = math.sqrt(vx + vy)
    if se == 0.0:
        return diff, diff
    dof = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, dof)) * se
    return diff - half, diff + half


def seed_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread across seeds per (encoder, intermediate, target, language).

    Columns: ``metric, selection, n_seeds, mean, std, min, max``. ``std`` is the sample standard
    deviation (ddof=1) and NaN for a single seed: one run says nothing about seed variance.
    """
    per_seed = _per_seed(rows)
    if per_seed.empty:
        columns = [*KEY, "metric", "selection", "n_seeds", "mean", "std", "min", "max"]
        return pd.DataFrame(columns=columns)
    summary = per_seed.groupby(KEY, as_index=False, sort=True).agg(
        metric=("metric", "first"),
        selection=("selection", "first"),
        n_seeds=("seed", "nunique"),
        mean=("value", "mean"),
        std=("value", lambda v: float(v.std(ddof=1)) if len(v) > 1 else math.nan),
        min=("value", "min"),
        max=("value", "max"),
    )
    summary["n_seeds"] = summary["n_seeds"].astype(int)
    return summary


def _gain_estimate(
    treated: pd.Series, baseline: pd.Series, confidence: float
) -> dict[str, float | int | str]:
    """Gain of ``treated`` over ``baseline`` (both indexed by seed) with its interval."""
    common = treated.index.intersection(baseline.index)
    if len(common) > 0:
        differences = (treated.loc[common] - baseline.loc[common]).to_numpy(dtype=float)
        low, high = t_interval(differences, confidence)
        return {
            "gain": float(differences.mean()),
            "gain_ci_low": low,
            "gain_ci_high": high,
            "gain_n": len(common),
            "gain_pairing": "paired",
        }
    low, high = welch_interval(treated.to_numpy(), baseline.to_numpy(), confidence)
    return {
        "gain": float(treated.mean() - baseline.mean()),
        "gain_ci_low": low,
        "gain_ci_high": high,
        "gain_n": min(len(treated), len(baseline)),
        "gain_pairing": "welch",
    }


GAIN_COLUMNS = ["gain", "gain_ci_low", "gain_ci_high", "gain_n", "gain_pairing"]


def gains(rows: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Gain over the ``none`` baseline per (encoder, intermediate, target, language).

    Paired by seed where the intermediate run and the baseline share seeds (only the shared seeds
    are used, ``gain_pairing="paired"``, ``gain_n`` pairs); otherwise a Welch interval on the two
    seed means (``"welch"``). The interval is a t-interval across seeds, NaN when only one seed
    (or pair) exists. Rows without a baseline in the same (encoder, target, language) are absent.
    """
    per_seed = _per_seed(rows)
    columns = [*KEY, "baseline_mean", *GAIN_COLUMNS]
    baseline = per_seed[per_seed["intermediate_task"] == BASELINE]
    treated = per_seed[per_seed["intermediate_task"] != BASELINE]
    if baseline.empty or treated.empty:
        return pd.DataFrame(columns=columns)
    base_lookup = {
        key: group.set_index("seed")["value"]
        for key, group in baseline.groupby(["encoder", "target_task", "language"], sort=False)
    }
    records: list[dict[str, object]] = []
    for key, group in treated.groupby(KEY, sort=True):
        encoder, _, target, language = key
        base = base_lookup.get((encoder, target, language))
        if base is None:
            continue
        record: dict[str, object] = dict(zip(KEY, key, strict=True))
        record["baseline_mean"] = float(base.mean())
        record.update(_gain_estimate(group.set_index("seed")["value"], base, confidence))
        records.append(record)
    return pd.DataFrame.from_records(records, columns=columns)


def task_gains(rows: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Gain over ``none`` averaged over languages, per (encoder, intermediate, target).

    The paper-style number. For each shared seed the gain is averaged over the languages present
    in both runs (English included, as in XTREME task averages), then a t-interval is taken across
    seeds. Columns: ``baseline_mean, mean, gain, gain_ci_low, gain_ci_high, gain_n,
    gain_pairing, n_languages``.
    """
    per_seed = _per_seed(rows)
    columns = [*CELL, "baseline_mean", "mean", *GAIN_COLUMNS, "n_languages"]
    baseline = per_seed[per_seed["intermediate_task"] == BASELINE]
    treated = per_seed[per_seed["intermediate_task"] != BASELINE]
    if baseline.empty or treated.empty:
        return pd.DataFrame(columns=columns)
    records: list[dict[str, object]] = []
    for key, group in treated.groupby(CELL, sort=True):
        encoder, _, target = key
        base = baseline[(baseline["encoder"] == encoder) & (baseline["target_task"] == target)]
        if base.empty:
            continue
        merged = group.merge(base, on=["language", "seed"], suffixes=("", "_base"))
        record: dict[str, object] = dict(zip(CELL, key, strict=True))
        if not merged.empty:
            # language averages per seed over the languages both runs scored
            treated_by_seed = merged.groupby("seed")["value"].mean()
            base_by_seed = merged.groupby("seed")["value_base"].mean()
            languages = merged["language"].nunique()
        else:  # no shared seed: compare language averages of each seed, unpaired
            treated_by_seed = group.groupby("seed")["value"].mean()
            base_by_seed = base.groupby("seed")["value"].mean()
            languages = len(set(group["language"]) & set(base["language"]))
        record["baseline_mean"] = float(base_by_seed.mean())
        record["mean"] = float(treated_by_seed.mean())
        record.update(_gain_estimate(treated_by_seed, base_by_seed, confidence))
        record["n_languages"] = int(languages)
        records.append(record)
    return pd.DataFrame.from_records(records, columns=columns)


def transfer_gaps(rows: pd.DataFrame, source: str = SOURCE_LANGUAGE) -> pd.DataFrame:
    """Transfer gap = source-language (English) mean - language mean, per non-source language.

    Means over seeds, because the English and the target-language scores of one run come from the
    same model; the gap is a property of the configuration. Configurations without an English
    score have no gap (absent).
    """
    summary = seed_summary(rows)
    columns = [*KEY, "english_mean", "mean", "gap_to_english"]
    english = summary[summary["language"] == source].set_index(CELL)["mean"]
    others = summary[summary["language"] != source]
    if english.empty or others.empty:
        return pd.DataFrame(columns=columns)
    joined = others.join(english.rename("english_mean"), on=CELL, how="inner")
    joined["gap_to_english"] = joined["english_mean"] - joined["mean"]
    return joined[columns].reset_index(drop=True)


def bottom_count(n_languages: int, quantile: float = 0.2) -> int:
    """How many languages form the bottom quantile: ceil(q·n), at least one.

    Rounding up keeps the worst language in the bottom quintile even for 2–4 languages.
    """
    return max(1, math.ceil(quantile * n_languages - 1e-9))


def worst_languages(
    rows: pd.DataFrame, quantile: float = 0.2, source: str = SOURCE_LANGUAGE
) -> pd.DataFrame:
    """Worst language and bottom-quantile mean per (encoder, intermediate, target).

    The source language (English) is excluded: robustness is about the languages transferred to.
    For intermediate tasks the bottom-quantile mean of the ``none`` baseline (over *its* bottom
    languages) and the difference are added, which asks whether intermediate training lifts the
    floor, not just the average. Columns: ``n_languages, worst_language, worst_score,
    bottom_languages, bottom_mean, baseline_bottom_mean, bottom_gain``.
    """
    summary = seed_summary(rows)
    summary = summary[summary["language"] != source]
    columns = [
        *CELL,
        "n_languages",
        "worst_language",
        "worst_score",
        "bottom_languages",
        "bottom_mean",
        "baseline_bottom_mean",
        "bottom_gain",
    ]
    records: list[dict[str, object]] = []
    for key, group in summary.groupby(CELL, sort=True):
        ordered = group.sort_values(["mean", "language"])
        count = bottom_count(len(ordered), quantile)
        bottom = ordered.head(count)
        record: dict[str, object] = dict(zip(CELL, key, strict=True))
        record.update(
            n_languages=len(ordered),
            worst_language=str(ordered["language"].iloc[0]),
            worst_score=float(ordered["mean"].iloc[0]),
            bottom_languages=",".join(bottom["language"].astype(str)),
            bottom_mean=float(bottom["mean"].mean()),
        )
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=columns)
    if frame.empty:
        return frame
    baseline = frame[frame["intermediate_task"] == BASELINE].set_index(["encoder", "target_task"])[
        "bottom_mean"
    ]
    lookup = [
        baseline.get((e, t), math.nan)
        for e, t in zip(frame["encoder"], frame["target_task"], strict=True)
    ]
    frame["baseline_bottom_mean"] = np.where(
        frame["intermediate_task"] == BASELINE, math.nan, np.asarray(lookup, dtype=float)
    )
    frame["bottom_gain"] = frame["bottom_mean"] - frame["baseline_bottom_mean"]
    return frame


def selection_gaps(rows: pd.DataFrame, split: str = "test") -> pd.DataFrame:
    """Oracle minus English-dev selection, per key where both selections were stored.

    Keung et al. (2020) show English-dev selection can be far from the best checkpoint for a
    target language; this is the size of that loss in our runs. Paired by seed where possible.
    Columns: ``metric, en_dev_mean, oracle_mean, selection_gap, selection_gap_ci_low,
    selection_gap_ci_high, n_seeds``.
    """
    columns = [
        *KEY,
        "metric",
        "en_dev_mean",
        "oracle_mean",
        "selection_gap",
        "selection_gap_ci_low",
        "selection_gap_ci_high",
        "n_seeds",
    ]
    chosen = rows[(rows["split"] == split) & rows["selection"].isin(["en_dev", "oracle"])]
    records: list[dict[str, object]] = []
    for (_, target), group in chosen.groupby(["encoder", "target_task"], sort=True):
        metric = headline_metric(str(target), group["metric"])
        group = group[group["metric"] == metric]
        en_dev = _per_seed(group[group["selection"] == "en_dev"])
        oracle = _per_seed(group[group["selection"] == "oracle"])
        if en_dev.empty or oracle.empty:
            continue
        oracle_lookup = {k: g.set_index("seed")["value"] for k, g in oracle.groupby(KEY)}
        for key, g in en_dev.groupby(KEY, sort=True):
            other = oracle_lookup.get(key)
            if other is None:
                continue
            estimate = _gain_estimate(other, g.set_index("seed")["value"], CONFIDENCE)
            record: dict[str, object] = dict(zip(KEY, key, strict=True))
            record.update(
                metric=metric,
                en_dev_mean=float(g["value"].mean()),
                oracle_mean=float(other.mean()),
                selection_gap=estimate["gain"],
                selection_gap_ci_low=estimate["gain_ci_low"],
                selection_gap_ci_high=estimate["gain_ci_high"],
                n_seeds=estimate["gain_n"],
            )
            records.append(record)
    return pd.DataFrame.from_records(records, columns=columns)


def robustness_table(rows: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """All language-level measures in one tidy frame, keyed by (encoder, intermediate, target,
    language): seed summary, gain over ``none`` with CI (NaN for the baseline itself) and the gap
    to English (NaN for English). This is what ``statistics`` joins with language metadata.

    ``rows`` should already be restricted by :func:`select_rows`.
    """
    summary = seed_summary(rows)
    if summary.empty:
        extra = ["baseline_mean", *GAIN_COLUMNS, "english_mean", "gap_to_english"]
        return pd.DataFrame(columns=[*summary.columns, *extra])
    gain = gains(rows, confidence)
    gaps = transfer_gaps(rows)
    table = summary.merge(gain, on=KEY, how="left")
    table = table.merge(gaps[[*KEY, "english_mean", "gap_to_english"]], on=KEY, how="left")
    table = table.rename(columns={"std": "seed_std"})
    return table.sort_values(KEY, ignore_index=True)
