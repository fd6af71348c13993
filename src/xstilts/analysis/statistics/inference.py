"""Scores, gains and gaps with item- and seed-level uncertainty, adjusted p-values and power.

Joins the store's rows (one per run × language) with its per-item scores, builds one
:class:`~.bootstrap.TaskScores` per (configuration group, target task) — intermediates paired
by seed and item — and derives every interval from one hierarchical bootstrap per task:

- ``scores``: each (language, intermediate) mean;
- ``comparisons``: each intermediate against each reference (``none`` and every control
  intermediate, ``task@shuffled``/``task@mlm-control``), per language (an *exploratory* family:
  Benjamini–Hochberg) and averaged over the zero-shot languages (*confirmatory*: Holm) — English,
  the source language, is never counted as transfer;
- ``gaps``: English minus each language, per intermediate.

Every comparison carries its minimum detectable effect at 80% power. Items are questions, test
examples, sentences (tagging: linearised contributions to the corpus F1) and queries (retrieval;
BUCC: source sentences), see :mod:`xstilts.families.items`. Where a task has no item scores
(stores written before items existed, hidden test gold) the seeds are the only level resampled,
and the tables say so (``uncertainty = "seeds only"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd
from scipy import stats

from xstilts.analysis import robustness
from xstilts.analysis.statistics import bootstrap, bootstrap_tables, multiplicity, power
from xstilts.experiments.schema import BASELINE

CONTROL_SUFFIXES = ("@shuffled", "@mlm-control")
FEW_SEEDS = 3
ZERO_SHOT = "zero-shot mean"
ITEM_TOLERANCE = 1e-6


def is_control(intermediate: str) -> bool:
    return any(part.endswith(CONTROL_SUFFIXES) for part in intermediate.split("+"))


def with_groups(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Rows of different configurations are never pooled: the grouping columns (encoder, and
    ``config_id`` — derived from ``config_json`` for rows stored without it) and the rows."""
    if "config_id" not in rows.columns and "config_json" not in rows.columns:
        return rows, ["encoder"]
    from xstilts.analysis.tables import with_config_id

    return with_config_id(rows), ["encoder", "config_id"]


@dataclass
class Inference:
    """Tidy tables of one analysis; ``families`` declares each family of tests."""

    scores: pd.DataFrame
    comparisons: pd.DataFrame
    gaps: pd.DataFrame
    families: pd.DataFrame
    floors: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)


def task_scores(
    rows: pd.DataFrame, items: pd.DataFrame
) -> tuple[bootstrap.TaskScores | None, str, str]:
    """Paired arrays for one (group, target) from its selected rows; (scores, source, note)."""
    per_seed = rows.groupby(["intermediate_task", "seed", "language"])["value"].mean()
    configs = sorted(set(rows["intermediate_task"]), key=lambda c: (c != BASELINE, c))
    seeds = sorted(
        set.intersection(*(set(g["seed"]) for _, g in rows.groupby("intermediate_task")))
    )
    languages = sorted(
        set.intersection(*(set(g["language"]) for _, g in rows.groupby("intermediate_task"))),
        key=lambda lang: (lang != robustness.SOURCE_LANGUAGE, lang),
    )
    if not seeds or not languages:
        return None, "", "no seed and language shared by every intermediate: nothing to pair"
    from_items, note = _item_arrays(rows, items, configs, seeds, languages, per_seed)
    if from_items is not None:
        return bootstrap.TaskScores(configs, seeds, languages, from_items), "items", ""
    arrays = {
        lang: np.array([[[per_seed[(c, s, lang)]] for s in seeds] for c in configs])
        for lang in languages
    }
    return bootstrap.TaskScores(configs, seeds, languages, arrays), "seeds only", note


def _item_arrays(
    rows: pd.DataFrame,
    items: pd.DataFrame,
    configs: list[str],
    seeds: list[int],
    languages: list[str],
    per_seed: pd.Series,
) -> tuple[dict[str, np.ndarray] | None, str]:
    """(configs, seeds, items) arrays per language, or None and why not."""
    metric = str(rows["metric"].iloc[0])
    runs = rows.drop_duplicates("run_id").set_index("run_id")[["intermediate_task", "seed"]]
    chosen = items[items["run_id"].isin(runs.index) & (items["metric"] == metric)]
    chosen = chosen[chosen["split"].isin(set(rows["split"]))]
    if chosen.empty:
        return None, f"no item scores of its headline metric ({metric}) stored"
    chosen = chosen.join(runs, on="run_id")
    arrays: dict[str, np.ndarray] = {}
    for language in languages:
        table = chosen[chosen["language"] == language].pivot_table(
            index="item_id", columns=["intermediate_task", "seed"], values="score", aggfunc="mean"
        )
        wanted = pd.MultiIndex.from_product([configs, seeds])
        if not set(wanted) <= set(table.columns):
            return None, f"item scores missing for some runs in {language}"
        table = table[wanted].dropna()
        x = table.to_numpy().T.reshape(len(configs), len(seeds), len(table))
        means = x.mean(axis=2)
        expected = np.array([[per_seed[(c, s, language)] for s in seeds] for c in configs])
        if len(table) == 0 or np.abs(means - expected).max() > ITEM_TOLERANCE:
            return None, f"item scores do not average to the stored {metric}"
        arrays[language] = x
    return arrays, ""


