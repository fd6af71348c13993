"""Social IQa and Cosmos QA from ``refs/convert/parquet`` (``xstilts.data.hub.converted``).

A fake Hub serves miniature parquet files written in the converted schema (SIQA: every column a
string, ``label`` ``"1"``-``"3"``; Cosmos QA: ``cosmos_qa.py``'s features, ``label`` int32); the
task readers load what ``fetch`` wrote, and ``hub-source.json`` records the resolved branch
commit and each file's sha256. No network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hub_helpers import hub_source, load

from xstilts.data import hub
from xstilts.data.hub import fetch
from xstilts.errors import XstiltsError

SHA = {"allenai/social_i_qa@refs/convert/parquet": "f" * 40,
       "allenai/cosmos_qa@refs/convert/parquet": "9" * 40}  # fmt: skip
SIQA = {
    "train": [{"context": "Tracy gave Kai a ride.", "question": "Why did Tracy do this?",
               "answerA": "to help Kai", "answerB": "to walk", "answerC": "to sleep",
               "label": "1"},
              {"context": "Jan sang loudly.", "question": "How would Jan feel after?",
               "answerA": "sad", "answerB": "tired", "answerC": "proud", "label": "3\n"}],
    "validation": [{"context": "Remy baited Kai's hook.", "question": "What will Remy do next?",
                    "answerA": "sleep", "answerB": "cast the line", "answerC": "leave",
                    "label": "2"}],
}  # fmt: skip
_COSMOS_ROW = {"id": "blog_17##q1_a1", "context": "We missed the last bus, so we walked home.",
               "question": "What may happen next ?", "answer0": "None of the above choices .",
               "answer1": "They will get home late .", "answer2": "They will take the bus .",
               "answer3": "They will fly home .", "label": 1}  # fmt: skip
COSMOS = {"train": [_COSMOS_ROW, dict(_COSMOS_ROW, id="b", context='He said "yes",\nthen left.',
                                     label=3)],
          "validation": [dict(_COSMOS_ROW, id="v", label=0)]}  # fmt: skip


def _serve(root: Path, repo: str, sha: str, splits: dict[str, list[dict[str, Any]]]) -> None:
    """``{repo}@{sha}/default/{split}/0000.parquet`` in the converted column types."""
    for split, rows in splits.items():
        types = {"label": pa.int32()} if "answer0" in rows[0] else {}
        schema = pa.schema([(name, types.get(name, pa.string())) for name in rows[0]])
        path = root / f"{repo}@{sha}" / "default" / split / "0000.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows, schema), path)


@pytest.fixture
def fake_hub(tmp_path: Path) -> Any:
    """``load_dataset("parquet", data_files={"train": url})`` over the served files; the urls
    asked for are kept in ``.urls``."""
    root = tmp_path / "hub"
    _serve(root, "allenai/social_i_qa", "f" * 40, SIQA)
    _serve(root, "allenai/cosmos_qa", "9" * 40, COSMOS)

    def load_dataset(repo: str, config: str | None = None, **kwargs: Any) -> list[dict]:
        assert repo == "parquet" and config is None and kwargs["split"] == "train"
        url = kwargs["data_files"]["train"]
        load_dataset.urls.append(url)  # type: ignore[attr-defined]
        return pq.read_table(root / url.removeprefix("hf://datasets/")).to_pylist()

    load_dataset.urls = []  # type: ignore[attr-defined]
    return load_dataset


def test_siqa_is_fetched_from_the_converted_branch_in_the_leaderboard_layout(
    tmp_path: Path, fake_hub: Any
) -> None:
    data = tmp_path / "data"
    fetch(hub_source("siqa"), (), data, load_dataset=fake_hub, resolve_revision=SHA.__getitem__)
    assert fake_hub.urls == [
        f"hf://datasets/allenai/social_i_qa@{'f' * 40}/default/{split}/0000.parquet"
        for split in ("train", "validation")
    ]
    assert (data / "siqa" / "train-labels.lst").read_text() == "1\n3\n"
    train = load("siqa", data, "train", "en")
    assert [(e.id, e.context, e.choices, e.label) for e in train] == [
        ("0", "Tracy gave Kai a ride.", ("to help Kai", "to walk", "to sleep"), 0),
        ("1", "Jan sang loudly.", ("sad", "tired", "proud"), 2),
    ]
    (dev,) = load("siqa", data, "dev", "en")
    assert (dev.question, dev.choices[dev.label]) == ("What will Remy do next?", "cast the line")
    record = json.loads((data / "siqa" / hub.SOURCE_FILE).read_text())["files"]
    labels = record["dev-labels.lst"]
    assert (labels["repo"], labels["revision"], labels["split"]) == (
        "allenai/social_i_qa", "f" * 40, "validation",
    )  # fmt: skip
    assert len(labels["sha256"]) == 64


def test_cosmosqa_is_fetched_from_the_converted_branch_as_the_release_csv(
    tmp_path: Path, fake_hub: Any
) -> None:
    data = tmp_path / "data"
    fetch(hub_source("cosmosqa"), (), data, load_dataset=fake_hub,
          resolve_revision=SHA.__getitem__)  # fmt: skip
    assert (
        fake_hub.urls[0] == f"hf://datasets/allenai/cosmos_qa@{'9' * 40}/default/train/0000.parquet"
    )
    train = load("cosmosqa", data, "train", "en")
    assert [(e.id, e.label) for e in train] == [(_COSMOS_ROW["id"], 1), ("b", 3)]
    assert train[1].context == 'He said "yes",\nthen left.'  # quoted csv keeps both
    assert train[0].choices == tuple(_COSMOS_ROW[f"answer{i}"] for i in range(4))
    (dev,) = load("cosmosqa", data, "dev", "en")
    assert (dev.id, dev.label) == ("v", 0)
    record = json.loads((data / "cosmosqa" / hub.SOURCE_FILE).read_text())["files"]
    assert record["valid.csv"]["revision"] == "9" * 40


@pytest.mark.parametrize(
    ("task", "row", "message"),
    [("cosmosqa", dict(_COSMOS_ROW, label=-1), "label should be 0, 1, 2 or 3"),
     ("siqa", dict(SIQA["train"][0], label="D"), "label should be 1, 2 or 3"),
     ("siqa", dict(SIQA["train"][0], label=1), "should be a string")],
)  # fmt: skip
def test_an_unlabelled_or_mistyped_label_is_refused(
    tmp_path: Path, task: str, row: dict[str, Any], message: str
) -> None:
    with pytest.raises(XstiltsError, match=message):
        hub.convert_rows(hub_source(task), "default", "train", [row], tmp_path)
