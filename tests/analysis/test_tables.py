"""Result tables never blend configurations: one set of tables per ``config_id``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from xstilts.analysis.tables import config_groups, language_table, result_tables
from xstilts.cli import main
from xstilts.experiments.store import ResultStore


def row(run_id: str, value: float, config_json: str, **fields: object) -> dict[str, object]:
    return {
        "run_id": run_id, "study": "s", "encoder": "e", "intermediate_task": "none",
        "target_task": "tatoeba", "language": "de", "seed": 0, "split": "test",
        "selection": "no_selection", "metric": "accuracy", "value": value,
        "config_json": config_json, "started_at": datetime(2026, 1, 1), "seconds": 1.0,
        **fields,
    }  # fmt: skip


def legacy_config(layer: int) -> str:
    """A run config as stores wrote it before config ids: the study section only."""
    return json.dumps({"study": {"retrieval": {"layer": layer, "max_length": 64}}, "seed": 0})


def test_a_folder_with_two_configurations_gets_two_tables_and_no_blended_mean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ResultStore(tmp_path / "results.duckdb") as store:
        store.add_run([row("a", 80.0, legacy_config(12))])
        store.add_run([row("b", 40.0, legacy_config(3), started_at=datetime(2026, 1, 2))])
        rows = store.frame()
    tables = result_tables(rows, ["tatoeba"])
    assert [(t.target_task, t.metric, t.seeds) for t in tables] == [("tatoeba", "accuracy", 1)] * 2
    assert len({t.config_id for t in tables}) == 2
    assert {t.label for t in tables} == {", no model selection"}
    means = [t.table.loc["de", "none"] for t in tables]
    assert means == [80.0, 40.0]  # in the order the configurations were run; never 60, the blend
    assert main(["results", str(tmp_path)]) == 0  # the command says why there are two
    assert "these rows come from 2 configurations" in capsys.readouterr().out


def test_stored_config_ids_group_rows_and_seeds_of_one_configuration_average() -> None:
    rows = pd.DataFrame([
        row("a", 80.0, "{}", config_id="one"), row("b", 70.0, "{}", config_id="one", seed=1),
        row("c", 40.0, "{}", config_id="two"),
    ])  # fmt: skip
    groups = dict(config_groups(rows))
    assert sorted(groups) == ["one", "two"]
    assert language_table(groups["one"], "tatoeba").loc["de", "none"] == 75.0  # seeds: one mean
    assert language_table(groups["two"], "tatoeba").loc["de", "none"] == 40.0


def test_a_table_holds_one_selection_per_cell() -> None:
    """Retrieval oracle (best-layer) rows never join the no-selection rows of the same cell."""
    rows = pd.DataFrame([
        row("a", 50.0, "{}"), row("a", 90.0, "{}", selection="oracle", layer=1),
        row("a", 70.0, "{}", selection="layer_sweep", layer=2),
    ])  # fmt: skip
    assert language_table(rows, "tatoeba").loc["de", "none"] == 50.0  # default: en_dev asked
    assert language_table(rows, "tatoeba", selection="oracle").loc["de", "none"] == 90.0
