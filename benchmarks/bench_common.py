"""Shared pieces of the benchmark suite: measurements, alternated timing, peak memory.

Every ratio in the suite is *xstilts speed / reference speed* measured in the same process on the
same model, data and batch size: for a throughput it is ``xstilts / reference``, for a time it is
``reference seconds / xstilts seconds``, so a ratio above 1 always means xstilts is faster. The two
sides are run alternately (ABBA order over the repeats, which cancels a linear drift of the
machine's speed, e.g. another process starting) and the median of the repeats is reported.

Models live in ``bench_models``, the demo-derived data in ``bench_data``.
"""

from __future__ import annotations

import dataclasses
import gc
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass
class Measurement:
    """One row of ``results.md``: a ratio (or a fraction) with both raw values and its target."""

    section: str
    name: str
    xstilts: float | None
    reference: float | None
    reference_name: str
    unit: str
    ratio: float | None
    target: str = ""
    target_value: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # For rows whose "ratio" column holds a cost (seconds, a growth factor): met when ≤ target.
    lower_is_better: bool = False

    @property
    def met(self) -> bool | None:
        if self.target_value is None or self.ratio is None:
            return None
        if self.lower_is_better:
            return self.ratio <= self.target_value
        return self.ratio >= self.target_value

    def to_json(self) -> dict[str, Any]:
        row = dataclasses.asdict(self)
        row["met"] = self.met
        return row


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def alternate(
    sides: dict[str, Callable[[], dict[str, Any]]], repeats: int
) -> dict[str, list[dict[str, Any]]]:
    """Run each side ``repeats`` times, interleaved in ABBA order; each call returns a dict with
    at least ``seconds`` (the side times its own critical section, so set-up can be excluded)."""
    names = list(sides)
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for repeat in range(repeats):
        order = names if repeat % 2 == 0 else names[::-1]
        for name in order:
            gc.collect()
            out[name].append(sides[name]())
    return out


def median_of(runs: Sequence[dict[str, Any]], key: str) -> float:
    return median([float(run[key]) for run in runs])


NOISY_SPREAD = 1.25


def noise(xstilts: Sequence[dict[str, Any]], reference: Sequence[dict[str, Any]]) -> dict:
    """How much to trust a ratio: the slowest/fastest spread of each side's repeats, and the
    ratio of the best repeats (noise from other processes only ever adds time)."""

    def seconds(runs: Sequence[dict[str, Any]]) -> list[float]:
        return [float(run["seconds"]) for run in runs]

    x, r = seconds(xstilts), seconds(reference)
    return {
        "spread": max(max(x) / min(x), max(r) / min(r)),
        "ratio_of_best": min(r) / min(x),
        # each ABBA pair's own ratio: the two runs of a pair shared the machine's state
        "pair_ratios": [b / a for a, b in zip(x, r, strict=False)],
    }


# ---------------------------------------------------------------------------------------------
# Memory: peak resident set size of a code block
# ---------------------------------------------------------------------------------------------


def _read_status_kib(field_name: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_high_water_mark() -> bool:
    """Linux: writing 5 to ``clear_refs`` resets VmHWM to the current RSS (proc(5))."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


class PeakMemory:
    """Peak RSS above the starting RSS while the block runs (MiB), via VmHWM where the kernel
    allows resetting it, else by sampling RSS every 5 ms in a thread."""

    def __init__(self) -> None:
        self.peak_mib = 0.0
        self.peak_rss_mib = 0.0
        self._sampler: threading.Thread | None = None
        self._stop = threading.Event()
        self._max_rss = 0

    @staticmethod
    def _rss_bytes() -> int:
        kib = _read_status_kib("VmRSS")
        if kib is not None:
            return kib * 1024
        import psutil

        return int(psutil.Process().memory_info().rss)

    def __enter__(self) -> PeakMemory:
        gc.collect()
        self._start = self._rss_bytes()
        self._use_hwm = _reset_high_water_mark() and _read_status_kib("VmHWM") is not None
        if not self._use_hwm:
            self._max_rss = self._start

            def sample() -> None:
                while not self._stop.wait(0.005):
                    self._max_rss = max(self._max_rss, self._rss_bytes())

            self._sampler = threading.Thread(target=sample, daemon=True)
            self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._use_hwm:
            peak = (_read_status_kib("VmHWM") or 0) * 1024
        else:
            self._stop.set()
            assert self._sampler is not None
            self._sampler.join()
            peak = max(self._max_rss, self._rss_bytes())
        self.peak_mib = max(0, peak - self._start) / 2**20
        self.peak_rss_mib = peak / 2**20


def seconds_since(start: float) -> float:
    return time.perf_counter() - start
