"""A study's ``pretraining:`` stage through the CLI: cells trained once, the grid run on each cell's
encoder, and the same cells reused by a second study that declares them."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_folders import LANGUAGES, build_corpora, demo_lines

import xstilts.pretraining.continued as continued
from helpers import result_rows, torchrun
from tiny_models import build_tiny_encoder
from xstilts.cli import main
from xstilts.config import load_study
from xstilts.pretraining.continued import read_record
from xstilts.pretraining.mlm_stream import make_schedule, trained_tokens
from xstilts.pretraining.stage import CELL_TABLE, plan_cells


def study_yaml(path: Path, name: str, encoder: Path, data: Path, output: str) -> Path:
    path.write_text(
        f"""name: {name}
encoder: {{name: "{encoder}", pooling: mean}}
intermediate_tasks: [none]
target_tasks: [tatoeba]
languages: [de, fr]
data_dir: "{data}"
output_dir: {output}
threads: 1
trackers: []
retrieval: {{max_length: 32}}
pretraining:
  corpus_dir: corpora
  cell_dir: cells
  languages: [de, fr]
  budgets: [40, 100]
  english_replay: 0.2
  train: {{batch_size: 4, max_length: 16, learning_rate: 0.001}}
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture()
def setup(tmp_path: Path, demo_data: Path) -> tuple[Path, Path]:
    build_corpora(tmp_path / "corpora")
    texts = [line for code in LANGUAGES for line in demo_lines(code)]
    return build_tiny_encoder(tmp_path / "base", texts, mask_token="<mask>"), demo_data


def test_two_studies_share_the_cells_they_both_declare(
    setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    encoder, data = setup
    first = study_yaml(tmp_path / "a.yaml", "a", encoder, data, "out-a")
    cells = plan_cells(load_study(first))
    assert [cell.status for cell in cells] == ["to train", "to train"]
    assert cells[0].budgets == {"de": 40, "fr": 100, "en": 35}  # English replay: 20% of 175
    assert main(["plan", str(first)]) == 0
    assert main(["run", str(first), "--quiet"]) == 0
    rows = result_rows(tmp_path / "out-a")
    assert set(rows.study) == {"a-cell0", "a-cell1"}
    table = (tmp_path / "out-a" / CELL_TABLE).read_text(encoding="utf-8").splitlines()
    assert table[0] == "study,cell,language,budget,tokens,held_out_loss,encoder"
    assert all(float(line.split(",")[5]) > 0 for line in table[1:])  # every language held out
    assert {tuple(line.split(",")[1:5]) for line in table[1:]} == {
        ("0", "de", "40", "40"), ("0", "fr", "100", "100"), ("0", "en", "35", "35"),
        ("1", "de", "100", "100"), ("1", "fr", "40", "40"), ("1", "en", "35", "35"),
    }  # fmt: skip

    def no_training(*args, **kwargs):
        raise AssertionError("a declared cell was trained twice")

    monkeypatch.setattr(continued, "train", no_training)
    second = study_yaml(tmp_path / "b.yaml", "b", encoder, data, "out-b")
    cells = plan_cells(load_study(second))
    assert [c.status for c in cells] == ["trained", "trained"]
    assert [c.folder for c in cells] == [c.folder for c in plan_cells(load_study(first))]
    assert main(["run", str(second), "--quiet"]) == 0
    assert set(result_rows(tmp_path / "out-b").study) == {"b-cell0", "b-cell1"}


def test_a_missing_corpus_stops_the_study_before_any_training(setup, tmp_path: Path, capsys):
    encoder, data = setup
    config = study_yaml(tmp_path / "a.yaml", "a", encoder, data, "out")
    text = config.read_text(encoding="utf-8").replace("[de, fr]\n  budgets", "[de, sw]\n  budgets")
    config.write_text(text, encoding="utf-8")
    assert main(["run", str(config), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "cell 0: corpus missing" in error and "no corpus folder for language 'sw'" in error
    assert not (tmp_path / "cells").exists()


@pytest.mark.slow
def test_cells_train_data_parallel_under_torchrun(setup, tmp_path: Path):
    encoder, data = setup
    config = study_yaml(tmp_path / "a.yaml", "a", encoder, data, "out")
    torchrun("-m", "xstilts.cli", "run", str(config), "--quiet", timeout=600)
    section = load_study(config).pretraining
    assert section is not None
    for index, folder in enumerate(sorted((tmp_path / "cells").glob("mlm-*"))):
        record = read_record(folder)
        assert record["world_size"] == 2
        budgets = {code: row["budget"] for code, row in record["budgets"].items()}
        schedule = make_schedule(budgets, 16, 4, section.seed)
        expected = trained_tokens(schedule, record["steps"] * 2)
        assert {code: row["tokens"] for code, row in record["budgets"].items()} == {
            code: expected.get(code, 0) for code in budgets
        }, index
    assert set(result_rows(tmp_path / "out").study) == {"a-cell0", "a-cell1"}
