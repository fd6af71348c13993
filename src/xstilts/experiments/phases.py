"""What each training phase of a study learned, read back from what the runner stored.

A study's table of zero-shot gains is only meaningful if every phase behind it learned: an
intermediate model stuck at chance, or a target classifier that predicts one class, makes every
"gain" an artefact (issue #12: the first demo's MNLI phase stayed at ln 3 loss). So ``xstilts demo``
prints, per phase, the English dev score that model selection kept, the chance level, and for a
classification target the share of each predicted label on the English test set.

Nothing here recomputes a score: the runs are the study's rows in the store, and the numbers are
the ones training wrote —
``intermediate/<combo>-<key>/meta.json`` (``result``: ``best_dev``, ``dev_history``) and
``runs/<run-id>/train.json`` — and the label shares are counted from the prediction file the run
wrote (``runs/<run-id>/predictions/test-en.<suffix>``).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xstilts.config import StudyConfig
from xstilts.experiments.controls import CONTROL_VARIANTS, control_spec
from xstilts.experiments.schema import BASELINE
from xstilts.experiments.task_data import TaskData, describe_tasks, load_examples, task_data
from xstilts.tasks.registry import get_task, parse_task_name


@dataclass(frozen=True)
class PhaseResult:
    """One trained phase: its selected English dev score and (targets) its predicted labels."""

    phase: str  # "intermediate" or "target"
    task: str  # the task trained in this phase (a "+" combination for multi-task phases)
    intermediate_task: str  # for targets, the phase before; for intermediates, the task itself
    seed: int
    metric: str
    dev_score: float  # the English dev score of the step that model selection kept
    dev_history: list[tuple[int, float]]  # (step, English dev score) at every evaluation
    steps: int
    chance: float | None  # 100 / number of classes for classification tasks, else None
    # Share (%) of each label among the English test predictions; empty when not classification.
    prediction_shares: dict[str, float] = field(default_factory=dict)


def phase_metric(task: str) -> tuple[str, float | None]:
    """The metric a phase of ``task`` is selected on, and its chance level (classification).

    A control variant is trained as its spec says: ``mnli@shuffled`` is MNLI (dev keeps its true
    labels, so chance is MNLI's), ``mnli@mlm-control`` is masked-LM on MNLI's inputs, selected on
    masked-token accuracy, which has no chance level worth printing.
    """
    base, variant = parse_task_name(task)
    spec = get_task(base)
    if variant in CONTROL_VARIANTS:
        spec = control_spec(spec, variant)
    if spec.family == "masked_lm":
        return f"masked-token {spec.metric}", None
    chance = 100.0 / len(spec.labels) if spec.family == "classification" and spec.labels else None
    return spec.metric, chance


def _from_result(
    phase: str, task: str, intermediate: str, seed: int, result: dict[str, Any]
) -> PhaseResult:
    metric, chance = phase_metric(task.split("+")[0])
    history = [(int(step), float(score)) for step, score in result.get("dev_history", [])]
    return PhaseResult(
        phase, task, intermediate, seed, metric, float(result["best_dev"]), history,
        int(result["steps"]), chance,
    )  # fmt: skip


def prediction_shares(path: Path, labels: tuple[str, ...]) -> dict[str, float]:
    """Percentage of each label among the predictions in a one-label-per-line file."""
    predicted = path.read_text(encoding="utf-8").split()
    counts = Counter(predicted)
    return {label: 100.0 * counts[label] / len(predicted) for label in labels}


def latest_runs(rows: Any) -> Any:
    """The study's runs of its most recent configuration: one row per (seed, intermediate task,
    target task) with its ``run_id``.

    Found from the store rather than recomputed from the YAML, so the printout and the README
    record read exactly the runs that were scored, whichever code version computed their ids.
    """
    columns = ["seed", "intermediate_task", "target_task", "run_id"]
    if rows.empty:
        return rows.reindex(columns=columns)
    if "config_id" in rows.columns and rows["config_id"].notna().any():
        newest = rows.sort_values("started_at")["config_id"].iloc[-1]
        rows = rows[rows["config_id"] == newest]
    runs = rows.sort_values("started_at").drop_duplicates(columns[:3], keep="last")
    return runs[columns].sort_values(columns[:3]).reset_index(drop=True)


def intermediate_meta(output: Path, combo: str, seed: int) -> Path | None:
    """The newest ``intermediate/<combo>-<key>/meta.json`` written for (combo, seed)."""
    found = []
    for meta in output.glob(f"intermediate/{combo}-*/meta.json"):
        stored = json.loads(meta.read_text(encoding="utf-8"))
        if stored.get("tasks") == combo and stored.get("seed") == seed:
            found.append((meta.stat().st_mtime, str(meta)))
    return Path(max(found)[1]) if found else None


def study_phases(study: StudyConfig, rows: Any) -> list[PhaseResult]:
    """Every trained phase behind the study's stored ``rows``: intermediates, then targets."""
    output = Path(study.output_dir)
    runs = latest_runs(rows)
    phases: list[PhaseResult] = []
    for seed, combo in sorted(set(zip(runs["seed"], runs["intermediate_task"], strict=True))):
        meta = intermediate_meta(output, combo, int(seed)) if combo != BASELINE else None
        if meta is not None:
            stored = json.loads(meta.read_text(encoding="utf-8"))
            phases.append(_from_result("intermediate", combo, combo, int(seed), stored["result"]))
    for seed, combo, target, run_id in runs.itertuples(index=False):
        spec = get_task(target)
        train_file = output / "runs" / run_id / "train.json"
        if spec.family == "retrieval" or not train_file.is_file():
            continue
        result = _from_result(
            "target", target, combo, int(seed), json.loads(train_file.read_text(encoding="utf-8"))
        )
        predictions = train_file.parent / "predictions" / f"test-en.{spec.prediction_suffix}"
        if spec.family == "classification" and predictions.is_file():
            shares = prediction_shares(predictions, spec.labels)
            result = dataclasses.replace(result, prediction_shares=shares)
        phases.append(result)
    return phases


