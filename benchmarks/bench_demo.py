"""The demo end to end: what ``make demo`` costs a user, in minutes and peak memory.

Two ways, and ``results.md`` says which one a number came from:

- **read** (``--demo-from DIR``, what ``make bench`` does): the timing of a demo that already ran
  into ``DIR`` (``make demo`` writes ``xstilts-demo/``), so the suite does not spend another
  ~8 minutes re-running it. Wall time = from the study's first line in ``DIR/xstilts.log`` to the
  last file the report wrote (``report/``), i.e. everything but starting Python and importing
  xstilts (~3 s); peak memory = the largest "peak memory" the log's runs report (the study
  process's ``ru_maxrss``; the report written after the last run is not in it). The demo's code
  digest (its runs' ``provenance``) is compared with the bench's own: "same code" or not.
  A GNU ``time -v`` output (``--demo-time FILE``) replaces both by the exact wall time and
  maximum resident set of the whole ``make demo`` process.
- **run** (``--demo-variants``): each variant runs ``xstilts demo --quiet`` in a fresh Python
  process (imports, model load, every phase, report) into a temporary folder; the time is
  wall-clock from start to exit and the memory is the child's peak resident set
  (``os.wait4``'s ``ru_maxrss``: that process alone, as ``time -v`` reports it). Variants:

- ``shipped``: the demo as ``make demo`` runs it (``demo.yaml``; word embeddings frozen);
- ``trainable``: the same study with ``encoder.freeze_embeddings: false`` (every parameter
  trained; the word embeddings through sparse row updates, ``train.sparse_embedding_updates``).
"""

from __future__ import annotations

import datetime
import json
import os
import re
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


_LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d+ \w+ (.*)$")
_STUDY_START = re.compile(r"^study '([^']*)': encoder ")
_STUDY_END = re.compile(
    r"^study '([^']*)': (\d+) runs? done, (\d+) already stored, .* in ([\d.]+) s$"
)
_PEAK = re.compile(r"peak memory (\d+) MiB")


def _last_study(log_path: Path) -> dict[str, Any]:
    """The last finished study of a run folder's log that ran something: start time, seconds,
    runs, peak memory, and when the next study of the log began (``next_start``).

    A later study that ran nothing (``0 runs done``: the demo invoked again on a finished folder,
    e.g. by the slow floor test) is a no-op resume, not a measurement; picking it said "N runs
    were already stored: not end to end" about a demo that had run end to end."""
    entries = []
    for line in log_path.read_text(encoding="utf-8").splitlines():
        if match := _LOG_LINE.match(line):
            stamp = datetime.datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S")
            entries.append((stamp.timestamp(), match[2]))
    ends = [(i, m) for i, (_, text) in enumerate(entries) if (m := _STUDY_END.match(text))]
    if not ends:
        raise ValueError(f"{log_path}: no finished study (no 'study ...: N runs done' line)")
    end, finished = ([(i, m) for i, m in ends if int(m[2]) > 0] or ends)[-1]
    starts = [i for i in range(end) if _STUDY_START.match(entries[i][1])]
    start = starts[-1] if starts else 0
    later = [
        entries[i][0] for i in range(end + 1, len(entries)) if _STUDY_START.match(entries[i][1])
    ]
    peaks = [int(m[1]) for _, text in entries[start:end] if (m := _PEAK.search(text))]
    return {
        "study": finished[1],
        "runs_done": int(finished[2]),
        "runs_already_stored": int(finished[3]),
        "study_seconds": float(finished[4]),
        "started": entries[start][0],
        "log_end": entries[end][0],
        "next_start": min(later, default=float("inf")),
        "peak_rss_mib": max(peaks, default=float("nan")),
    }


def _gnu_time(path: Path) -> dict[str, float]:
    """Wall seconds and maximum RSS (MiB) from GNU ``time -v`` output."""
    text = path.read_text(encoding="utf-8")
    wall = re.search(r"Elapsed \(wall clock\) time \([^)]*\): ([\d:.]+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if not wall or not rss:
        raise ValueError(f"{path}: not GNU time -v output (no wall clock / maximum RSS line)")
    seconds = 0.0
    for part in wall[1].split(":"):
        seconds = seconds * 60 + float(part)
    return {"seconds": seconds, "peak_rss_mib": int(rss[1]) / 1024}


def read_folder(folder: Path, time_file: Path | None = None) -> dict[str, Any]:
    """The timing of a demo that already ran into ``folder`` (see the module docstring)."""
    from xstilts.experiments.provenance import code_version

    study = _last_study(folder / "xstilts.log")
    report = [p.stat().st_mtime for p in (folder / "report").rglob("*") if p.is_file()]
    next_start = study.pop("next_start")
    report = [stamp for stamp in report if stamp < next_start]  # not a later resume's files
    end = max([study["log_end"], *report])
    digests = set()
    for config in (folder / "runs").glob("*/config.json"):
        versions = json.loads(config.read_text(encoding="utf-8"))["provenance"]["versions"]
        digests.add(versions.get("xstilts_code", "?"))
    result: dict[str, Any] = {
        **study,
        "source": f"read from {folder} (log and report timestamps)",
        "seconds": end - study["started"],
        "report_written": bool(report),
        "demo_code": sorted(digests),
        "same_code_as_bench": digests == {code_version()},
        "bench_code": code_version(),
    }
    if time_file is not None:
        result.update(_gnu_time(time_file))
        result["source"] = f"GNU time -v of the demo process ({time_file}); runs from {folder}"
    result["minutes"] = result["seconds"] / 60
    return result


def read(folder: Path, time_file: Path | None, log: Any) -> tuple[list[Measurement], dict]:
    """The row of a demo already run into ``folder`` (``make demo``), not re-run."""
    log(f"demo: reading {folder}")
    try:
        result = read_folder(folder, time_file)
    except (OSError, ValueError, KeyError) as error:
        reason = f"not measured: {error} (run `make demo` first, or pass --demo-from)"
        row = Measurement(section="demo", name="`xstilts demo` end to end (minutes)",
                          xstilts=None, reference=None, reference_name=reason, unit="min",
                          ratio=None, target="report")  # fmt: skip
        return [row], {"read": {"error": str(error)}}
    code = (
        "same code as this bench"
        if result["same_code_as_bench"]
        else (
            f"**other code** than this bench: demo {','.join(result['demo_code'])}, "
            f"bench {result['bench_code']}"
        )
    )
    stored = result["runs_already_stored"]
    partial = f"; {stored} runs were already stored: not end to end" if stored else ""
    row = Measurement(
        section="demo",
        name=f"`xstilts demo` end to end (as shipped; minutes; peak RSS "
        f"{result['peak_rss_mib']:,.0f} MiB; {result['source']}; {code}{partial})",
        xstilts=result["minutes"], reference=None, reference_name="(absolute)", unit="min",
        ratio=result["minutes"], target="report", details=result, lower_is_better=True,
    )  # fmt: skip
    return [row], {"read": result}


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
