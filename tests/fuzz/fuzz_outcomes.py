"""What one fuzz case ended as, judged without trusting the code under test.

Five outcomes (issue #11): a *clean error* is an :class:`XstiltsError` (or argparse's exit 2)
whose message is one line of bounded length; *accepted valid* returned normally from an input
that may be valid; a *traceback* is any other exception (or an error message that is several lines
or echoes a huge value); a *silent drop* returned fewer records than an independent count of the
input finds, with no logged or warned skip making up the difference; *malformed accepted* returned
normally from an input a mutation made invalid for certain.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from xstilts.errors import XstiltsError

OUTCOMES = ("clean error", "accepted valid", "traceback", "silent drop", "malformed accepted")
BAD = ("traceback", "silent drop", "malformed accepted")
MAX_MESSAGE = 600  # one line naming file, line and expectation; never an echoed megabyte

_SKIPPED = re.compile(r"skipped (\d+) ")


@dataclass
class Case:
    """One generated input: where it goes, how it was made, and what an oracle knows of it."""

    target: str
    mutation: str
    must_reject: bool = False
    expected_records: int | None = None  # independent count; None where it cannot be known


@dataclass
class Tally:
    """Counts per outcome (and per target), with the first few bad cases for the report."""

    counts: Counter[str] = field(default_factory=Counter)
    per_target: dict[str, Counter[str]] = field(default_factory=dict)
    bad: list[str] = field(default_factory=list)

    def add(self, case: Case, outcome: str, detail: str) -> None:
        self.counts[outcome] += 1
        self.per_target.setdefault(case.target, Counter())[outcome] += 1
        if outcome in BAD and len(self.bad) < 40:
            self.bad.append(f"{outcome}: {case.target} [{case.mutation}] {detail[:300]}")

    def total(self) -> int:
        return sum(self.counts.values())


class _SkipCounter(logging.Handler):
    """Adds up the ``skipped N ...`` lines the readers log for format-sanctioned skips."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.skipped = 0

    def emit(self, record: logging.LogRecord) -> None:
        match = _SKIPPED.search(record.getMessage())
        if match:
            self.skipped += int(match.group(1))


@contextlib.contextmanager
def announced_skips() -> Iterator[_SkipCounter]:
    """Count skips announced by log line (``skipped N``) or by a warning naming one record."""
    counter = _SkipCounter()
    logger = logging.getLogger("xstilts")
    previous = logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.INFO)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield counter
        counter.skipped += sum(
            1 for w in caught if "skipped" in str(w.message) or "dropped" in str(w.message)
        )
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)


def judge(case: Case, call: Callable[[], Any], size: Callable[[Any], int] = len) -> tuple[str, str]:
    """Run ``call`` and return ``(outcome, detail)``; never raises for the code under test."""
    with announced_skips() as skips:
        try:
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()) as stderr,
            ):
                result = call()
        except XstiltsError as error:
            return _judge_message(str(error))
        except SystemExit as exit_:
            return _judge_exit(exit_.code, stderr.getvalue())
        except RecursionError as error:
            return "traceback", f"RecursionError: {str(error)[:200]}"
        except Exception as error:
            return "traceback", f"{type(error).__name__}: {str(error)[:200]}"
    if isinstance(result, int) and not isinstance(result, bool) and case.target.startswith("cli"):
        return _judge_exit(result, stderr.getvalue(), case.must_reject)
    if case.must_reject:
        return "malformed accepted", "returned normally"
    if case.expected_records is not None:
        found = size(result) + skips.skipped
        if found < case.expected_records:
            return "silent drop", f"{found} records (with skips) of {case.expected_records}"
    return "accepted valid", ""


def _judge_message(message: str) -> tuple[str, str]:
    if "\n" in message.strip() or len(message) > MAX_MESSAGE:
        return "traceback", f"unclean message ({len(message)} chars): {message[:200]!r}"
    return "clean error", message[:200]


def _judge_exit(code: object, stderr: str, must_reject: bool = False) -> tuple[str, str]:
    if code in (0, None):
        return ("malformed accepted", "exit 0") if must_reject else ("accepted valid", "")
    if code == 2:
        lines = [line for line in stderr.splitlines() if line.startswith("xstilts: error")]
        if "Traceback" in stderr or any(len(line) > MAX_MESSAGE for line in lines):
            return "traceback", stderr[-300:]
        return "clean error", stderr.strip()[-200:]
    return "traceback", f"exit status {code!r}: {stderr[-300:]}"
