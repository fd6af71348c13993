"""Dose-response of transfer robustness on a *designed* pretraining budget.

The controlled experiment (``xstilts.pretraining``) writes ``design.csv`` — every synthetic
language with its budget, exact tokens, diversity knobs and held-out masked-LM loss per seed — and
ordinary study rows and per-item scores into the store. This module joins them and estimates,
per diversity level and robustness measure:

- **slope**: the change of the measure per tenfold budget among languages that were seen in
  pretraining (budget > 0) — the OLS slope on log10(budget), which is a linear combination of the
  per-language means, so its interval comes from the same hierarchical item-and-seed bootstrap as
  every other figure (``statistics.bootstrap``: expanded percentile, paired by item and seed);
- **unseen -> largest**: the measure at the largest budget minus at budget 0 (the language never
  seen in pretraining), the whole dose in one contrast.

Measures (zero-shot languages only; English is the source): the zero-shot score after the
intermediate task, the gain from the intermediate task over no intermediate task (paired by item
and seed), and the gap to English. Retrieval is paired by query (correct at rank 1 per query);
only a store written before retrieval items existed falls back to the seeds alone (a t interval
over the per-seed slopes). Seed spread is reported descriptively: with
a handful of replicate encoders it has no useful interval. All slopes of a report form one
exploratory family (Benjamini-Hochberg); a CI that includes 0 reads "not supported".

The **manipulation check** asks whether the treatment took: within each diversity level and seed,
held-out masked-LM loss must fall as the budget grows (monotone, budget 0 highest).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from xstilts.analysis.statistics.bootstrap import (
    Estimate,
    TaskScores,
    cell_contrast,
    contrast_estimate,
    draw,
    gain_contrast,
    gap_contrast,
)
from xstilts.analysis.statistics.multiplicity import EXPLORATORY, adjust
from xstilts.experiments.store import ResultStore
from xstilts.tasks.synthetic import CLASSIFICATION_TARGET, INTERMEDIATE_TASK, RETRIEVAL_TARGET

SOURCE = "en"
BASELINE = "none"
Contrast = Callable[[TaskScores, str], np.ndarray]


def diversity_label(row: pd.Series) -> str:
    """e.g. 'script 50%, reverse order' (the knobs of a design.csv row)."""
    label = f"script {round(100 * float(row['script_share']))}%, {row['word_order']} order"
    return label + (
        f", suffix -{row['suffix']}" if isinstance(row["suffix"], str) and row["suffix"] else ""
    )


def load_design(output: Path) -> pd.DataFrame:
    """design.csv with a diversity label; English rows kept (they have no diversity level)."""
    design = pd.read_csv(output / "design.csv", keep_default_na=False)
    design["diversity"] = design.apply(diversity_label, axis=1)
    return design


def manipulation_check(design: pd.DataFrame) -> pd.DataFrame:
    """Per diversity level and seed: held-out loss by budget and whether it falls monotonically."""
    synthetic = design[design["language"] != SOURCE]
    rows = []
    for (level, seed), group in synthetic.groupby(["diversity", "seed"], sort=True):
        ordered = group.sort_values("budget")
        losses = ordered["held_out_loss"].to_numpy()
        rows.append({
            "diversity": level, "seed": seed,
            "budgets": ordered["budget"].tolist(), "losses": [round(float(x), 4) for x in losses],
            "monotone": bool(np.all(np.diff(losses) < 0)),
        })  # fmt: skip
    return pd.DataFrame(rows)


def task_scores(items: pd.DataFrame, target: str, configs: list[str]) -> TaskScores:
    """The bootstrap's input for ``target``: per language an array (configs, seeds, items)."""
    chosen = items[(items["target_task"] == target) & (items["split"] == "test")]
    seeds = sorted(chosen["seed"].unique().tolist())
    languages = sorted(chosen["language"].unique().tolist())
    scores = {}
    for language in languages:
        cube = chosen[chosen["language"] == language].pivot_table(
            index=["intermediate_task", "seed"], columns="item_id", values="score"
        )
        index = pd.MultiIndex.from_product([configs, seeds])
        array = cube.reindex(index).to_numpy(dtype=float)
        if np.isnan(array).any():
            raise ValueError(f"{target}/{language}: items missing for some configuration or seed")
        scores[language] = array.reshape(len(configs), len(seeds), -1)
    return TaskScores(configs, seeds, languages, scores)


def _measure_contrasts(config: str) -> dict[str, Contrast]:
    return {
        "zero-shot score": lambda task, lang: cell_contrast(task, lang, config),
        "gain over none": lambda task, lang: gain_contrast(task, [lang], config, BASELINE),
        "gap to English": lambda task, lang: gap_contrast(task, lang, config, SOURCE),
    }


def slope_weights(budgets: dict[str, int]) -> dict[str, float]:
    """OLS slope on log10(budget) as weights over languages (seen languages only)."""
    seen = {lang: math.log10(b) for lang, b in budgets.items() if b > 0}
    if len(set(seen.values())) < 2:
        return {}
    mean = sum(seen.values()) / len(seen)
    denominator = sum((x - mean) ** 2 for x in seen.values())
    return {lang: (x - mean) / denominator for lang, x in seen.items()}


