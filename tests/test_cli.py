"""The command line: one-line errors (never a traceback), run, results, export."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from xstilts.analysis.tables import language_table, result_tables
from xstilts.cli import main
from xstilts.cli.common import count
from xstilts.cli.data_commands import local_sizes
from xstilts.experiments.plan import STORE_NAME
from xstilts.experiments.store import ResultStore
from xstilts.tasks.registry import TASKS


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xstilts.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_bad_yaml_key_is_one_line_without_traceback(tmp_path: Path) -> None:
    config = tmp_path / "study.yaml"
    config.write_text("target_tasks: [xnli]\ntarget: {epochz: 2}\n", encoding="utf-8")
    result = run_cli("run", str(config))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        f"xstilts: error: {config}: target.epochz: unknown key; did you mean 'epochs'? "
        "expected one of "
    )
    assert "learning_rate" in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"xstilts: error: {tmp_path / 'nope.yaml'}: no such config file"
    )


def test_results_without_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["results", str(tmp_path)]) == 2
    assert "no results store here" in capsys.readouterr().err


def test_run_then_results_and_export(
    tiny_encoder: Path, demo_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "study.yaml"
    config.write_text(
        f"""name: cli
encoder: {{name: "{tiny_encoder}"}}
intermediate_tasks: [none, sst2]
target_tasks: [xnli]
languages: [en, sw, de]
data_dir: "{demo_data}"
output_dir: out
threads: 1
intermediate: {{epochs: 1, batch_size: 32, max_length: 32, max_train_examples: 64}}
target: {{epochs: 1, batch_size: 32, max_length: 32, max_train_examples: 64}}
""",
        encoding="utf-8",
    )
    assert main(["run", str(config), "--quiet"]) == 0
    with ResultStore(tmp_path / "out" / STORE_NAME, read_only=True) as store:
        rows = store.frame()
    assert rows["run_id"].nunique() == 2
    table = language_table(rows, "xnli", "test")
    assert list(table.columns) == ["none", "sst2", "Δ sst2"]
    assert list(table.index) == ["en", "de", "sw", "avg"]
    gain = table["sst2"] - table["none"]
    assert table["Δ sst2"].to_numpy() == pytest.approx(gain.to_numpy())

    (oracle,) = result_tables(rows, ["xnli"], "test", "oracle")  # what `results` prints
    assert (
        oracle.label == ", oracle selection (an upper bound, not zero-shot)" and oracle.seeds == 1
    )
    capsys.readouterr()
    assert main(["results", str(tmp_path / "out"), "--selection", "oracle"]) == 0
    assert "WARNING: 1 seed — fewer than 3" in capsys.readouterr().out  # said, not only reported

    out = tmp_path / "rows.csv"
    assert main(["results", str(tmp_path / "out"), "--export", str(out)]) == 0
    exported = pd.read_csv(out)
    # 2 runs x 2 splits x 3 languages x 2 selections (English dev, oracle)
    assert len(exported) == 24 and list(exported.columns[:3]) == ["run_id", "study", "encoder"]


def test_tasks_lists_registry(capsys: pytest.CaptureFixture[str], demo_data: Path) -> None:
    xnli = local_sizes(TASKS["xnli"], demo_data / "xnli")
    assert list(xnli["test"]) == ["en", "fr", "es", "de", "ru", "tr", "sw"]
    assert sum(xnli["test"].values()) == 840
    assert local_sizes(TASKS["mnli"], demo_data / "mnli") == {
        "train": {"en": 780},
        "dev": {"en": 90},
    }
    assert (count(1, "language"), count(15, "language")) == ("1 language", "15 languages")
    assert main(["tasks", "--data-dir", str(demo_data)]) == 0
    listed = {line.split()[0] for line in capsys.readouterr().out.splitlines()}
    assert listed == set(TASKS)  # one line per task


def test_export_then_score_reproduces_the_stored_value(
    tiny_encoder: Path, demo_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Our predictions, exported in the submission layout, score the same with `xstilts score`."""
    import json

    config = tmp_path / "study.yaml"
    config.write_text(
        f"""name: export
encoder: {{name: "{tiny_encoder}"}}
intermediate_tasks: [none]
target_tasks: [xnli]
languages: [en, sw]
data_dir: "{demo_data}"
output_dir: out
threads: 1
trackers: []
target: {{epochs: 1, batch_size: 32, max_length: 32, max_train_examples: 64}}
""",
        encoding="utf-8",
    )
    assert main(["run", str(config), "--quiet"]) == 0
    submission = tmp_path / "submission"
    assert main(["export", str(tmp_path / "out"), "--out", str(submission)]) == 0
    assert sorted(p.name for p in (submission / "xnli").iterdir()) == ["test-en.tsv", "test-sw.tsv"]
    gold = tmp_path / "gold-sw.tsv"
    test_rows = (demo_data / "xnli" / "xnli.test.tsv").read_text(encoding="utf-8").splitlines()
    labels = [r.split("\t")[1] for r in test_rows[1:] if r.split("\t")[0] == "sw"]
    gold.write_text("\n".join(labels) + "\n", encoding="utf-8")
    capsys.readouterr()
    predicted = submission / "xnli" / "test-sw.tsv"
    assert (
        main(["score", "xnli", "--lang", "sw", "--pred", str(predicted), "--gold", str(gold)]) == 0
    )
    scored = json.loads(capsys.readouterr().out)["accuracy"]
    with ResultStore(tmp_path / "out" / "results.duckdb", read_only=True) as store:
        stored = store.frame(
            "language = 'sw' AND split = 'test' AND selection = 'en_dev' AND metric = 'accuracy'"
        )["value"].item()
        rows = store.frame("selection = 'en_dev' AND metric = 'accuracy'")
    assert scored == pytest.approx(stored)
    # every (split, language) of the kept evaluation carries its own measured time
    timed = rows.set_index(["split", "language"])["eval_seconds"]
    assert sorted(timed.index) == [("dev", "en"), ("dev", "sw"), ("test", "en"), ("test", "sw")]
    assert (timed > 0).all() and timed.sum() < rows["seconds"].iloc[0]


def test_score_folder_says_which_files_it_scored_and_which_it_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tatoeba in German (an XTREME-R language) and Amharic (LASER only): the folder score covers
    German, lists the 40 missing languages and names the Amharic file it did not score."""
    import json

    for root in ("pred", "gold"):
        for language in ("de", "am"):
            (tmp_path / root / "tatoeba").mkdir(parents=True, exist_ok=True)
            (tmp_path / root / "tatoeba" / f"test-{language}.tsv").write_text("1\n0\n")
    argv = ["score", "--pred", str(tmp_path / "pred"), "--gold", str(tmp_path / "gold")]
    assert main([*argv, "--version", "xtreme-r"]) == 0
    captured = capsys.readouterr()
    tatoeba = json.loads(captured.out)["tatoeba"]
    assert tatoeba["accuracy"] == {"de": 100.0} and len(tatoeba["missing_languages"]) == 40
    assert "tatoeba: outside the xtreme-r languages, not scored here: am" in captured.err
