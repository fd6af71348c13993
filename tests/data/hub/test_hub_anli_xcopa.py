"""ANLI+ (``facebook/anli`` + ``nyu-mll/glue`` mnli + ``stanfordnlp/snli``) and XCOPA
(``cambridgeltl/xcopa`` parquet files + COPA from ``aps/super_glue``'s ``refs/convert/parquet``)
from the Hub, and the script-only repo (HellaSwag) that is refused with where
its release is. A fake Hub serves miniature parquet files written in each repo's schema (the
cards' ``dataset_info``: ClassLabel ``label`` as int64 ids, SNLI's -1 for no gold label, XCOPA's
int32 ``label``/``idx`` and bool ``changed``); the task readers load what ``fetch`` wrote. No
network."""

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
from xstilts.data.hub import fetch
from xstilts.data.hub.fetching import parquet_url
from xstilts.errors import XstiltsError

ANLI = {
    "train_r1": [{"uid": "a1", "premise": "A cat sat.", "hypothesis": "An animal sat.",
                  "label": 0, "reason": "cats are animals"}],
    "dev_r1": [{"uid": "d1", "premise": "It rained.", "hypothesis": "It was dry.",
                "label": 2, "reason": ""}],
}  # fmt: skip
for _round in ("2", "3"):
    ANLI[f"train_r{_round}"] = [dict(ANLI["train_r1"][0], uid=f"a{_round}", label=1)]
    ANLI[f"dev_r{_round}"] = [dict(ANLI["dev_r1"][0], uid=f"d{_round}")]
MNLI = [{"premise": "He runs.", "hypothesis": "He moves.", "label": 0, "idx": 4}]
SNLI = [
    {"premise": "Two dogs play.", "hypothesis": "Dogs sleep.", "label": 2},
    {"premise": "A man waits.", "hypothesis": "A man is late.", "label": -1},  # no majority
]
_XCOPA_ROW = {"premise": "Mees keeras kraani lahti.", "choice1": "Tualett täitus veega.",
              "choice2": "Tilast voolas vett.", "question": "effect", "label": 1, "idx": 0,
              "changed": False}  # fmt: skip
_COPA_ROW = {"premise": "The man turned on the faucet.", "choice1": "The toilet filled.",
             "choice2": "Water flowed.", "question": "effect", "idx": 0, "label": 1}  # fmt: skip
_TYPES = {"label": pa.int64(), "idx": pa.int32(), "changed": pa.bool_()}
SHA = {"facebook/anli": "a" * 40, "nyu-mll/glue": "b" * 40, "stanfordnlp/snli": "c" * 40,
       "cambridgeltl/xcopa": "d" * 40, "aps/super_glue@refs/convert/parquet": "e" * 40}  # fmt: skip


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    """One parquet file in the repo's column order and types."""
    types = dict(_TYPES, label=pa.int32()) if "changed" in rows[0] else _TYPES
    schema = pa.schema([(name, types.get(name, pa.string())) for name in rows[0]])
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema), path)


