"""Fuzz cases for every ``xstilts`` command, run in-process through ``xstilts.cli.main``.

An argument list is drawn from a small grammar per command whose values come from hostile pools
(missing, binary, empty and directory paths; odd Unicode; huge numbers; ``../``). ``demo`` and a
``run`` that could start training are left out: training is not an input-validation question, and
``run`` is given only studies whose encoder folder is missing, which must fail before any work.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fuzz_outcomes import Case
from fuzz_study import BASE_STUDY, SCORER_PAIRS
from hypothesis import strategies as st

from xstilts.cli import main
from xstilts.experiments.store import ResultStore

CLI_CASES = 3  # the CLI target gets this many times the per-reader budget
WORDS = (
    "xnli", "tatoeba", "en", "de", "sw", "zz", "", " ", "../..", "/etc", "٣", "x" * 300,
    "9" * 40, "-1", "2147483648", "NaN", "--", "-x", "none", "mnli", "udpos", "\u202e",
)  # fmt: skip
COMMANDS = ("plan", "results", "score", "export", "tasks", "langs", "report", "fetch", "run",
            "garbage")  # fmt: skip


@functools.lru_cache(maxsize=1)
def sample_store() -> Path:
    """A small store (2 seeds x none/mnli x 4 languages of xnli) shared by all cases."""
    folder = Path(tempfile.mkdtemp(prefix="xstilts-fuzz-store-"))
    for seed in (0, 1):
        for combo in ("none", "mnli"):
            run_id = f"{seed}{combo}".ljust(16, "0")
            rows = [
                {"run_id": run_id, "study": "fuzz", "encoder": "e", "intermediate_task": combo,
                 "target_task": "xnli", "language": language, "seed": seed, "split": split,
                 "selection": "en_dev", "metric": "accuracy", "value": 50.0 + seed + len(language),
                 "config_json": "{}", "started_at": datetime(2026, 1, 1), "seconds": 1.0}
                for language in ("en", "de", "sw", "ru") for split in ("dev", "test")
            ]  # fmt: skip
            with ResultStore(folder / "results.duckdb") as store:
                store.add_run(rows)
            predictions = folder / "runs" / run_id / "predictions"
            predictions.mkdir(parents=True)
            (predictions / "test-en.tsv").write_text("entailment\n", encoding="utf-8")
    return folder


def _paths(folder: Path) -> dict[str, str]:
    """Hostile and ordinary path values, made fresh in the case's scratch folder."""
    (folder / "binary.bin").write_bytes(b"\x00\xff\xfe" * 100)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "volumes.csv").write_text("language,volume\nen,10\nde,x\n", encoding="utf-8")
    shutil.copytree(sample_store(), folder / "store")
    study = folder / "study.yaml"
    study.write_text(BASE_STUDY, encoding="utf-8")
    missing_encoder = folder / "run.yaml"
    missing_encoder.write_text(
        BASE_STUDY.replace("name: multilingual-e5-small", "name: ./no-such-encoder"),
        encoding="utf-8",
    )
    return {
        "missing": str(folder / "missing"), "binary": str(folder / "binary.bin"),
        "empty": str(folder / "empty.txt"), "dir": str(folder), "store": str(folder / "store"),
        "study": str(study), "run_study": str(missing_encoder), "out": str(folder / "out"),
        "csv": str(folder / "volumes.csv"), "export_csv": str(folder / "out" / "rows.csv"),
    }  # fmt: skip


def _argv(
    draw: st.DrawFn, command: str, paths: dict[str, str], fast: bool
) -> tuple[list[str], bool]:
    """Draw an argument list for ``command``; the flag says it must be refused."""
    word = st.sampled_from(WORDS)
    path = st.sampled_from(sorted(paths.values()))
    if command == "report":  # a report that succeeds takes ~20 s of plotting: inputs that fail
        store = draw(st.sampled_from(("missing", "binary", "empty", "dir", "store")))
        argv = ["report", paths[store], "--out", paths["out"]]
        if store == "store":
            argv += ["--pretraining", draw(st.sampled_from((paths["csv"], paths["binary"], "x")))]
        return argv, True
    if command == "plan":
        return ["plan", draw(path), *draw(st.sampled_from(([], ["--quiet"])))], False
    if command == "run":
        return ["run", paths["run_study"], "--quiet"], True
    if command == "score":
        task, language, prediction, gold = draw(st.sampled_from(SCORER_PAIRS))
        pred = draw(st.sampled_from((str(prediction), draw(path))))
        gold_path = draw(st.sampled_from((str(gold), draw(path))))
        argv = ["score", draw(st.sampled_from((task, draw(word)))), "--lang"]
        argv += [draw(st.sampled_from((language, draw(word)))), "--pred", pred, "--gold", gold_path]
        return argv[: draw(st.integers(1, len(argv)))], False
    if command in ("results", "export"):
        argv = [command, draw(st.sampled_from((paths["store"], draw(path))))]
        options = {
            "results": ["--task", "--split", "--study", "--selection", "--export"],
            "export": ["--out", "--run", "--intermediate", "--seed"],
        }[command]
        for option in draw(st.lists(st.sampled_from(options), max_size=3, unique=True)):
            argv += [option, draw(st.one_of(word, path))]
        if command == "export" and "--out" not in argv:
            argv += ["--out", paths["out"]]
        return argv, False
    if command == "tasks":
        return ["tasks", *draw(st.sampled_from(([], ["--data-dir", draw(path)])))], False
    if command == "langs":
        codes = draw(st.lists(word, max_size=3))
        distances = (
            ([], ["--source", "zz"])
            if fast
            else (["--distances"], ["--distances", "--source", "zz"])
        )
        extra = draw(st.sampled_from(([], *distances)))
        return ["langs", *codes, *extra], False
    if command == "fetch":
        return ["fetch", *draw(st.sampled_from((["--list"], [draw(word)], [draw(word), "--lang"]))
                               )], False  # fmt: skip
    return draw(st.lists(st.one_of(word, path), max_size=5)), False


def cli_case(draw: st.DrawFn, folder: Path, fast: bool = False) -> tuple[Case, Callable[[], Any]]:
    """``fast`` leaves out the one-off slow loads (URIEL distances) for the default test run."""
    paths = _paths(folder)
    command = draw(st.sampled_from(COMMANDS))
    argv, must_reject = _argv(draw, command, paths, fast)
    case = Case(f"cli:{command}", json.dumps(argv)[:120], must_reject)

    def call() -> int:
        previous = os.getcwd()
        os.chdir(folder)  # relative words such as 'none' given as --out land in the scratch folder
        try:
            return main(argv)
        finally:
            os.chdir(previous)

    return case, call
