"""One hypothesis property per kind of input (readers, study YAML, scorers, CLI, the grid's
up-front label check); each judges its case and adds it to a :class:`Tally`, never failing, so a
run yields counts per outcome. ``run_all`` is what ``make fuzz`` and the fast test call."""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fuzz_cli import CLI_CASES, cli_case
from fuzz_mutations import invalidating_bytes, invalidating_json, neutral
from fuzz_outcomes import Case, Tally, judge
from fuzz_readers import READERS, ReaderTarget
from fuzz_study import SCORER_PAIRS, STUDY_CASES, plan_case, score_case, study_case
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_SETTINGS = {
    "deadline": None,
    "database": None,
    "derandomize": False,
    "suppress_health_check": list(HealthCheck),
}


def mutated(draw: st.DrawFn, data: bytes, hostile: Any) -> tuple[str, bytes, bool]:
    """Draw ``(mutation name, bytes, must_reject)``: neutral, bad bytes, bad json or bad label."""
    options = ["neutral", "neutral", "bytes"]
    if data.lstrip()[:1] in (b"{", b"["):
        options.append("json")
    if hostile is not None:
        options += ["label", "label"]
    choice = draw(st.sampled_from(options))
    if choice == "bytes":
        name, out = draw(invalidating_bytes(data))
        return name, out, True
    if choice in ("json", "label"):
        drawn = draw(invalidating_json(data) if choice == "json" else hostile(data))
        if drawn is not None:
            return drawn[0], drawn[1], True
    name, out = draw(neutral(data))
    return name, out, False


def reader_property(target: ReaderTarget, tally: Tally, examples: int) -> Callable[[], None]:
    base = target.fixture.read_bytes()

    @settings(max_examples=examples, **_SETTINGS)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        name, content, must_reject = mutated(data.draw, base, target.hostile)
        case = Case(f"reader:{target.name}", name, must_reject, target.count(content))
        with tempfile.TemporaryDirectory() as folder:
            path = target.prepare(Path(folder), content)
            tally.add(case, *judge(case, lambda: target.call(path), target.size))

    return check


def simple_property(
    name: str, draw_case: Callable[..., Any], tally: Tally, examples: int
) -> Callable[[], None]:
    """A property over a case builder returning ``(Case, call)`` inside a scratch folder."""

    @settings(max_examples=examples, **_SETTINGS)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        folder = Path(tempfile.mkdtemp(prefix=f"xstilts-fuzz-{name}-"))
        try:
            case, call = draw_case(data.draw, folder)
            tally.add(case, *judge(case, call))
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return check


def run_all(examples_per_target: int, fast: bool = False) -> Tally:
    """Every target: ``examples_per_target`` cases per reader, proportionally more for the study
    file and the scorers, fewer for the CLI (each command call costs ~0.2 s)."""
    tally = Tally()
    for target in READERS:
        reader_property(target, tally, examples_per_target)()
    simple_property("study", study_case, tally, examples_per_target * STUDY_CASES)()
    simple_property("score", score_case, tally, examples_per_target * len(SCORER_PAIRS))()
    cli = functools.partial(cli_case, fast=fast)
    simple_property("cli", cli, tally, examples_per_target * CLI_CASES)()
    simple_property("plan", plan_case, tally, max(examples_per_target // 4, 1))()
    return tally
