"""Run ``xstilts run CONFIG --quiet`` and SIGKILL this very process at a chosen kill point.

    python kill_at.py CONFIG OUT trainer GLOB STEP   # once OUT/GLOB (a trainer.json) is at STEP
    python kill_at.py CONFIG OUT stored RUNS         # once the store holds RUNS runs and is closed

The kill point is checked where the state it reads changes: after every atomic replace (the way a
checkpoint folder lands, ``xstilts.files``) for a trainer step, after the store is closed for
stored runs. No second process polls the output folder, so the kill lands at the same point on
an idle or a loaded machine. Exit status: -SIGKILL when killed, the study's own otherwise.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xstilts.cli import main
from xstilts.experiments.store import ResultStore


def kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def trainer_step_reached(out: Path, pattern: str, at_least: int) -> bool:
    for state in out.glob(pattern):
        try:
            if json.loads(state.read_text(encoding="utf-8"))["step"] >= at_least:
                return True
        except (OSError, ValueError, KeyError):  # being replaced, or not written yet
            continue
    return False


def arm_trainer_step(out: Path, pattern: str, at_least: int) -> None:
    replace: Callable[..., Any] = os.replace

    def replace_then_check(*args: Any, **kwargs: Any) -> Any:
        result = replace(*args, **kwargs)
        if trainer_step_reached(out, pattern, at_least):
            kill()
        return result

    os.replace = replace_then_check


def arm_stored_runs(at_least: int) -> None:
    add_run, close = ResultStore.add_run, ResultStore.close
    stored = [0]

    def add_run_and_count(self: ResultStore, *args: Any, **kwargs: Any) -> int:
        written = add_run(self, *args, **kwargs)
        stored[0] = len(self.run_ids())
        return written

    def close_then_check(self: ResultStore) -> None:
        close(self)
        if stored[0] >= at_least:
            kill()

    ResultStore.add_run = add_run_and_count  # type: ignore[method-assign]
    ResultStore.close = close_then_check  # type: ignore[method-assign]


if __name__ == "__main__":
    config, out, kind, *values = sys.argv[1:]
    if kind == "trainer":
        arm_trainer_step(Path(out), values[0], int(values[1]))
    elif kind == "stored":
        arm_stored_runs(int(values[0]))
    else:
        raise SystemExit(f"kill_at.py: unknown kill point {kind!r} (trainer or stored)")
    sys.exit(main(["run", config, "--quiet"]))
