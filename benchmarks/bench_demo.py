"""The demo end to end: what ``make demo`` costs a user, in minutes and peak memory.

Each variant runs ``xstilts demo --quiet`` in a fresh Python process (imports, model load, every
phase, report) into a temporary folder; the time is wall-clock from start to exit and the memory
is the child's peak resident set (``os.wait4``'s ``ru_maxrss``: that process alone, as ``time -v``
reports it). Variants:

- ``shipped``: the demo as ``make demo`` runs it (``demo.yaml``; word embeddings frozen);
- ``trainable``: the same study with ``encoder.freeze_embeddings: false`` (every parameter
  trained; the word embeddings through sparse row updates, ``train.sparse_embedding_updates``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import Measurement

# The trainable variant: the demo command itself, with one key of the study changed.
_TRAINABLE = """
import sys
from pathlib import Path
import xstilts.cli as cli
from xstilts.config import load_study
study = load_study(cli.DEMO_DIR / "demo.yaml")
study.data_dir = str(cli.DEMO_DIR / "data")
study.output_dir = str(Path(sys.argv[1]).resolve())
study.encoder.freeze_embeddings = False
sys.exit(cli._run_and_report(study, True, report=True))
"""


def _run(variant: str, out: Path) -> dict[str, Any]:
    if variant == "shipped":
        command = [sys.executable, "-m", "xstilts.cli", "demo", "--out", str(out), "--quiet"]
    else:
        command = [sys.executable, "-c", _TRAINABLE, str(out)]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"demo ({variant}) exited with {code}:\n{output[-2000:]}")
    return {
        "seconds": seconds,
        "minutes": seconds / 60,
        "peak_rss_mib": usage.ru_maxrss / 1024,  # KiB on Linux
        "output_tail": output[-600:],
    }


def run(variants: list[str], log: Any) -> tuple[list[Measurement], dict[str, Any]]:
    """One row per variant: minutes (ratio column: minutes; no reference) and peak memory."""
    raw: dict[str, Any] = {"load_average_start": os.getloadavg()}
    rows: list[Measurement] = []
    for variant in variants:
        log(f"demo: {variant}")
        with tempfile.TemporaryDirectory(prefix=f"xstilts-bench-demo-{variant}-") as out:
            result = _run(variant, Path(out) / "demo")
        raw[variant] = result
        label = "as shipped, embeddings frozen" if variant == "shipped" else "embeddings trained"
        rows.append(
            Measurement(
                section="demo",
                name=f"`xstilts demo` end to end ({label}; minutes; peak RSS "
                f"{result['peak_rss_mib']:,.0f} MiB)",
                xstilts=result["minutes"],
                reference=None,
                reference_name="(absolute)",
                unit="min",
                ratio=result["minutes"],
                target="report",
                details=result,
                lower_is_better=True,
            )
        )
    raw["load_average_end"] = os.getloadavg()
    return rows, raw
