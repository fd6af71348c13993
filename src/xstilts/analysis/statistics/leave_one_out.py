"""Leave-one-language-out prediction: do the predictors say anything about an unseen language?

In-sample fit statistics flatter a model with 5–40 languages; predicting each language from a
model fitted on the others, and comparing with predicting the mean, is the honest check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from xstilts.analysis.statistics.design import (
    ID_COLUMNS,
    MEASURES,
    MODEL_SPECS,
    Design,
    ModelCase,
    model_cases,
    task_and_pooled_scopes,
)

LOLO_COLUMNS = [*ID_COLUMNS, "n_languages", "rmse", "rmse_null", "skill", "status", "reason"]


def leave_one_language_out(
    frame: pd.DataFrame,
    measures: Sequence[str] = tuple(MEASURES),
    specs: Mapping[str, Sequence[str]] = MODEL_SPECS,
) -> pd.DataFrame:
    """Prediction error for a language the model has not seen (RMSE over held-out languages).

    For each language: fit the OLS on every other language (all of its rows held out together in
    the pooled scope), predict it. ``rmse_null`` is the same procedure with intercept (+ task
    effects) only, i.e. predicting the mean; ``skill = 1 - rmse/rmse_null`` > 0 means the
    predictors help out of sample. Fits use least squares directly, not statsmodels, because
    there is one per language.
    """
    records = [
        _lolo_record(case) for case in model_cases(frame, measures, specs, task_and_pooled_scopes)
    ]
    return pd.DataFrame.from_records(records, columns=LOLO_COLUMNS)


def _lolo_record(case: ModelCase) -> dict[str, object]:
    """The RMSEs and skill of one model, or the reason it could not be cross-validated."""
    design = case.design
    languages = sorted(design.languages.unique())
    record: dict[str, object] = {
        **case.ids,
        "n_languages": len(languages),
        "rmse": math.nan,
        "rmse_null": math.nan,
        "skill": math.nan,
        "status": "skipped",
        "reason": case.problem,
    }
    if case.problem:
        return record
    null_columns = [c for c in design.X.columns if c not in design.predictors]
    errors, null_errors, problem = _lolo_errors(design, languages, null_columns)
    if problem:
        record["reason"] = problem
        return record
    rmse = math.sqrt(float(np.mean(np.square(errors))))
    rmse_null = math.sqrt(float(np.mean(np.square(null_errors))))
    record.update(
        rmse=rmse,
        rmse_null=rmse_null,
        skill=1.0 - rmse / rmse_null if rmse_null > 0 else math.nan,
        status="fitted",
    )
    return record


def _lolo_errors(
    design: Design, languages: Sequence[str], null_columns: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, str]:
    """Held-out residuals of the full and the mean-only model, or why a language cannot be
    left out (then both arrays are empty)."""
    X = design.X.to_numpy(float)
    X_null = design.X[list(null_columns)].to_numpy(float)
    y = design.y.to_numpy(float)
    held = design.languages.to_numpy()
    errors: list[float] = []
    null_errors: list[float] = []
    for language in languages:
        test = held == language
        for matrix, sink in ((X, errors), (X_null, null_errors)):
            residuals, problem = _held_out_residuals(matrix, y, test, language, matrix is X)
            if problem:
                return np.array([]), np.array([]), problem
            sink.extend(residuals)
    return np.asarray(errors), np.asarray(null_errors), ""


def _held_out_residuals(
    matrix: np.ndarray, y: np.ndarray, test: np.ndarray, language: str, full: bool
) -> tuple[list[float], str]:
    """Residuals of the ``test`` rows from a least-squares fit on the others, or a problem."""
    train = ~test
    kept = matrix[:, matrix[train].any(axis=0)]  # a task seen only in the held-out language
    if train.sum() <= kept.shape[1] or np.linalg.matrix_rank(kept[train]) < kept.shape[1]:
        return [], f"leaving out {language} leaves too few or collinear languages to fit"
    if full and kept.shape[1] < matrix.shape[1]:
        return [], f"a target task has no language other than {language}: cannot predict it"
    coef, *_ = np.linalg.lstsq(kept[train], y[train], rcond=None)
    return (y[test] - kept[test] @ coef).tolist(), ""