class FakeHub:
    """``datasets.load_dataset`` over local parquet files: ``(repo, config, split)`` for a repo
    read through its card, ``("parquet", data_files={"train": url})`` for a file of a repo."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.calls: list[tuple[str, ...]] = []

    def add(self, key: str, rows: list[dict[str, Any]]) -> None:
        _write(self.root / f"{key}.parquet", rows)

    def __call__(self, repo: str, config: str | None = None, **kwargs: Any) -> list[dict]:
        if repo == "parquet":
            url = kwargs["data_files"]["train"]
            self.calls.append(("parquet", url))
            key = url.removeprefix("hf://datasets/").removesuffix(".parquet")
        else:
            self.calls.append((repo, str(config), kwargs["split"], kwargs.get("revision", "")))
            key = f"{repo}/{config}/{kwargs['split']}"
        return pq.read_table(self.root / f"{key}.parquet").to_pylist()


@pytest.fixture
def fake_hub(tmp_path: Path) -> FakeHub:
    fake = FakeHub(tmp_path / "hub")
    for split, rows in ANLI.items():
        fake.add(f"facebook/anli/plain_text/{split}", rows)
    fake.add("nyu-mll/glue/mnli/train", MNLI)
    fake.add("stanfordnlp/snli/plain_text/train", SNLI)
    for language in ("et", "zh"):
        for split in ("validation", "test"):
            fake.add(f"cambridgeltl/xcopa@{'d' * 40}/{language}/{split}-00000-of-00001",
                     [_XCOPA_ROW])  # fmt: skip
    for split in ("train", "validation"):
        fake.add(f"aps/super_glue@{'e' * 40}/copa/{split}/0000", [_COPA_ROW])
    return fake


def test_anli_plus_is_fetched_from_three_repos_each_pinned(
    tmp_path: Path, fake_hub: FakeHub
) -> None:
    data = tmp_path / "data"
    fetch(hub_source("anli"), (), data, load_dataset=fake_hub, resolve_revision=SHA.__getitem__)
    assert [call[:3] for call in fake_hub.calls[:2]] == [
        ("nyu-mll/glue", "mnli", "train"), ("stanfordnlp/snli", "plain_text", "train"),
    ]  # fmt: skip
    assert {call[0]: call[3] for call in fake_hub.calls} == {
        repo: sha for repo, sha in SHA.items() if repo in ("facebook/anli", "nyu-mll/glue",
                                                            "stanfordnlp/snli")
    }  # fmt: skip
    train = load("anli", data, "train", "en")
    # ANLI R1-R3, then MNLI, then SNLI without its no-majority pair
    assert [(e.id, e.label) for e in train] == [
        ("a1", "entailment"), ("a2", "neutral"), ("a3", "neutral"), ("4", "entailment"),
        ("0", "contradiction"),
    ]  # fmt: skip
    dev = load("anli", data, "dev", "en")
    assert [(e.id, e.text_a, e.label) for e in dev] == [
        ("d1", "It rained.", "contradiction"), ("d2", "It rained.", "contradiction"),
        ("d3", "It rained.", "contradiction"),
    ]  # fmt: skip
    record = json.loads((data / "anli" / hub.SOURCE_FILE).read_text())["files"]
    assert record["snli_1.0/snli_1.0_train.jsonl"]["repo"] == "stanfordnlp/snli"
    assert record["MNLI/train.tsv"]["revision"] == "b" * 40
    assert record["R2/dev.jsonl"] == dict(record["R2/dev.jsonl"], config="plain_text",
                                          split="dev_r2", revision="a" * 40)  # fmt: skip
    released = json.loads((data / "anli" / "R1" / "train.jsonl").read_text())
    assert released == {"uid": "a1", "context": "A cat sat.", "hypothesis": "An animal sat.",
                        "label": "e", "reason": "cats are animals"}  # fmt: skip


def test_xcopa_reads_parquet_files_and_copa_from_the_converted_branch(
    tmp_path: Path, fake_hub: FakeHub
) -> None:
    data = tmp_path / "data"
    fetch(hub_source("xcopa"), ["et", "zh"], data, load_dataset=fake_hub,
          resolve_revision=SHA.__getitem__)  # fmt: skip
    urls = [call[1] for call in fake_hub.calls]
    assert urls[0] == f"hf://datasets/aps/super_glue@{'e' * 40}/copa/train/0000.parquet"
    assert f"hf://datasets/cambridgeltl/xcopa@{'d' * 40}/zh/test-00000-of-00001.parquet" in urls
    (english,) = load("xcopa", data, "train", "en")
    assert (english.context, english.question, english.label) == (
        "The man turned on the faucet.",
        "What was the effect?",
        1,
    )
    (estonian,) = load("xcopa", data, "test", "et")  # released test labels stay gold labels
    assert (estonian.choices, estonian.label) == (("Tualett täitus veega.",
                                                   "Tilast voolas vett."), 1)  # fmt: skip
    assert hub_source("xcopa").languages == tuple(hub_source("xcopa").families)
    assert [lang for lang in ("en", "et", "zh", "it") if load_ok(data, lang)] == ["en", "et", "zh"]


def load_ok(data: Path, language: str) -> bool:
    try:
        load("xcopa", data, "dev", language)
    except XstiltsError:
        return False
    return True


def test_a_hidden_copa_test_label_is_refused(tmp_path: Path) -> None:
    source = hub_source("xcopa").companions[0]
    with pytest.raises(XstiltsError, match="label should be 0 or 1"):
        hub.convert_rows(source, "copa", "train", [dict(_COPA_ROW, label=-1)], tmp_path)


def test_branch_names_are_encoded_in_the_file_url() -> None:
    assert parquet_url("aps/super_glue", "refs/convert/parquet", "copa/train/0000.parquet") == (
        "hf://datasets/aps/super_glue@refs%2Fconvert%2Fparquet/copa/train/0000.parquet"
    )


def test_a_script_only_repo_is_refused_with_where_the_release_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task, release = "hellaswag", "github.com/rowanz/hellaswag"
    with pytest.raises(XstiltsError, match="only a loading script"):
        fetch(hub_source(task), (), tmp_path, load_dataset=lambda *a, **k: [])
    assert cli.main(["fetch", task, "--out", str(tmp_path)]) != 0
    err = capsys.readouterr().err
    assert release in err and f"DATA_DIR/{task}/" in err and not (tmp_path / task).exists()
    cli.main(["fetch", "--list"])
    listed = [line for line in capsys.readouterr().out.splitlines() if line.startswith(task)]
    assert len(listed) == 1 and "not fetchable" in listed[0]