def _effects(budgets: dict[str, int]) -> dict[str, dict[str, float]]:
    """The two statistics of a level as weights over its languages."""
    effects = {"slope per 10x budget": slope_weights(budgets)}
    unseen = [lang for lang, b in budgets.items() if b == 0]
    largest = max(budgets, key=budgets.__getitem__)
    if unseen and budgets[largest] > 0:
        effects["largest budget - unseen"] = {largest: 1.0, unseen[0]: -1.0}
    return {name: weights for name, weights in effects.items() if weights}


def item_dose_response(
    items: pd.DataFrame, design: pd.DataFrame, target: str, config: str, resamples: int = 4000
) -> list[dict[str, object]]:
    """Slopes and unseen-to-largest contrasts with bootstrap CIs for an item-scored target."""
    task = task_scores(items, target, [BASELINE, config])
    draws = draw(task, resamples=resamples, seed=0)
    levels = design[design["language"].isin(task.languages) & (design["language"] != SOURCE)]
    records = []
    for level, group in levels.groupby("diversity", sort=True):
        budgets = dict(zip(group["language"], group["budget"], strict=False))
        for effect, weights in _effects(budgets).items():
            for measure, contrast_of in _measure_contrasts(config).items():
                if measure == "gap to English" and SOURCE not in task.languages:
                    continue
                contrast = sum(w * contrast_of(task, lang) for lang, w in weights.items())
                estimate = contrast_estimate(draws, np.asarray(contrast))
                # every language of the fit counts, also one whose OLS weight happens to be 0
                estimate.n_languages = len(weights)
                estimate.n_items = sum(task.scores[lang].shape[2] for lang in weights)
                records.append(_record(target, level, measure, effect, estimate))
    return records


def _record(
    target: str, level: str, measure: str, effect: str, estimate: Estimate
) -> dict[str, object]:
    return {
        "target_task": target, "diversity": level, "measure": measure, "effect": effect,
        "estimate": estimate.estimate, "ci_low": estimate.ci_low, "ci_high": estimate.ci_high,
        "se": estimate.se, "p_value": estimate.p_value, "n_languages": estimate.n_languages,
        "n_items": estimate.n_items, "n_seeds": estimate.n_seeds,
    }  # fmt: skip


def retrieval_dose_response(
    items: pd.DataFrame, rows: pd.DataFrame, design: pd.DataFrame, target: str, config: str
) -> list[dict[str, object]]:
    """Retrieval paired by query (correct at rank 1 per query) where the store has its items;
    a store written before retrieval items existed falls back to the seeds alone."""
    if (items["target_task"] == target).any():
        return item_dose_response(items, design, target, config)
    return seed_dose_response(rows, design, target, config)


def seed_dose_response(
    rows: pd.DataFrame, design: pd.DataFrame, target: str, config: str
) -> list[dict[str, object]]:
    """Slopes for a target without item scores: one slope per seed, t interval over seeds."""
    chosen = rows[(rows["target_task"] == target) & (rows["split"] == "test")]
    wide = chosen.pivot_table(
        index=["language", "seed"], columns="intermediate_task", values="value"
    ).reset_index()
    wide["gain over none"] = wide[config] - wide[BASELINE]
    wide["zero-shot score"] = wide[config]
    levels = design[design["language"].isin(wide["language"]) & (design["language"] != SOURCE)]
    records = []
    for level, group in levels.groupby("diversity", sort=True):
        budgets = dict(zip(group["language"], group["budget"], strict=False))
        for effect, weights in _effects(budgets).items():
            for measure in ("zero-shot score", "gain over none"):
                chosen_rows = wide[wide["language"].isin(weights)]
                weighted = chosen_rows["language"].map(weights) * chosen_rows[measure]
                per_seed = weighted.groupby(chosen_rows["seed"]).sum()
                records.append(
                    _record(target, level, measure, effect, _t_estimate(per_seed.to_numpy()))
                )
    return records


def _t_estimate(values: np.ndarray) -> Estimate:
    n = len(values)
    mean = float(values.mean())
    se = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    half = float(stats.t.ppf(0.975, n - 1) * se) if n > 1 else math.nan
    p = float(2 * stats.t.sf(abs(mean) / se, n - 1)) if n > 1 and se > 0 else math.nan
    return Estimate(mean, mean - half, mean + half, se, n - 1, p, n, 0, 0)


def dose_response(output: Path, config: str = INTERMEDIATE_TASK) -> pd.DataFrame:
    """Every slope and contrast of a controlled study, with BH-adjusted p-values and a verdict."""
    design = load_design(output)
    with ResultStore(output / "results.duckdb", read_only=True) as store:
        rows = store.frame("study = ?", ["controlled"])
        items = store.items()
    items = items.merge(
        rows[["run_id", "intermediate_task", "seed"]].drop_duplicates(), on="run_id"
    )
    records = item_dose_response(items, design, CLASSIFICATION_TARGET, config)
    records += retrieval_dose_response(items, rows, design, RETRIEVAL_TARGET, config)
    table = pd.DataFrame(records)
    table["p_adjusted"] = adjust(table["p_value"].tolist(), EXPLORATORY)
    table["verdict"] = [verdict(row) for _, row in table.iterrows()]
    return table


def verdict(row: pd.Series) -> str:
    """'supported' only for a CI that excludes 0 with a real standard error."""
    if not row["se"] > 0:
        return "no variation across seeds or items: cannot be assessed"
    if row["ci_low"] > 0 or row["ci_high"] < 0:
        return "supported"
    return "not supported by these data"
