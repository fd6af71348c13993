"""Benchmark: the hierarchical item-paired bootstrap at study scale (#13).

    python benchmarks/bench_bootstrap.py [--items 1000] [--resamples 10000]

50 languages × 12 target tasks × 5 configurations (none, a task, two controls, another task),
5 seeds, ``--items`` test items per language (XNLI has 5,010; the default 1,000 is a mid-size
task): 10,000 resamples of every (language, configuration) mean, then every per-language score,
gain over ``none`` and gap to English with its expanded-percentile interval
(``bootstrap_tables.language_tables``). Target: under 10 s on 2 cores.
``--tables`` also times the whole of ``inference._task_tables`` (every record of the report's
tables: zero-shot means over ``none`` and each control, per-language gains and gaps, MDEs).
Not a test: timing depends on the machine and its load, which is printed next to the result.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from xstilts.analysis.statistics import bootstrap, bootstrap_tables, inference

LANGUAGES, TASKS, CONFIGS, SEEDS = 50, 12, 5, 5


def synthetic_task(rng: np.random.Generator, items: int) -> bootstrap.TaskScores:
    """Binary item scores with item difficulty shared by configurations and seeds (paired)."""
    configs = ["none", "mnli", "mnli@shuffled", "mnli@mlm-control", "sst2"]
    languages = ["en"] + [f"l{i:02d}" for i in range(1, LANGUAGES)]
    effects = np.array([0.0, 0.02, 0.0, 0.005, 0.01])[:, None, None]
    scores = {}
    for language in languages:
        difficulty = rng.random(items)[None, None, :]
        level = 0.5 + 0.3 * rng.random() + rng.normal(0, 0.01, (1, SEEDS, 1))
        scores[language] = (difficulty < level + effects) * 100.0
    return bootstrap.TaskScores(configs, list(range(SEEDS)), languages, scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--resamples", type=int, default=bootstrap.RESAMPLES)
    parser.add_argument("--method", default="auto", choices=["auto", "exact", "normal"])
    parser.add_argument("--tables", action="store_true", help="time the report's tables too")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    tasks = [synthetic_task(rng, args.items) for _ in range(TASKS)]
    start, cpu_start = time.perf_counter(), time.process_time()
    methods = set()
    for index, task in enumerate(tasks):
        draws = bootstrap.draw(task, args.resamples, seed=index, method=args.method)
        methods.add(draws.method)
        bootstrap_tables.language_tables(draws, ["none"], task.languages[0])
        if args.tables:
            ids = {"encoder": "e", "target_task": f"t{index}", "metric": "accuracy"}
            inference._task_tables(task, draws, ids, "classification")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(
        f"{args.resamples} resamples x {LANGUAGES} languages x {TASKS} tasks x {CONFIGS} "
        f"configurations, {SEEDS} seeds, {args.items} items/language, item draws "
        f"{'/'.join(sorted(methods))}{' + report tables' if args.tables else ''}: "
        f"{seconds:.2f} s wall, {cpu:.2f} s CPU (target < 10 s); "
        f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
