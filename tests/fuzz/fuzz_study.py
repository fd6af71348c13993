"""Fuzz cases for the study YAML (loaded and planned), the scorers and the grid's label check."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fuzz_mutations import invalidating_bytes, invalidating_json, neutral
from fuzz_outcomes import Case
from fuzz_readers import DEMO
from hypothesis import strategies as st

from xstilts.config import load_study
from xstilts.evaluate.score import score_file
from xstilts.experiments.plan import make_plan
from xstilts.experiments.task_data import describe_tasks, load_examples, task_data

STUDY_CASES = 8  # the study target gets this many times the per-reader budget
BASE_STUDY = f"""name: fuzz
encoder:
  name: multilingual-e5-small
  dropout: 0.1
intermediate_tasks: [none, mnli]
target_tasks: [xnli, tatoeba]
seeds: [0, 1]
data_dir: {DEMO}
threads: 2
intermediate:
  learning_rate: 2.0e-5
  epochs: 1
  batch_size: 8
target:
  learning_rate: 3.0e-5
  epochs: 2
  batch_size: 16
  warmup_ratio: 0.1
retrieval:
  layer: -1
"""
# key line (as written above) -> values every one of which must be refused
HOSTILE_VALUES: dict[str, tuple[str, ...]] = {
    "threads: 2": ("-1", "0", "99999", "1.5", ".nan", "x", "7" * 5000, "true", "[2]"),
    "seeds: [0, 1]": ("[4294967296]", "[-1]", "[0, 0]", "[.nan]", "[1.5]", "[2147483648, -2]"),
    "  batch_size: 16": ("0", "-3", ".inf", "1.5", "true", "1e9"),
    "  learning_rate: 3.0e-5": (".nan", ".inf", "-1", "0", "true", "fast", "-.inf", "1e999"),
    "  epochs: 2": (".inf", "0", "-1", ".nan", "100000"),
    "  warmup_ratio: 0.1": ("1.5", "-0.1", ".nan"),
    "  dropout: 0.1": ("1.5", "1.0", "-0.1", ".nan"),
    "  layer: -1": ("99", "13", "-14", "1.5", "x"),
    "intermediate_tasks: [none, mnli]": ("[none+mnli]", "[mnli+]", "[mnli, mnli]", "[mlni]"),
    "target_tasks: [xnli, tatoeba]": ("[]", "[xnli, xnli]", "[XNLI]", "[none]"),
    "  name: multilingual-e5-small": ("./no-such-encoder", "/no/such/encoder/", "a/b/c"),
}


def _alias_bomb() -> str:
    lines = ["bomb0: &b0 [x, x, x, x, x, x, x, x]"]
    lines += [f"bomb{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 8)}]" for i in range(1, 40)]
    return "\n".join(lines) + "\n"


@st.composite
def hostile_study(draw: st.DrawFn, base: str) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(("value", "value", "value", "duplicate", "bomb", "huge")))
    if kind == "duplicate":
        keys = re.findall(r"^[a-z_]+:.*$", base, flags=re.MULTILINE)
        return "duplicate_key", (base + draw(st.sampled_from(keys)) + "\n").encode()
    if kind == "bomb":
        return "alias_bomb", (_alias_bomb() + base).encode()
    if kind == "huge":
        return "huge_file", (base + "# " + "x" * (1 << 20) + "\n").encode()
    line = draw(st.sampled_from(sorted(HOSTILE_VALUES)))
    value = draw(st.sampled_from(HOSTILE_VALUES[line]))
    key = line.split(":")[0]
    return f"value {key.strip()}={value[:12]}", base.replace(line, f"{key}: {value}").encode()


def study_case(draw: st.DrawFn, folder: Path) -> tuple[Case, Callable[[], Any]]:
    """Load a mutated study and plan it (folders, encoder identity, retrieval layer, run ids)."""
    choice = draw(st.sampled_from(("neutral", "hostile", "hostile", "bytes")))
    if choice == "neutral":
        (name, data), must_reject = draw(neutral(BASE_STUDY.encode())), False
    elif choice == "bytes":
        (name, data), must_reject = draw(invalidating_bytes(BASE_STUDY.encode())), True
    else:
        (name, data), must_reject = draw(hostile_study(BASE_STUDY)), True
    path = folder / "study.yaml"
    path.write_bytes(data)
    (folder / "runs").mkdir()

    def call() -> Any:
        return make_plan(load_study(path))

    return Case("study", name, must_reject), call


def _scorer_pairs() -> list[tuple[str, str, Path, Path]]:
    root = Path(__file__).resolve().parents[1] / "evaluate" / "fixtures"
    pairs = []
    for prediction in sorted((root / "predictions").glob("*/test-*.*")):
        task = prediction.parent.name
        language = prediction.stem.removeprefix("test-")
        pairs.append((task, language, prediction, root / "labels" / task / prediction.name))
    return pairs


SCORER_PAIRS = _scorer_pairs()


def score_case(draw: st.DrawFn, folder: Path) -> tuple[Case, Callable[[], Any]]:
    """``score_file`` on a mutated prediction or gold file (bad bytes/json must be refused)."""
    task, language, prediction, gold = draw(st.sampled_from(SCORER_PAIRS))
    side = draw(st.sampled_from(("pred", "gold")))
    original = (prediction if side == "pred" else gold).read_bytes()
    choice = draw(st.sampled_from(("neutral", "neutral", "bytes", "json")))
    drawn = None
    if choice == "bytes":
        drawn = draw(invalidating_bytes(original))
    elif choice == "json" and original.lstrip()[:1] in (b"{", b"["):
        drawn = draw(invalidating_json(original))
    must_reject = drawn is not None
    name, data = drawn if drawn is not None else draw(neutral(original))
    pred, gold_copy = folder / f"pred{prediction.suffix}", folder / f"gold{gold.suffix}"
    shutil.copy(prediction, pred)
    shutil.copy(gold, gold_copy)
    (pred if side == "pred" else gold_copy).write_bytes(data)
    case = Case(f"score:{task}", f"{side} {name}", must_reject)
    return case, lambda: score_file(task, language, pred, gold_copy)


_UNLABEL = {
    "mnli": ("train.tsv", "gold_label"),
    "sst2": ("dev.tsv", "label"),
    "xnli": ("multinli.train.en.tsv", "label"),
}


def plan_case(draw: st.DrawFn, folder: Path) -> tuple[Case, Callable[[], Any]]:
    """A train or dev file with its label column removed must stop the grid before training."""
    task = draw(st.sampled_from(sorted(_UNLABEL)))
    name, column = _UNLABEL[task]
    data = folder / "data"
    shutil.copytree(DEMO / task, data / task)
    path = data / task / name
    lines = path.read_text(encoding="utf-8").split("\n")
    drop = lines[0].split("\t").index(column)
    path.write_text(
        "\n".join("\t".join(f for i, f in enumerate(x.split("\t")) if i != drop) for x in lines),
        encoding="utf-8",
    )
    study = folder / "study.yaml"
    targets = "[xnli]" if task == "xnli" else "[tatoeba]"
    if task != "xnli":
        shutil.copytree(DEMO / "tatoeba", data / "tatoeba")
    study.write_text(
        f"intermediate_tasks: [{'none' if task == 'xnli' else task}]\n"
        f"target_tasks: {targets}\ndata_dir: data\n",
        encoding="utf-8",
    )

    def call() -> Any:
        loaded = load_study(study)
        for planned in describe_tasks(loaded).values():
            load_examples(task_data(planned), loaded.target)

    return Case("plan:unlabelled", f"{task} {name} without {column}", True), call
