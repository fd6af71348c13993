"""XTREME and XTREME-R task lists, per-task averages, group scores and the overall score.

Source: ``google-research/xtreme:evaluate.py`` (``XTREME_TASK2LANGS``, ``XTREME_R_TASK2LANGS``,
``XTREME_GROUP2TASK``, ``XTREME_R_GROUP2TASK`` and the averaging in ``evaluate``). The rules:

- a task's score for each metric is the *unweighted* mean over that version's language list;
- a task's headline (``avg_metric``) is (mean F1 + mean EM) / 2 for QA, else mean F1, else mean
  accuracy, else mean ``map@20``;
- a group score is the mean headline of its tasks, given only when all of them are present;
- the overall score (``all_task``) is the mean headline over every task of the version, given only
  when every task is present.

One deliberate difference: the official XTREME-R list gives LAReQA no languages, so a ``lareqa``
folder crashes the script (``KeyError 'avg_metric'``) and without one no XTREME-R overall score is
ever printed. We give LAReQA the 11 XQuAD-R languages (the LAReQA release, as loaded by
``third_party/evaluate_retrieval.py``). The official LAReQA mAP@20 pools all questions of all
languages; XQuAD-R has the same 1,190 questions in every language, so the mean over per-language
files equals that pooled mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from xstilts.errors import XstiltsError
from xstilts.tasks.benchmarks import (  # noqa: F401  (re-exported: the scoring API)
    QA_TASKS,
    TASK_GROUPS,
    TASK_LANGUAGES,
    VERSIONS,
    XTREME,
    XTREME_R,
)

# Which averaged metric becomes a non-QA task's headline, in evaluate.py's order of preference.
_HEADLINE_PREFERENCE = ("avg_f1", "avg_accuracy", "avg_map@20")


def check_version(version: str) -> None:
    """Raise a one-line error for anything but ``xtreme`` or ``xtreme-r``."""
    if version not in TASK_LANGUAGES:
        raise XstiltsError(f"unknown XTREME version {version!r}; expected one of {VERSIONS}")


def task_languages(version: str) -> dict[str, tuple[str, ...]]:
    """The task → language-list table of one version (a copy, safe to modify)."""
    check_version(version)
    return dict(TASK_LANGUAGES[version])


def task_groups(version: str) -> dict[str, tuple[str, ...]]:
    """The group → tasks table of one version, as in ``evaluate.py``."""
    check_version(version)
    return dict(TASK_GROUPS[version])


def task_score(
    task: str, per_language: Mapping[str, Mapping[str, float]], version: str
) -> dict[str, object]:
    """One task's entry of the official report: per-metric per-language scores and averages.

    ``per_language`` maps each language to its metrics (``{"f1": .., "exact_match": ..}``). Every
    language of the version's list must be present (a missing one is the official "file is not
    available" error); extra languages are ignored, as the official loop never reads them. The
    result has ``{metric: {language: score}}``, ``avg_<metric>`` for every metric and
    ``avg_metric``, the task's headline.
    """
    languages = _languages_of(task, version)
    missing = [language for language in languages if language not in per_language]
    if missing:
        raise XstiltsError(f"task {task} ({version}) has no score for language(s) {missing}")
    metrics = list(per_language[languages[0]])
    for language in languages:
        if set(per_language[language]) != set(metrics):
            raise XstiltsError(
                f"task {task}: language {language} has metrics {sorted(per_language[language])}, "
                f"{languages[0]} has {sorted(metrics)}"
            )
    return task_entry(task, per_language, languages)


def task_entry(
    task: str, per_language: Mapping[str, Mapping[str, float]], languages: Sequence[str]
) -> dict[str, object]:
    """The report entry over ``languages`` (the metrics are those of the first): ``{metric:
    {language: score}}``, ``avg_<metric>`` (the plain mean over the languages) and ``avg_metric``.
    Unchecked: :func:`task_score` checks the languages and metrics first; ``xstilts score`` also
    uses it for a task with missing languages, whose entry it marks as partial."""
    metrics = list(per_language[languages[0]])
    result: dict[str, object] = {
        metric: {language: float(per_language[language][metric]) for language in languages}
        for metric in metrics
    }
    averages = {
        f"avg_{metric}": sum(per_language[lang][metric] for lang in languages) / len(languages)
        for metric in metrics
    }
    result.update(averages)
    result["avg_metric"] = headline(task, averages)
    return result


def _languages_of(task: str, version: str) -> tuple[str, ...]:
    check_version(version)
    table = TASK_LANGUAGES[version]
    if task not in table:
        raise XstiltsError(f"task {task!r} is not part of {version}; its tasks are {list(table)}")
    return table[task]


def headline(task: str, averages: Mapping[str, float]) -> float:
    """A task's single number: (F1 + EM) / 2 for QA, else F1, accuracy or mAP@20 (evaluate.py)."""
    if task in QA_TASKS:
        return (averages["avg_exact_match"] + averages["avg_f1"]) / 2
    for key in _HEADLINE_PREFERENCE:
        if key in averages:
            return float(averages[key])
    raise XstiltsError(f"task {task} has none of the metrics {_HEADLINE_PREFERENCE}")


def summarize(task_headlines: Mapping[str, float], version: str) -> dict[str, float]:
    """Group scores and the overall ``all_task`` score from task headlines.

    A group appears only when all its tasks are present; ``all_task`` only when every task of the
    version is (``evaluate.py`` display logic). Tasks outside the version are an error, so a
    misspelt task cannot silently drop out of the overall score.
    """
    check_version(version)
    tasks = TASK_LANGUAGES[version]
    unknown = sorted(set(task_headlines) - set(tasks))
    if unknown:
        raise XstiltsError(f"tasks {unknown} are not part of {version}")
    summary: dict[str, float] = {}
    if set(task_headlines) == set(tasks):
        summary["all_task"] = sum(task_headlines[t] for t in tasks) / len(tasks)
    for group, members in TASK_GROUPS[version].items():
        if all(task in task_headlines for task in members):
            summary[group] = sum(task_headlines[t] for t in members) / len(members)
    return summary
