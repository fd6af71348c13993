"""Design matrices: which predictors are kept, which are dropped and why, and task effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
from designs import design_frame, orthogonal_design

from xstilts.analysis import statistics as S


def test_build_design_drops_with_reasons_and_adds_task_effects() -> None:
    x1, _, e = orthogonal_design()
    covariates = {"log_volume": x1, "phonology_distance": np.full(len(x1), 0.5)}
    data = pd.concat(
        [
            design_frame(shift + 3.0 * x1 + e, covariates, target=target)
            for target, shift in (("pawsx", 0.0), ("xnli", 1.0))
        ],
        ignore_index=True,
    )
    design = S.build_design(data, "gain", S.PREDICTORS, task_effects=True)
    assert design.problem == ""
    assert design.predictors == ["log_volume"]
    assert "syntax_distance (not available)" in design.dropped
    assert "phonology_distance (constant over these languages)" in design.dropped
    assert list(design.X.columns) == ["const", "log_volume", "task[xnli]"]  # pawsx: reference
    assert design.X["task[xnli]"].sum() == len(x1)


def test_design_problems_are_explained() -> None:
    x1, _, e = orthogonal_design(4)
    frame = design_frame(3.0 * x1 + e, {"log_volume": x1})
    three = S.build_design(frame.iloc[:3], "gain", ("log_volume",), task_effects=False)
    assert three.problem == (
        "3 observations for 2 parameters: fewer than 2 residual degrees of freedom"
    )
    constant = S.build_design(frame.assign(gain=1.0), "gain", ("log_volume",), False)
    assert "nothing to explain" in constant.problem
    nothing = S.build_design(frame, "gain", ("syntax_distance",), False)
    assert nothing.problem == "no usable predictor"


def test_a_specification_equal_to_a_fitted_one_is_skipped() -> None:
    x1, _, e = orthogonal_design()
    ols = S.ols_regressions(design_frame(3.0 * x1 + e, {"log_volume": x1}), measures=["gain"])
    models = ols.models.set_index("model")
    assert models.loc["volume", "status"] == "fitted"
    assert models.loc["volume+distances", "status"] == "skipped"
    assert models.loc["volume+distances", "reason"].startswith(
        "same usable predictors as model 'volume'"
    )
