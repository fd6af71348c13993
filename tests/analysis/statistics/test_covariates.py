"""Language covariates from the packaged tables and from a user's volume CSV."""

from __future__ import annotations

import math

import pytest

from xstilts.analysis import statistics as S
from xstilts.languages.table import pretraining_volume

TOL = 1e-6


def test_language_covariates_log_volume_unseen_and_missing() -> None:
    covariates = S.language_covariates(["sw", "de", "ht", "xx"], "cc100")
    gib = pretraining_volume("cc100")
    assert covariates.loc["sw", "log_volume"] == pytest.approx(math.log(gib["sw"]), abs=TOL)
    # not in CC-100: kept as a control, flagged, at the smallest seen log volume (sw's)
    assert covariates.loc["ht", "unseen"] == 1.0 and covariates.loc["sw", "unseen"] == 0.0
    assert covariates.loc["ht", "log_volume"] == covariates.loc["sw", "log_volume"]
    # the alternative codings for the sensitivity table
    assert covariates.loc["ht", "log1p_volume"] == 0.0
    tokens = pretraining_volume("cc100_tokens")
    assert covariates.loc["de", "log_tokens"] == pytest.approx(math.log(tokens["de"]), abs=TOL)
    assert math.isnan(covariates.loc["xx", "log_volume"])
    assert math.isnan(covariates.loc["xx", "unseen"])
    assert any("xx" in note for note in covariates.attrs["notes"])
    assert covariates.attrs["volume_unit"] == "GiB"


def test_language_covariates_from_a_user_volume_csv(tmp_path) -> None:
    table = tmp_path / "volumes.csv"
    table.write_text("language,volume\nde,9\nswa,0\n", encoding="utf-8")  # 639-3 code accepted
    covariates = S.language_covariates(["de", "sw"], table)
    assert covariates.loc["de", "log_volume"] == pytest.approx(math.log(9.0), abs=TOL)
    assert covariates.loc["sw", "unseen"] == 1.0 and covariates.loc["de", "unseen"] == 0.0
    assert covariates.attrs["volume_unit"] == "volume units"
