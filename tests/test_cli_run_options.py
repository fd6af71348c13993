"""The ``run`` command's executor options reach the runner as the README shows them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from xstilts import cli
from xstilts.analysis.tables import selection_label
from xstilts.cli import study_commands
from xstilts.cli.common import count
from xstilts.errors import XstiltsError


def test_slurm_options_reach_the_runner(
    monkeypatch: pytest.MonkeyPatch, demo_data: Path, tmp_path: Path
) -> None:
    config = tmp_path / "study.yaml"
    config.write_text(
        f'name: s\ntarget_tasks: [xnli]\ndata_dir: "{demo_data}"\noutput_dir: out\n',
        encoding="utf-8",
    )
    seen: dict[str, Any] = {}

    def fake_run(study: Any, quiet: bool, executor: str, options: dict[str, Any]) -> int:
        seen.update(executor=executor, options=options)
        return 0

    monkeypatch.setattr(study_commands, "_run_and_report", fake_run)
    argv = ["run", str(config), "--executor", "slurm", "--slurm", "gpus_per_node=1",
            "--slurm", "timeout_min=720", "--slurm", "partition=gpu"]  # fmt: skip
    assert cli.main(argv) == 0
    assert seen["executor"] == "slurm"
    assert seen["options"] == {
        "cluster": None,
        "slurm_parameters": {"gpus_per_node": 1, "timeout_min": 720, "partition": "gpu"},
    }


def test_slurm_parameter_without_equals_is_one_line_error() -> None:
    args = argparse.Namespace(slurm=["timeout_min"])
    with pytest.raises(XstiltsError, match="expected KEY=VALUE"):
        study_commands._slurm_parameters(args)


@pytest.mark.parametrize(("number", "text"), [(0, "0 runs"), (1, "1 run"), (2, "2 runs")])
def test_counts_agree_in_number(number: int, text: str) -> None:
    assert count(number, "run") == text


def test_retrieval_tables_say_no_model_selection() -> None:
    import pandas as pd

    rows = pd.DataFrame(
        {"target_task": ["tatoeba", "xnli", "xnli"], "selection": ["none", "en_dev", "oracle"]}
    )
    assert selection_label(rows, "tatoeba", "oracle") == ", no model selection"
    assert selection_label(rows, "xnli", "oracle") == (
        ", oracle selection (an upper bound, not zero-shot)"
    )
    assert selection_label(rows, "xnli", "en_dev") == ""


def test_fetch_prints_the_commit_it_pinned(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import functools

    from xstilts.data import hub

    row = {"tokens": ["Köln"], "ner_tags": [5], "langs": ["de"]}
    fake_fetch = functools.partial(
        hub.fetch, load_dataset=lambda repo, config, **kwargs: [row],
        resolve_revision=lambda repo: "c0ffee",
    )  # fmt: skip
    monkeypatch.setattr(hub, "fetch", fake_fetch)
    assert cli.main(["fetch", "panx", "--lang", "de", "--out", str(tmp_path)]) == 0
    assert "(revision c0ffee)" in capsys.readouterr().out
    assert (tmp_path / "panx" / "de-test").is_file()
