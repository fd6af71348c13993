"""The entry points (``xstilts.data.hub``): :func:`convert_rows` dispatch and :func:`fetch`,
offline (driven by a fake ``load_dataset``)."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from hub_helpers import found, hub_source, load

from xstilts.data import hub
from xstilts.data.hub import convert_rows, fetch, hub_plan
from xstilts.errors import XstiltsError
from xstilts.files import file_digest
from xstilts.tasks.registry import get_task


def test_config_task_and_split_mismatches_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(XstiltsError, match="does not belong to task 'panx'"):
        convert_rows(hub_source("panx"), "PAWS-X.de", "train", [], tmp_path)
    with pytest.raises(XstiltsError, match="has no split 'train'"):
        convert_rows(hub_source("xnli"), "XNLI", "train", [], tmp_path)
    assert get_task("ccg").hub is None  # CCGbank is LDC data: `xstilts fetch` refuses it


class FakeHub:
    """Stands in for ``datasets.load_dataset``; records what was asked."""

    def __init__(self, tables: dict[tuple[str, str], list[dict]]) -> None:
        self.tables = tables
        self.calls: list[tuple[str, str, dict]] = []

    def __call__(self, repo: str, config: str, **kwargs: Any) -> list[dict]:
        self.calls.append((repo, config, kwargs))
        return self.tables[(config, kwargs["split"])]


def test_fetch_converts_every_planned_split_and_records_the_source(tmp_path: Path) -> None:
    de = [{"tokens": ["Köln"], "ner_tags": [5], "langs": ["de"]}]
    en = [{"tokens": ["John"], "ner_tags": [1], "langs": ["en"]}]
    tables = {(f"PAN-X.{lang}", split): rows for lang, rows in (("de", de), ("en", en))
              for split in ("train", "validation", "test")}  # fmt: skip
    fake = FakeHub(tables)
    result = fetch(hub_source("panx"), ["de"], tmp_path, revision="abc123", load_dataset=fake)
    assert [(c, k["split"]) for _, c, k in fake.calls] == hub_plan(hub_source("panx"), ["de"])
    assert {k.get("revision") for _, _, k in fake.calls} == {"abc123"}
    assert {repo for repo, _, _ in fake.calls} == {"google/xtreme"}
    assert len(result.files) == 6
    assert result.notes == ()
    assert found("panx", tmp_path, "test") == ["de", "en"]
    assert load("panx", tmp_path, "train", "de")[0].tags == ("B-LOC",)
    record = json.loads((tmp_path / "panx" / hub.SOURCE_FILE).read_text())
    entry = record["files"]["de-test"]
    assert entry.pop("sha256") == file_digest(tmp_path / "panx" / "de-test")
    assert entry == {
        "repo": "google/xtreme", "revision": "abc123", "config": "PAN-X.de", "split": "test",
        "languages": ["de", "en"],
    }  # fmt: skip
    again = fetch(hub_source("panx"), ["de"], tmp_path, revision="abc123", load_dataset=fake)
    assert again.files == result.files


def test_fetch_xnli_says_the_training_file_is_missing(tmp_path: Path) -> None:
    row = {"language": "en", "gold_label": "neutral", "sentence1": "a", "sentence2": "b"}
    fake = FakeHub({("XNLI", "validation"): [row], ("XNLI", "test"): [row]})
    result = fetch(hub_source("xnli"), [], tmp_path, load_dataset=fake)
    assert any("multinli.train.en.tsv" in note for note in result.notes)
    assert found("xnli", tmp_path, "dev") == ["en"]


def test_fetch_refuses_gold_only_bucc_unless_asked(tmp_path: Path) -> None:
    row = {"source_sentence": "Hallo.\n", "target_sentence": "Hello.\n",
           "source_lang": "de-1", "target_lang": "en-1"}  # fmt: skip
    fake = FakeHub({("bucc18.de", split): [row] for split in ("validation", "test")})
    with pytest.raises(XstiltsError, match="gold pairs"):
        fetch(hub_source("bucc2018"), ["de"], tmp_path, load_dataset=fake)
    assert fake.calls == []
    result = fetch(
        hub_source("bucc2018"), ["de"], tmp_path, allow_bucc_gold_only=True, load_dataset=fake
    )
    assert any("NOT BUCC 2018 F1" in note for note in result.notes)
    assert load("bucc2018", tmp_path, "test", "de")[0].gold == (("de-1", "en-1"),)


def test_fetch_reports_conversion_warnings_as_notes(tmp_path: Path) -> None:
    row = {"source_sentence": "a\tb\n", "target_sentence": "c\n"}
    fake = FakeHub({("tatoeba.deu", "validation"): [row]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # fetch collects them instead of letting them out
        result = fetch(hub_source("tatoeba"), ["de"], tmp_path, load_dataset=fake)
    assert any("tabs or line breaks" in note for note in result.notes)


def test_fetch_without_network_is_one_user_error(tmp_path: Path) -> None:
    def offline(repo: str, config: str, **kwargs: Any) -> list[dict]:
        raise ConnectionError("Couldn't reach 'google/xtreme' on the Hub (LocalEntryNotFoundError)")

    with pytest.raises(XstiltsError, match=r"PAN-X\.en.*needs access to huggingface\.co"):
        fetch(hub_source("panx"), ["en"], tmp_path, load_dataset=offline)


def test_fetch_without_the_datasets_package(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)  # makes ``import datasets`` fail
    with pytest.raises(XstiltsError, match="needs the 'datasets' package"):
        fetch(hub_source("tatoeba"), ["de"], tmp_path)
