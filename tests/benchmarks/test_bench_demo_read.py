"""``make bench`` reads the demo's minutes and peak memory from a finished demo folder (fast: in
the default run, no training). Checks the numbers come from the last finished study of the log
and from the report's timestamps, and that a folder without a finished study gives a row that
says so instead of a number."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

LOG = """\
2026-12-04 10:00:00,100 INFO study 'demo': encoder e5; intermediate none; targets xnli; seeds 0
2026-12-04 10:01:00,000 INFO run aa (none -> xnli, seed 0): 28 scores in 60.0 s (target \
training 50.0 s, evaluation 9.0 s, peak memory 1700 MiB)
2026-12-04 10:02:00,000 INFO study 'demo': 1 run done, 0 already stored, 28 rows in 119.9 s
2026-12-04 11:00:00,000 INFO study 'demo': encoder e5; intermediate none, mnli; seeds 0
2026-12-04 11:02:00,000 INFO run bb (none -> xnli, seed 0): 28 scores in 120.0 s (target \
training 99.0 s, evaluation 20.0 s, peak memory 1800 MiB)
2026-12-04 11:05:00,000 INFO run cc (mnli -> xnli, seed 0): 28 scores in 180.0 s (target \
training 99.0 s, evaluation 20.0 s, peak memory 1900 MiB)
2026-12-04 11:06:00,000 INFO study 'demo': 2 runs done, 0 already stored, 56 rows in 360.0 s
"""

TIME_V = """\
\tCommand being timed: "make demo"
\tElapsed (wall clock) time (h:mm:ss or m:ss): 7:31.50
\tMaximum resident set size (kbytes): 2048000
"""


@pytest.fixture()
def bench_demo(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_demo

    return bench_demo


def _demo_folder(tmp_path: Path, code: str) -> Path:
    folder = tmp_path / "xstilts-demo"
    (folder / "report").mkdir(parents=True)
    (folder / "xstilts.log").write_text(LOG, encoding="utf-8")
    end = _stamp("2026-12-04 11:06:30")
    for name in ("report.html", "report.md"):  # several report files, as the demo writes
        report = folder / "report" / name
        report.write_text("<html/>", encoding="utf-8")
        os.utime(report, (end - 1, end - 1) if name == "report.md" else (end, end))
    run = folder / "runs" / "bb"
    run.mkdir(parents=True)
    provenance = {"provenance": {"versions": {"xstilts_code": code}}}
    (run / "config.json").write_text(json.dumps(provenance), encoding="utf-8")
    return folder


def _stamp(text: str) -> float:
    import datetime

    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").timestamp()


def test_reads_the_last_study_and_the_report_time(bench_demo: Any, tmp_path: Path) -> None:
    from xstilts.experiments.provenance import code_version

    folder = _demo_folder(tmp_path, code_version())
    result = bench_demo.read_folder(folder)
    assert result["seconds"] == pytest.approx(6 * 60 + 30)  # 11:00:00 to the report at 11:06:30
    assert result["peak_rss_mib"] == 1900  # the second study's runs only
    assert result["runs_done"] == 2 and result["runs_already_stored"] == 0
    assert result["same_code_as_bench"] is True
    rows, _ = bench_demo.read(folder, None, lambda message: None)
    assert rows[0].ratio == pytest.approx(6.5) and "same code as this bench" in rows[0].name


def test_a_later_resume_that_ran_nothing_is_not_the_measurement(
    bench_demo: Any, tmp_path: Path
) -> None:
    folder = _demo_folder(tmp_path, "0123456789abcdef")
    resume = (
        "2026-12-04 11:10:00,000 INFO study 'demo': encoder e5; intermediate none, mnli; seeds 0\n"
        "2026-12-04 11:10:01,000 INFO study 'demo': 0 runs done, 2 already stored, "
        "0 rows in 0.0 s\n"
    )
    (folder / "xstilts.log").write_text(LOG + resume, encoding="utf-8")
    rewritten = _stamp("2026-12-04 11:10:30")  # the resume wrote the report again
    for report in (folder / "report").iterdir():
        os.utime(report, (rewritten, rewritten))
    result = bench_demo.read_folder(folder)
    assert result["runs_done"] == 2 and result["runs_already_stored"] == 0
    assert result["seconds"] == pytest.approx(6 * 60)  # 11:00:00 to its own last log line
    rows, _ = bench_demo.read(folder, None, lambda message: None)
    assert "not end to end" not in rows[0].name


def test_gnu_time_output_replaces_wall_time_and_memory(bench_demo: Any, tmp_path: Path) -> None:
    folder = _demo_folder(tmp_path, "0123456789abcdef")
    (tmp_path / "time.txt").write_text(TIME_V, encoding="utf-8")
    result = bench_demo.read_folder(folder, tmp_path / "time.txt")
    assert result["seconds"] == pytest.approx(7 * 60 + 31.5)
    assert result["peak_rss_mib"] == pytest.approx(2000.0)
    assert result["same_code_as_bench"] is False


def test_a_folder_without_a_finished_study_gives_no_number(bench_demo: Any, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "xstilts.log").write_text(LOG.splitlines()[0] + "\n", encoding="utf-8")
    rows, _ = bench_demo.read(folder, None, lambda message: None)
    assert rows[0].xstilts is None and rows[0].ratio is None
    assert "no finished study" in rows[0].reference_name
    rows, _ = bench_demo.read(tmp_path / "missing", None, lambda message: None)
    assert rows[0].xstilts is None and "run `make demo` first" in rows[0].reference_name
