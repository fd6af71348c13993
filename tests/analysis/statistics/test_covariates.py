"""Language covariates from the packaged tables and from a user's volume CSV."""

from __future__ import annotations

import math

import pytest

from xstilts.analysis import statistics as S
from xstilts.languages.table import pretraining_volume

TOL = 1e-6


def test_language_covariates_log1p_and_missing() -> None:
    covariates = S.language_covariates(["sw", "ht", "xx"], "cc100")
    gib = pretraining_volume("cc100")
    assert covariates.loc["sw", "log_volume"] == pytest.approx(math.log1p(gib["sw"]), abs=TOL)
    assert covariates.loc["ht", "log_volume"] == 0.0  # not in CC-100: kept, at log(1 + 0)
    assert math.isnan(covariates.loc["xx", "log_volume"])
    assert any("xx" in note for note in covariates.attrs["notes"])
    assert covariates.attrs["volume_unit"] == "GiB"


def test_language_covariates_from_a_user_volume_csv(tmp_path) -> None:
    table = tmp_path / "volumes.csv"
    table.write_text("language,volume\nde,9\nswa,0\n", encoding="utf-8")  # 639-3 code accepted
    covariates = S.language_covariates(["de", "sw"], table)
    assert covariates.loc["de", "log_volume"] == pytest.approx(math.log(10.0), abs=TOL)
    assert covariates.loc["sw", "log_volume"] == 0.0
    assert covariates.attrs["volume_unit"] == "volume units"