def references(configs: list[str]) -> list[str]:
    """What each intermediate is compared with: ``none`` and every control present."""
    return [c for c in configs if c == BASELINE or is_control(c)]


def _references_of(config: str, configs: list[str]) -> list[str]:
    """A task intermediate against ``none`` and the controls; a control against ``none`` only
    (its own effect: "more steps on this text"); ``none`` against nothing."""
    if config == BASELINE:
        return []
    if is_control(config):
        return [BASELINE] if BASELINE in configs else []
    return [reference for reference in references(configs) if reference != config]


def _record(ids: dict[str, object], estimate: bootstrap.Estimate) -> dict[str, object]:
    few = estimate.n_seeds < 2 and estimate.n_items <= estimate.n_languages
    nan = math.nan
    return {
        **ids,
        "estimate": estimate.estimate,
        "ci_low": nan if few else estimate.ci_low,
        "ci_high": nan if few else estimate.ci_high,
        "se": nan if few else estimate.se,
        "df": estimate.df,
        "p_value": nan if few else estimate.p_value,
        "n_languages": estimate.n_languages,
        "n_items": estimate.n_items,
        "n_seeds": estimate.n_seeds,
    }


def _language_estimates(
    task: bootstrap.TaskScores, arrays: dict[str, np.ndarray], gap_to: str | None = None
) -> dict[tuple[str, str], bootstrap.Estimate]:
    """One table of :func:`.bootstrap_tables.language_tables` as an estimate per (language,
    config) (a gap to the language ``gap_to`` counts its items and itself too)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p_values = 2 * stats.t.sf(np.abs(arrays["estimate"]) / arrays["se"], arrays["df"])
    out = {}
    for i, language in enumerate(task.languages):
        for j, config in enumerate(task.configs):
            se = float(arrays["se"][i, j])
            out[(language, config)] = bootstrap.Estimate(
                float(arrays["estimate"][i, j]), float(arrays["ci_low"][i, j]),
                float(arrays["ci_high"][i, j]), se, float(arrays["df"][i, j]),
                float(p_values[i, j]) if se > 0 else math.nan, len(task.seeds),
                task.scores[language].shape[2] + (0 if gap_to is None else
                                                  task.scores[gap_to].shape[2]),
                1 if gap_to is None else 2,
            )  # fmt: skip
    return out


def _task_tables(
    task: bootstrap.TaskScores, draws: bootstrap.Draws, ids: dict[str, object], family: str
) -> tuple[list[dict[str, object]], list[dict[str, object]], list[dict[str, object]]]:
    """Score, comparison and gap records of one task's draws."""
    source = robustness.SOURCE_LANGUAGE
    zero_shot = [lang for lang in task.languages if lang != source]
    scores, comparisons, gaps = [], [], []
    tables = bootstrap_tables.language_tables(draws, references(task.configs), source)
    cells = _language_estimates(task, tables[("score", "")])
    gap_table = tables.get(("gap", source))
    to_source = _language_estimates(task, gap_table, source) if gap_table is not None else {}
    gains = {r: _language_estimates(task, tables[("gain", r)]) for r in references(task.configs)}
    for config in task.configs:
        for language in task.languages:
            estimate = cells[(language, config)]
            scores.append(_record({**ids, "intermediate_task": config, "language": language},
                                  estimate))  # fmt: skip
            if language != source and to_source:
                gaps.append(_record({**ids, "intermediate_task": config, "language": language},
                                    to_source[(language, config)]))  # fmt: skip
        for reference in _references_of(config, task.configs):
            scopes = [(ZERO_SHOT, zero_shot)] + [(lang, [lang]) for lang in zero_shot]
            for scope, langs in scopes if zero_shot else []:
                if scope == ZERO_SHOT:
                    contrast = bootstrap.gain_contrast(task, langs, config, reference)
                    estimate = bootstrap.contrast_estimate(draws, contrast)
                else:
                    estimate = gains[reference][(scope, config)]
                record = _record(
                    {**ids, "intermediate_task": config, "reference": reference,
                     "language": scope},
                    estimate,
                )  # fmt: skip
                comparisons.append(record)
    _with_power(comparisons, family)
    return scores, comparisons, gaps


def _with_power(comparisons: list[dict[str, object]], family: str) -> None:
    """Each comparison's minimum detectable effect (one vectorised call) and power note."""
    se = np.array([cast(float, record["se"]) for record in comparisons], dtype=float)
    df = np.array([cast(float, record["df"]) for record in comparisons], dtype=float)
    for record, value in zip(comparisons, power.mde_array(se, df), strict=True):
        record["mde"] = float(value)
        record["power_note"] = power.too_small(float(value), family)


