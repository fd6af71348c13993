"""What every model of the analysis shares: measures, specifications, design matrices, scopes.

OLS, the mixed model and leave-one-language-out all fit the same response on the same
predictors over the same groups of rows, and they must drop the same rows and give the same
reasons when a model cannot be estimated — so the design matrix, the grouping into scopes and
the loop over (measure, scope, specification) live here once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from xstilts.analysis import robustness
from xstilts.analysis.statistics.covariates import PREDICTORS, UNSEEN, VOLUME

CONFIDENCE = 0.95

MEASURES: dict[str, str] = {
    "gain": "gain over the no-intermediate baseline (points)",
    "gap_to_english": "transfer gap to English (English - language, points)",
    "seed_std": "standard deviation across seeds (points)",
}
"""Language-level robustness measures that are regressed on language covariates."""

MODEL_SPECS: dict[str, tuple[str, ...]] = {
    "volume": (VOLUME, UNSEEN),
    "volume+distances": PREDICTORS,
}
"""Regression specifications: volume alone, and volume with the five distances (Lauscher's set);
volume is log(volume) plus the ``unseen`` indicator (dropped when every language was seen)."""

BASELINE_COVARIATE = "baseline_mean"
MEASURE_COVARIATES: dict[str, tuple[str, ...]] = {"gain": (BASELINE_COVARIATE,)}
"""Controls added to every model of a measure: a gain is regressed with the language's baseline
score as covariate — gains regress to the mean and hit the ceiling where the baseline is already
high, and baseline scores correlate with volume, so without it the volume slope absorbs both."""

MIN_RESIDUAL_DF = 2
"""OLS is reported only with >= 2 residual degrees of freedom: with one, the 95% t quantile is 12.7
and the interval rests on a single residual."""

POOLED = "(pooled)"
"""``target_task`` label of models pooled over target tasks with task fixed effects."""

ID_COLUMNS = ["scope", "encoder", "intermediate_task", "target_task", "measure", "model"]
"""Columns that name one model: a row of every model table starts with them."""

PREDICTOR_ID_COLUMNS = [*robustness.CELL, "measure", "predictor"]
"""Columns that name one (configuration, measure, predictor) pair, for per-predictor tables."""

Record = dict[str, object]
"""One row of a tidy output table, before it becomes a DataFrame."""

COEFFICIENT_COLUMNS = [
    *ID_COLUMNS,
    "term",
    "coef",
    "se",
    "ci_low",
    "ci_high",
    "p_value",
    "std_coef",
    "n",
    "n_languages",
    "df_resid",
]
"""One tidy coefficient table for OLS and the mixed model, so the report reads both alike."""


# --------------------------------------------------------------------------------------------
# Rows and scopes


def measured(frame: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Rows that carry ``measure``. The gain is NaN for the baseline itself, the gap for English,
    the seed std with one seed — so a configuration without the measure yields no empty model
    (the report states the reason once, e.g. "one seed")."""
    return frame[frame[measure].notna()]


def configurations(
    frame: pd.DataFrame, measures: Sequence[str]
) -> Iterator[tuple[str, tuple[str, str, str], pd.DataFrame]]:
    """(measure, configuration, rows) for each measure in ``frame`` and each configuration
    that carries it."""
    for measure in measures:
        if measure not in frame:
            continue
        for key, group in measured(frame, measure).groupby(robustness.CELL, sort=True):
            yield measure, (str(key[0]), str(key[1]), str(key[2])), group


class Scope(NamedTuple):
    """The rows one model is fitted on, and whether target tasks need fixed effects there."""

    name: str
    encoder: str
    intermediate_task: str
    target_task: str
    data: pd.DataFrame
    task_effects: bool


def _per_intermediate(data: pd.DataFrame) -> Iterator[tuple[str, str, pd.DataFrame]]:
    for (encoder, intermediate), group in data.groupby(["encoder", "intermediate_task"], sort=True):
        yield str(encoder), str(intermediate), group


def task_and_pooled_scopes(frame: pd.DataFrame, measure: str) -> Iterator[Scope]:
    """One scope per target task, then one pooled over the target tasks of an (encoder,
    intermediate) — only where there are several, else it would repeat the per-task model."""
    for _, (encoder, intermediate, target), group in configurations(frame, [measure]):
        yield Scope("task", encoder, intermediate, target, group, False)
    for encoder, intermediate, group in _per_intermediate(measured(frame, measure)):
        if group["target_task"].nunique() > 1:
            yield Scope("pooled", encoder, intermediate, POOLED, group, True)


def mixed_scopes(frame: pd.DataFrame, measure: str) -> Iterator[Scope]:
    """Every (encoder, intermediate) pooled over its target tasks, even a single one: the mixed
    model then says why it cannot separate the language variance, rather than staying silent."""
    for encoder, intermediate, group in _per_intermediate(measured(frame, measure)):
        task_effects = group["target_task"].nunique() > 1
        yield Scope("mixed", encoder, intermediate, POOLED, group, task_effects)


# --------------------------------------------------------------------------------------------
# Design matrices


@dataclass
class Design:
    """A regression design: response, predictors (+ intercept, + task dummies), and what was
    dropped on the way, with the reason — so every "cannot estimate" can be explained."""

    y: pd.Series
    X: pd.DataFrame
    languages: pd.Series
    targets: pd.Series
    predictors: list[str]
    dropped: list[str] = field(default_factory=list)
    problem: str = ""
    variances: pd.Series | None = None  # sampling variance of each y (item + seed bootstrap)


def build_design(
    data: pd.DataFrame, measure: str, predictors: Sequence[str], task_effects: bool
) -> Design:
    """Rows with a complete response and predictors; constant or missing predictors dropped.

    ``task_effects`` adds one dummy per target task except the first (alphabetical) — fixed
    effects that absorb task-level differences in the measure so only within-task variation
    across languages identifies the slopes. The measure's controls (:data:`MEASURE_COVARIATES`)
    join the predictors where the data has them.
    """
    extra = [c for c in MEASURE_COVARIATES.get(measure, ()) if c in data and c not in predictors]
    predictors = [*predictors, *extra]
    usable = [p for p in predictors if p in data and data[p].notna().sum() > 0]
    dropped = [f"{p} (not available)" for p in predictors if p not in usable]
    complete = data.dropna(subset=[measure, *usable])
    kept = [p for p in usable if complete[p].nunique() >= 2]
    dropped += [f"{p} (constant over these languages)" for p in usable if p not in kept]
    if any(c in kept for c in extra) and not _full_rank(complete, kept, task_effects):
        # a control that only repeats the task effects (one baseline per task) is left out
        dropped += [f"{c} (collinear with the other terms)" for c in extra if c in kept]
        kept = [p for p in kept if p not in extra]
    variances = None
    if f"{measure}_se" in complete:
        se = complete[f"{measure}_se"].astype(float)
        variances = se**2 if bool((se > 0).all()) else None
    design = Design(
        variances=variances,
        y=complete[measure].astype(float),
        X=_design_matrix(complete, kept, task_effects),
        languages=complete["language"].astype(str),
        targets=complete["target_task"].astype(str),
        predictors=kept,
        dropped=dropped,
    )
    design.problem = _design_problem(design)
    return design


def _full_rank(complete: pd.DataFrame, kept: Sequence[str], task_effects: bool) -> bool:
    X = _design_matrix(complete, kept, task_effects).to_numpy()
    return len(X) == 0 or bool(np.linalg.matrix_rank(X) == X.shape[1])


def _design_matrix(complete: pd.DataFrame, kept: Sequence[str], task_effects: bool) -> pd.DataFrame:
    X = pd.DataFrame({"const": np.ones(len(complete))}, index=complete.index)
    for predictor in kept:
        X[predictor] = complete[predictor].astype(float)
    if task_effects:
        for target in sorted(complete["target_task"].unique())[1:]:
            X[f"task[{target}]"] = (complete["target_task"] == target).astype(float)
    return X


def _design_problem(design: Design) -> str:
    """Why the design cannot be fitted ("" if it can), in words a reader can act on."""
    X = design.X
    if not design.predictors:
        return "no usable predictor"
    if design.y.nunique() < 2:
        return "the measure is constant over these languages: nothing to explain"
    if len(X) > 0 and np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
        return f"predictors perfectly collinear over these {design.languages.nunique()} languages"
    if len(X) - X.shape[1] < MIN_RESIDUAL_DF:
        return (
            f"{len(X)} observations for {X.shape[1]} parameters: fewer than "
            f"{MIN_RESIDUAL_DF} residual degrees of freedom"
        )
    return ""


def spec_problem(design: Design, model_name: str, fitted_sets: dict[tuple[str, ...], str]) -> str:
    """Why a specification is not fitted ("" if it is); registers it in ``fitted_sets``.

    A specification whose usable predictors are those of one already fitted (e.g. every distance
    unavailable, so "volume+distances" is just "volume") is skipped rather than shown twice.
    """
    if design.problem:
        return design.problem
    usable = tuple(design.predictors)
    if usable in fitted_sets:
        dropped = "; ".join(design.dropped)
        return f"same usable predictors as model {fitted_sets[usable]!r} ({dropped})"
    fitted_sets[usable] = model_name
    return ""


# --------------------------------------------------------------------------------------------
# The loop every model family runs


class ModelCase(NamedTuple):
    """One model to fit: its identifying columns, its design, and why it is not fitted ("")."""

    ids: dict[str, str]
    design: Design
    problem: str


ScopeFunction = Callable[[pd.DataFrame, str], Iterable[Scope]]


def model_cases(
    frame: pd.DataFrame,
    measures: Sequence[str],
    specs: Mapping[str, Sequence[str]],
    scopes: ScopeFunction,
) -> Iterator[ModelCase]:
    """Every (measure, scope, specification), in a fixed order, with its design built."""
    for measure in measures:
        if measure not in frame:
            continue
        for scope in scopes(frame, measure):
            fitted_sets: dict[tuple[str, ...], str] = {}
            for model_name, predictors in specs.items():
                design = build_design(scope.data, measure, predictors, scope.task_effects)
                values = [scope.name, scope.encoder, scope.intermediate_task, scope.target_task]
                ids = dict(zip(ID_COLUMNS, [*values, measure, model_name], strict=True))
                yield ModelCase(ids, design, spec_problem(design, model_name, fitted_sets))


CaseFit = Callable[[ModelCase], tuple[Record, list[Record]]]


def fit_models(
    frame: pd.DataFrame,
    measures: Sequence[str],
    specs: Mapping[str, Sequence[str]],
    scopes: ScopeFunction,
    fit: CaseFit,
    model_columns: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coefficient and model tables of every case; ``fit`` returns a case's model row (fitted or
    not, with the reason) and its coefficient rows (none when not fitted)."""
    coefficient_records: list[Record] = []
    model_records: list[Record] = []
    for case in model_cases(frame, measures, specs, scopes):
        model, coefficients = fit(case)
        model_records.append(model)
        coefficient_records.extend(coefficients)
    return (
        pd.DataFrame.from_records(coefficient_records, columns=COEFFICIENT_COLUMNS),
        pd.DataFrame.from_records(model_records, columns=list(model_columns)),
    )


def coefficient_rows(
    ids: Mapping[str, str],
    design: Design,
    fit: Mapping[str, pd.Series],
    intervals: pd.DataFrame,
    df_resid: float,
    std_coefs: Mapping[str, float] | None = None,
) -> list[Record]:
    """One :data:`COEFFICIENT_COLUMNS` row per term; ``fit`` holds ``coef``, ``se`` and
    ``p_value`` series indexed by term, ``intervals`` the low (0) and high (1) bounds."""
    n, n_languages = len(design.y), int(design.languages.nunique())
    return [
        {
            **ids,
            "term": term,
            "coef": float(fit["coef"][term]),
            "se": float(fit["se"][term]),
            "ci_low": float(intervals.loc[term, 0]),
            "ci_high": float(intervals.loc[term, 1]),
            "p_value": float(fit["p_value"][term]),
            "std_coef": (std_coefs or {}).get(term, math.nan),
            "n": n,
            "n_languages": n_languages,
            "df_resid": df_resid,
        }
        for term in design.X.columns
    ]
