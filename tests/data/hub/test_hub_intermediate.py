"""Intermediate tasks from the Hub: MNLI, SST-2, QQP (``nyu-mll/glue``) and SQuAD 2.0
(``rajpurkar/squad_v2``). A fake Hub serves miniature parquet files in each repo's schema
(``glue.py``: ClassLabel ``label`` as int64 ids, ``idx`` as int32; SQuAD: ``answers`` a struct of
``text``/``answer_start`` lists), ``fetch`` writes the release layout, and the readers load it.
No network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hub_helpers import hub_source, load

from xstilts import cli
from xstilts.data import hub
from xstilts.data.hub import fetch, hub_plan
from xstilts.errors import DataError, XstiltsError

MNLI = [
    {"premise": "A man plays.", "hypothesis": "Someone plays.", "label": 0, "idx": 0},
    {"premise": "A dog\tsleeps.", "hypothesis": "A cat sleeps.", "label": 2, "idx": 1},
    {"premise": "It rains.", "hypothesis": "It is cold.", "label": 1, "idx": 2},
]
SST2 = [
    {"sentence": "a gorgeous film ", "label": 1, "idx": 0},
    {"sentence": "dull and tired ", "label": 0, "idx": 1},
]
QQP = [
    {"question1": "How do I learn?", "question2": "How can I learn?", "label": 1, "idx": 7},
    {"question1": "Why is it red?", "question2": "Where is it?", "label": 0, "idx": 8},
]
SQUAD_V2 = [
    {"id": "q1", "title": "T", "context": "Paris is in France.", "question": "Where is Paris?",
     "answers": {"text": ["France"], "answer_start": [12]}},
    {"id": "q2", "title": "T", "context": "Paris is in France.", "question": "Who is Paris?",
     "answers": {"text": [], "answer_start": []}},
]  # fmt: skip
COMMONSENSEQA = [
    {"id": "075e", "question": "Where is a river?", "question_concept": "river",
     "choices": {"label": list("ABCDE"), "text": ["valley", "sky", "desk", "moon", "cup"]},
     "answerKey": "A"},
]  # fmt: skip
_CHOICES = pa.struct([("label", pa.list_(pa.string())), ("text", pa.list_(pa.string()))])
_ANSWERS = pa.struct([("text", pa.list_(pa.string())), ("answer_start", pa.list_(pa.int32()))])
_TYPES = {"label": pa.int64(), "idx": pa.int32(), "answers": _ANSWERS, "choices": _CHOICES}


class ParquetHub:
    """Stands in for ``datasets.load_dataset`` on a folder of ``{config}/{split}.parquet``
    files, as the Hub repo lays them out; records what was asked."""

    def __init__(self, root: Path, tables: dict[str, list[dict[str, Any]]], splits) -> None:
        self.root = root
        self.calls: list[tuple[str, str, str]] = []
        for config, rows in tables.items():
            schema = pa.schema(
                [(name, _TYPES.get(name, pa.string())) for name in rows[0]]
            )  # the repo's column order and types
            (root / config).mkdir(parents=True, exist_ok=True)
            for split in splits[config]:
                table = pa.Table.from_pylist(rows, schema)
                pq.write_table(table, root / config / f"{split}.parquet")

    def __call__(self, repo: str, config: str, *, split: str, **kwargs: Any) -> list[dict]:
        self.calls.append((repo, config, split))
        return pq.read_table(self.root / config / f"{split}.parquet").to_pylist()


@pytest.fixture
def glue_hub(tmp_path: Path) -> ParquetHub:
    tables = {"mnli": MNLI, "sst2": SST2, "qqp": QQP, "squad_v2": SQUAD_V2}
    splits = {task: hub_source(task).splits for task in tables}
    tables["default"] = COMMONSENSEQA  # tau/commonsense_qa has one config, "default"
    splits["default"] = hub_source("commonsenseqa").splits
    return ParquetHub(tmp_path / "hub", tables, splits)


def test_mnli_is_fetched_into_the_glue_layout_the_reader_reads(
    tmp_path: Path, glue_hub: ParquetHub
) -> None:
    data = tmp_path / "data"
    result = fetch(hub_source("mnli"), (), data, load_dataset=glue_hub,
                   resolve_revision=lambda repo: "5e1e0fe")  # fmt: skip
    assert [(c, s) for _, c, s in glue_hub.calls] == hub_plan(hub_source("mnli"))
    assert {repo for repo, _, _ in glue_hub.calls} == {"nyu-mll/glue"}
    assert sorted(p.name for p in result.files) == [
        "dev_matched.tsv", "dev_mismatched.tsv", "train.tsv",
    ]  # fmt: skip
    train = load("mnli", data, "train", "en")
    assert [(e.id, e.label) for e in train] == [
        ("0", "entailment"), ("1", "contradiction"), ("2", "neutral"),
    ]  # fmt: skip
    assert train[1].text_a == "A dog sleeps."  # a tab cannot stay inside a tsv field
    assert [e.text_b for e in load("mnli", data, "dev", "en")] == [r["hypothesis"] for r in MNLI]
    assert len(load("mnli", data, "test", "en")) == 3  # the reader's "test" = dev_mismatched
    record = json.loads((data / "mnli" / hub.SOURCE_FILE).read_text())["files"]
    assert record["dev_matched.tsv"]["split"] == "validation_matched"
    assert {entry["revision"] for entry in record.values()} == {"5e1e0fe"}  # the resolved sha


def test_sst2_and_qqp_are_fetched_and_read(tmp_path: Path, glue_hub: ParquetHub) -> None:
    data = tmp_path / "data"
    for task in ("sst2", "qqp"):
        fetch(hub_source(task), (), data, revision="abc", load_dataset=glue_hub)
    sst2 = load("sst2", data, "dev", "en")
    assert [(e.text_a, e.label, e.text_b) for e in sst2] == [
        ("a gorgeous film ", "1", None), ("dull and tired ", "0", None),
    ]  # fmt: skip
    qqp = load("qqp", data, "train", "en")
    assert [(e.id, e.text_a, e.text_b, e.label) for e in qqp] == [
        ("7", "How do I learn?", "How can I learn?", "1"),
        ("8", "Why is it red?", "Where is it?", "0"),
    ]
    assert [c for _, c, s in glue_hub.calls] == ["sst2", "sst2", "qqp", "qqp"]


def test_squad_v2_keeps_unanswerable_questions(tmp_path: Path, glue_hub: ParquetHub) -> None:
    data = tmp_path / "data"
    fetch(hub_source("squad_v2"), (), data, revision="abc", load_dataset=glue_hub)
    assert glue_hub.calls == [
        ("rajpurkar/squad_v2", "squad_v2", s) for s in ("train", "validation")
    ]
    dev = load("squad_v2", data, "dev", "en")
    assert [(e.id, e.answer_texts, e.answer_starts, e.is_impossible) for e in dev] == [
        ("q1", ("France",), (12,), False), ("q2", (), (), True),
    ]  # fmt: skip
    document = json.loads((data / "squad_v2" / "train-v2.0.json").read_text())
    qas = document["data"][0]["paragraphs"][0]["qas"]
    assert [qa["is_impossible"] for qa in qas] == [False, True]


def test_commonsenseqa_is_written_in_the_release_nesting(
    tmp_path: Path, glue_hub: ParquetHub
) -> None:
    data = tmp_path / "data"
    fetch(hub_source("commonsenseqa"), (), data, revision="abc", load_dataset=glue_hub)
    assert glue_hub.calls[0][:2] == ("tau/commonsense_qa", "default")
    (example,) = load("commonsenseqa", data, "dev", "en")
    assert (example.id, example.question, example.label) == ("075e", "Where is a river?", 0)
    assert example.choices == ("valley", "sky", "desk", "moon", "cup")


def test_an_unlabelled_test_row_is_refused_not_written_as_a_class(tmp_path: Path) -> None:
    rows = [{"sentence": "x", "label": -1, "idx": 0}]
    with pytest.raises(DataError, match=r"id -1 outside 0\.\.1"):
        fetch(hub_source("sst2"), (), tmp_path, revision="abc",
              load_dataset=lambda repo, config, **kwargs: rows)  # fmt: skip


@pytest.mark.parametrize("task", ["mnli", "sst2", "qqp", "squad_v2", "commonsenseqa"])
def test_offline_fetch_is_one_user_error_naming_the_repo(tmp_path: Path, task: str) -> None:
    def offline(repo: str, config: str, **kwargs: Any) -> list[dict]:
        raise ConnectionError(f"Couldn't reach '{repo}' on the Hub (LocalEntryNotFoundError)")

    message = rf"could not download {hub_source(task).repo} .*HF_DATASETS_OFFLINE"
    with pytest.raises(XstiltsError, match=message):
        fetch(hub_source(task), (), tmp_path, revision="abc", load_dataset=offline)


def test_a_task_without_a_hub_source_says_where_its_data_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["fetch", "ccg", "--out", str(tmp_path)]) != 0
    err = capsys.readouterr().err
    assert "ccg has no Hugging Face Hub source" in err and "CCGbank (LDC2005T13)" in err
