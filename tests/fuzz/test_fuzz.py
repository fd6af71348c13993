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