def prediction_items(study: StudyConfig, rows: Any) -> list[dict[str, Any]]:
    """Per-item test scores (0/100) of the classification runs behind ``rows``, from the
    prediction files the runs wrote (English-dev selection) and the gold labels of the data.

    For stores without an ``items`` table: the paired item bootstrap needs them.
    """
    tasks = describe_tasks(study)
    loaded: dict[str, TaskData] = {}
    items: list[dict[str, Any]] = []
    for _, _, target, run_id in latest_runs(rows).itertuples(index=False):
        if tasks[target].spec.family != "classification":
            continue
        if target not in loaded:
            loaded[target] = task_data(tasks[target])
            load_examples(loaded[target], study.target)
        data = loaded[target]
        folder = Path(study.output_dir) / "runs" / run_id / "predictions"
        for (split, language), examples in sorted(data.eval_sets.items()):
            path = folder / f"{split}-{language}.{data.spec.prediction_suffix}"
            if split != "test" or not path.is_file():
                continue
            predicted = path.read_text(encoding="utf-8").split()
            if len(predicted) != len(examples):
                continue
            items += [
                {"run_id": run_id, "target_task": target, "split": split, "language": language,
                 "selection": "en_dev", "metric": data.spec.metric, "item_id": str(example.id),
                 "score": 100.0 if label == example.label else 0.0}
                for label, example in zip(predicted, examples, strict=True)
            ]  # fmt: skip
    return items


def format_phases(phases: list[PhaseResult]) -> str:
    """The per-phase lines ``xstilts demo`` prints (every number as stored, one decimal)."""
    lines = ["phases (English dev score kept by model selection; dev curve at each evaluation)"]
    for item in phases:
        name = (
            f"intermediate {item.task}"
            if item.phase == "intermediate"
            else f"target {item.task} after {item.intermediate_task}"
        )
        chance = f", chance {item.chance:.1f}" if item.chance is not None else ""
        curve = " ".join(f"{score:.1f}" for _, score in item.dev_history)
        lines.append(
            f"  {name} (seed {item.seed}): dev en {item.metric} {item.dev_score:.1f}{chance}; "
            f"{item.steps} steps; curve {curve}"
        )
        if item.prediction_shares:
            shares = ", ".join(
                f"{label} {share:.1f}%" for label, share in item.prediction_shares.items()
            )
            lines.append(f"    test en predictions: {shares}")
    return "\n".join(lines)
