"""The notebook API: rows with their settings, grouped so different settings never mix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xstilts.api import language_table, load_rows, settings_of
from xstilts.errors import XstiltsError
from xstilts.experiments.plan import STORE_NAME
from xstilts.experiments.store import ResultStore


def _row(run_id: str, seed: int, learning_rate: float, language: str, value: float) -> dict:
    study = {"name": "s", "encoder": {"name": "e5"}, "target": {"learning_rate": learning_rate,
             "eval_batch_size": 64}, "retrieval": {"layer": 8}, "seeds": [0, 1]}  # fmt: skip
    config = {"study": study, "intermediate_task": "none", "target_task": "xnli", "seed": seed}
    return {
        "run_id": run_id, "study": "s", "encoder": "e5", "intermediate_task": "none",
        "target_task": "xnli", "language": language, "seed": seed, "split": "test",
        "selection": "en_dev", "metric": "accuracy", "value": value,
        "config_json": json.dumps(config), "seconds": 1.0,
    }  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Path:
    with ResultStore(tmp_path / STORE_NAME) as results:
        for run_id, seed, lr, value in [("a", 0, 3e-5, 60.0), ("b", 1, 3e-5, 70.0),
                                        ("c", 0, 1e-5, 10.0)]:  # fmt: skip
            results.add_run([_row(run_id, seed, lr, "de", value)])
    return tmp_path


def test_rows_carry_their_settings_and_a_group(store: Path) -> None:
    rows = load_rows(store)
    assert set(rows["target.learning_rate"]) == {3e-5, 1e-5}
    assert rows["retrieval.layer"].tolist() == [8, 8, 8]
    assert "target.eval_batch_size" not in rows  # changes speed, not results
    groups = rows.groupby("config_id")["run_id"].apply(sorted).tolist()
    assert sorted(groups) == [["a", "b"], ["c"]]  # seeds share a group, a new lr does not


def test_language_table_refuses_mixed_settings(store: Path) -> None:
    rows = load_rows(store)
    with pytest.raises(XstiltsError, match="rows of 2 configurations"):
        language_table(rows, "xnli")
    one = rows[rows["target.learning_rate"] == 3e-5]
    assert language_table(one, "xnli").loc["de", "none"] == 65.0  # mean of the two seeds


def test_settings_of_flattens_sections() -> None:
    config = json.dumps({"study": {"encoder": {"name": "x", "attention": "sdpa"}, "name": "s"}})
    assert settings_of(config) == {"encoder.attention": "sdpa", "encoder.name": "x"}
    # Effective values (recipe < study < override) win over the study's section.
    effective = {"target": {"values": {"learning_rate": 2e-5}, "sources": {}}}
    config = json.dumps({"study": {"target": {"learning_rate": 1e-5}}, "effective": effective})
    assert settings_of(config) == {"target.learning_rate": 2e-5}


def test_missing_store_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(XstiltsError, match="no results store"):
        load_rows(tmp_path)
