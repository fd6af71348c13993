"""The retrieval specs (BUCC, LAReQA, Mewsli-X) against the reference, and the three tasks through
the study runner with a tiny XLM-R (``families/retrieval.py`` dispatches to the protocols; BUCC
mining: ``test_retrieval_bucc.py``; ranking: ``test_retrieval_ranking.py``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from retrieval_data import FIXTURES, SPEC
from xstilts.config import study_from_dict
from xstilts.evaluate.xtreme_score import TASK_LANGUAGES
from xstilts.experiments.runner import STORE_NAME, run_study
from xstilts.experiments.store import ResultStore
from xstilts.families import retrieval, retrieval_bucc, retrieval_ranking


def test_specs_follow_the_reference() -> None:
    bucc, lareqa, mewslix = SPEC["bucc2018"], SPEC["lareqa"], SPEC["mewslix"]
    assert bucc.languages == TASK_LANGUAGES["xtreme"]["bucc2018"] == ("de", "fr", "ru", "zh")
    assert (bucc.protocol, bucc.metric, bucc.dev_split, bucc.test_split) == (
        "bucc",
        "f1",
        "dev",
        "test",
    )
    assert lareqa.languages == TASK_LANGUAGES["xtreme-r"]["lareqa"]
    assert mewslix.languages == TASK_LANGUAGES["xtreme-r"]["mewslix"]
    for spec in (bucc, lareqa, mewslix):
        assert spec.family == "retrieval" and spec.train_split is None
    assert (lareqa.protocol, lareqa.metric, lareqa.dev_split) == ("ranking", "map@20", None)
    assert (mewslix.protocol, mewslix.metric, mewslix.dev_split) == ("ranking", "map@20", "dev")


def test_runner_scores_all_three_tasks(
    retrieval_encoder_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(retrieval.PROTOCOLS, "bucc", retrieval_bucc.PROTOCOL)
    monkeypatch.setitem(retrieval.PROTOCOLS, "ranking", retrieval_ranking.PROTOCOL)
    data = tmp_path / "data"
    for task in ("bucc2018", "lareqa", "mewslix"):
        shutil.copytree(FIXTURES / task, data / task)
    study = study_from_dict(
        {
            "name": "retrieval",
            "encoder": {"name": str(retrieval_encoder_dir)},
            "intermediate_tasks": ["none"],
            "target_tasks": ["bucc2018", "lareqa", "mewslix"],
            "data_dir": str(data),
            "output_dir": str(tmp_path / "out"),
            "threads": 1,
            "retrieval": {"layer": 2, "max_length": 48},
        }
    )
    summary = run_study(study, progress=False)
    assert summary.runs_done == 3
    with ResultStore(tmp_path / "out" / STORE_NAME, read_only=True) as store:
        rows, items = store.frame(), store.items()
    means = items.groupby(["target_task", "split", "language", "metric"])["score"].mean()
    for row in rows[rows["selection"] == "no_selection"].itertuples():  # per-query items
        key = (row.target_task, row.split, row.language, row.metric)
        assert key in means or row.metric not in ("f1", "map@20")
        assert key not in means or means[key] == pytest.approx(row.value, abs=1e-9)
    assert ("bucc2018", "dev", "de", "f1") in means and ("lareqa", "test", "de", "map@20") in means
    got = {(r.target_task, r.split, r.language, r.metric) for r in rows.itertuples()}
    assert ("bucc2018", "dev", "de", "f1") in got and ("bucc2018", "dev", "de", "f1_oracle") in got
    assert not any(task == "bucc2018" and split == "test" for task, split, _, _ in got)
    assert {("lareqa", "test", lang, "map@20") for lang in ("de", "en")} <= got
    assert {("mewslix", "dev", lang, "map@20") for lang in ("de", "en")} <= got
    predictions = {p.name for p in (tmp_path / "out" / "runs").glob("*/predictions/*")}
    assert {"dev-de.tsv", "test-de.tsv", "test-en.json", "dev-en.json"} <= predictions
