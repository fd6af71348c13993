"""``make fuzz``: every fuzz target with many generated cases; prints counts per outcome.

    python tests/fuzz/run.py --examples 100    # ~5,700 cases; exit status 1 on any bad outcome

Outcomes (see ``fuzz_outcomes``): clean error, accepted valid, traceback, silent drop, malformed
accepted. The target is zero of the last three.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1] / "src")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the CLI cases must never reach the network

from fuzz_drivers import run_all  # noqa: E402
from fuzz_outcomes import BAD, OUTCOMES  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100, help="cases per reader target")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    tally = run_all(args.examples)
    seconds = time.perf_counter() - start
    print(f"xstilts fuzz: {tally.total()} generated cases in {seconds:.0f} s")
    for outcome in OUTCOMES:
        print(f"  {outcome:20s} {tally.counts[outcome]:6d}")
    print("per target (clean error / accepted valid / bad):")
    for target, counts in sorted(tally.per_target.items()):
        bad = sum(counts[o] for o in BAD)
        print(f"  {target:28s} {counts['clean error']:5d} {counts['accepted valid']:5d} {bad:4d}")
    for line in tally.bad:
        print(f"BAD {line}")
    return 1 if any(tally.counts[o] for o in BAD) else 0


if __name__ == "__main__":
    sys.exit(main())
