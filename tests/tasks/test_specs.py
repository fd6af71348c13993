"""Every task spec is consistent with itself and with what reads it (scorer, Hub, benchmarks)."""

from __future__ import annotations

import pytest

from xstilts.evaluate.score import SCORERS
from xstilts.tasks.benchmarks import TASK_LANGUAGES
from xstilts.tasks.registry import TASKS
from xstilts.tasks.spec import FAMILIES

BENCHMARK_TASKS = sorted({task for table in TASK_LANGUAGES.values() for task in table})
BEYOND_THE_BENCHMARKS = {"tatoeba": {"am"}}  # LASER's tatoeba.amh-eng (languages/SOURCES.md)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_spec_facts_are_complete_and_agree(name: str) -> None:
    spec = TASKS[name]
    assert spec.name == name and spec.family in FAMILIES
    assert spec.citation and spec.source and spec.description
    assert spec.scorer == "" or spec.scorer in SCORERS
    assert spec.prediction_suffix in ("tsv", "json", "jsonl")
    if spec.hub is not None:
        assert spec.hub.task == name  # the folder fetch writes is the one the loader reads
        assert set(spec.hub.languages) <= set(spec.languages)


@pytest.mark.parametrize("name", BENCHMARK_TASKS)
def test_every_benchmark_task_is_scorable_in_all_its_languages(name: str) -> None:
    spec = TASKS[name]
    assert spec.scorer, f"{name} is an XTREME task: it needs an official scorer"
    union = {lang for table in TASK_LANGUAGES.values() for lang in table.get(name, ())}
    # a task may carry languages its original release holds beyond the benchmark's lists
    assert set(spec.languages) - union == BEYOND_THE_BENCHMARKS.get(name, set())
    assert union <= set(spec.languages)