def infer(
    rows: pd.DataFrame,
    items: pd.DataFrame | None = None,
    resamples: int = bootstrap.RESAMPLES,
    seed: int = 0,
) -> Inference:
    """Every interval of the analysis from ``select_rows``-chosen rows and the store's items."""
    items = items if items is not None else pd.DataFrame(columns=["run_id", "metric", "split"])
    rows, keys = with_groups(rows)
    tables: tuple[list, list, list] = ([], [], [])
    floors: list[dict[str, object]] = []
    notes: list[str] = []
    for key, group in rows.groupby([*keys, "target_task"], sort=True):
        ids = dict(zip([*keys, "target_task"], key, strict=True))
        task, source, note = task_scores(group, items)
        if note:
            notes.append(f"{ids['target_task']}: {note}" + ("; seeds only" if task else ""))
        if task is None:
            continue
        draws = bootstrap.draw(task, resamples, seed)
        ids = {**ids, "metric": str(group["metric"].iloc[0]), "uncertainty": source}
        for table, part in zip(tables, _task_tables(task, draws, ids, _family(ids)), strict=True):
            table.extend(part)
        floors.extend(_floor_records(draws, ids))
        if len(task.seeds) < FEW_SEEDS:
            notes.append(seed_warning(str(ids["target_task"]), len(task.seeds)))
    scores, comparisons, gaps = (pd.DataFrame.from_records(t) for t in tables)
    comparisons, families = _adjust(comparisons)
    return Inference(
        scores, comparisons, gaps, families, floors=pd.DataFrame(floors),
        notes=list(dict.fromkeys(notes)),
    )  # fmt: skip


def _floor_records(draws: bootstrap.Draws, ids: dict[str, object]) -> list[dict[str, object]]:
    """Worst zero-shot language and bottom-quintile mean per configuration, with intervals
    (and their gain over ``none``): robustness measured where transfer fails."""
    task = draws.task
    zero_shot = [lang for lang in task.languages if lang != robustness.SOURCE_LANGUAGE]
    if not zero_shot:
        return []
    records = []
    for measure, count in (
        ("worst language", 1),
        ("bottom quintile", robustness.bottom_count(len(zero_shot))),
    ):
        result = bootstrap_tables.bottom_mean(draws, zero_shot, count)
        for j, config in enumerate(task.configs):
            values = {key: float(array[j]) for key, array in result.items()}
            if task.configs[0] != BASELINE or config == BASELINE:
                values.update(gain=math.nan, gain_ci_low=math.nan, gain_ci_high=math.nan)
            records.append({**ids, "intermediate_task": config, "measure": measure,
                            "n_languages": count, "of_languages": len(zero_shot),
                            **values})  # fmt: skip
    return records


def seed_warning(target: str, seeds: int) -> str:
    """The visible warning of a study with fewer than :data:`FEW_SEEDS` seeds."""
    return (
        f"WARNING {target}: {seeds} seed{'s' if seeds != 1 else ''} — fewer than {FEW_SEEDS}; "
        "seed-to-seed variance is "
        + ("not estimated at all" if seeds < 2 else "barely estimated")
        + " and intervals understate it (use >= 5 seeds)"
    )


def _family(ids: dict[str, object]) -> str:
    """The task family (for literature effect sizes); "" for a task this package does not know."""
    from xstilts.tasks.registry import TASKS

    spec = TASKS.get(str(ids["target_task"]))
    return spec.family if spec is not None else ""


def _adjust(comparisons: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Holm over the zero-shot means (confirmatory), BH over per-language gains (exploratory)."""
    if comparisons.empty:
        return comparisons, pd.DataFrame(columns=["family", "kind", "adjustment", "size"])
    mean = comparisons["language"] == ZERO_SHOT
    confirmatory = multiplicity.adjust_family(
        comparisons[mean], "gains averaged over zero-shot languages", multiplicity.CONFIRMATORY
    )
    exploratory = multiplicity.adjust_family(
        comparisons[~mean], "gains per zero-shot language", multiplicity.EXPLORATORY
    )
    adjusted = pd.concat([confirmatory, exploratory]).sort_index()
    families = (
        adjusted.groupby(["family", "family_kind", "adjustment"], sort=False)["family_size"]
        .first()
        .reset_index()
        .rename(columns={"family_kind": "kind", "family_size": "size"})
    )
    return adjusted, families


def language_standard_errors(result: Inference) -> pd.DataFrame:
    """Per (encoder, intermediate, target, language): the bootstrap SE of the gain over
    ``none`` and of the gap to English — the precision weights of the language-level fits."""
    key = [*robustness.KEY]
    parts = []
    table = result.comparisons
    if not table.empty:
        gains = table[(table["reference"] == BASELINE) & (table["language"] != ZERO_SHOT)]
        parts.append(gains[[*key, "se"]].rename(columns={"se": "gain_se"}))
    if not result.gaps.empty:
        parts.append(result.gaps[[*key, "se"]].rename(columns={"se": "gap_to_english_se"}))
    if not parts:
        return pd.DataFrame(columns=[*key, "gain_se", "gap_to_english_se"])
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part, on=key, how="outer")
    return merged.drop_duplicates(key)
