"""The fuzz suite (issue #11): hostile inputs to every reader, the study file, every scorer and
every CLI command end in a clean one-line error or a valid result — never a traceback, a silently
dropped record or an accepted malformed input. ``make fuzz`` runs the large version."""

from __future__ import annotations

import pytest
from fuzz_drivers import run_all
from fuzz_outcomes import BAD


def _assert_clean(examples: int, fast: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tally = run_all(examples, fast=fast)
    assert tally.counts["clean error"] > 0 and tally.counts["accepted valid"] > 0
    assert not any(tally.counts[outcome] for outcome in BAD), "\n".join(tally.bad)


def test_fuzz_fast_subset(monkeypatch: pytest.MonkeyPatch) -> None:
    _assert_clean(2, True, monkeypatch)


@pytest.mark.fuzz
def test_fuzz_full(monkeypatch: pytest.MonkeyPatch) -> None:
    _assert_clean(60, False, monkeypatch)


def test_the_judge_can_see_every_bad_outcome() -> None:
    """The oracle itself: a drop, an accepted malformed input, a traceback and an echo are seen."""
    from fuzz_outcomes import Case, judge

    from xstilts.errors import DataError

    def fail(error: Exception) -> None:
        raise error

    assert judge(Case("r", "m", expected_records=3), lambda: [1, 2])[0] == "silent drop"
    assert judge(Case("r", "m", expected_records=2), lambda: [1, 2])[0] == "accepted valid"
    assert judge(Case("r", "m", must_reject=True), lambda: [1])[0] == "malformed accepted"
    assert judge(Case("r", "m"), lambda: fail(KeyError("x")))[0] == "traceback"
    assert judge(Case("r", "m"), lambda: fail(DataError("f", 1, "x" * 5000)))[0] == "traceback"
    assert judge(Case("r", "m"), lambda: fail(DataError("f", 1, "bad")))[0] == "clean error"
    assert judge(Case("cli:x", "m", must_reject=True), lambda: 0)[0] == "malformed accepted"
