"""Hostile inputs to the format readers: one DataError line naming file and line, never a
traceback, never a silently dropped row, never a malformed value accepted (issue #11)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from xstilts.config import study_from_dict
from xstilts.data.ccg_format import read_ccg_tags_to_id
from xstilts.data.classification_format import read_mnli_tsv, read_snli_jsonl, read_xnli_tsv
from xstilts.data.json_records import read_json_document
from xstilts.data.multiple_choice_format import read_copa_jsonl, read_cosmosqa
from xstilts.data.squad_format import read_squad
from xstilts.errors import DataError
from xstilts.experiments.task_data import describe_tasks, load_examples, task_data
from xstilts.tasks.catalog.xnli import XNLI_LANGUAGES, xnli_languages_found

XNLI_HEADER = "language\tgold_label\tsentence1\tsentence2\tpairID\n"
MNLI_HEADER = "index\tpairID\tsentence1\tsentence2\tgold_label\n"


def test_tsv_field_over_128_kib_is_read(tmp_path: Path) -> None:
    long_text = "word " * 60_000  # 300 KB: over csv's default field limit
    path = tmp_path / "train.tsv"
    path.write_text(MNLI_HEADER + f"0\tp1\t{long_text}\tshort\tneutral\n", encoding="utf-8")
    (example,) = read_mnli_tsv(path)
    assert example.text_a == long_text and example.label == "neutral"


def test_csv_field_over_128_kib_is_read(tmp_path: Path) -> None:
    path = tmp_path / "valid.csv"
    context = "x" * 200_000
    path.write_text(
        "id,context,question,answer0,answer1,answer2,answer3,label\n"
        f'q1,"{context}",why?,a,b,c,d,2\n',
        encoding="utf-8",
    )
    (example,) = read_cosmosqa(path)
    assert len(example.context) == 200_000 and example.label == 2


@pytest.mark.parametrize("label", ["١", "²", "2.0", "Infinity", "9" * 5000, "-1", " "])
def test_odd_digits_as_csv_label_are_errors(tmp_path: Path, label: str) -> None:
    path = tmp_path / "valid.csv"
    path.write_text(
        f"id,context,question,answer0,answer1,answer2,answer3,label\nq1,c,q,a,b,c,d,{label}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"valid\.csv:2: label should be a choice index 0\.\.3"):
        read_cosmosqa(path)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"idx": 1, "label": Infinity}', "Infinity is not a json number"),
        ('{"idx": 1, "label": NaN}', "NaN is not a json number"),
        ('{"idx": 1, "label": ' + "7" * 5000 + "}", "Exceeds the limit"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_hostile_json_lines_are_one_line_errors(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "val.jsonl"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"{path}:1: not valid json here")) as caught:
        read_copa_jsonl(path)
    assert reason in str(caught.value) and len(str(caught.value)) < 300


def test_non_utf8_files_name_the_file(tmp_path: Path) -> None:
    for name, reader in (("t.json", read_json_document), ("tags.json", read_ccg_tags_to_id)):
        path = tmp_path / name
        path.write_bytes(b'{"a": "\xff\xfe"}')
        with pytest.raises(DataError, match="not valid UTF-8"):
            reader(path)
    path = tmp_path / "train.tsv"
    path.write_bytes(MNLI_HEADER.encode() + b"0\tp\t\xe9t\xe9\tb\tneutral\n")
    with pytest.raises(DataError, match=re.escape(f"{path}:2: not valid UTF-8")):
        read_mnli_tsv(path)


def test_ccg_tag_ids_must_be_json_integers(tmp_path: Path) -> None:
    path = tmp_path / "tags_to_id.json"
    path.write_text(json.dumps({"N": 0, "NP": 1.5}), encoding="utf-8")
    with pytest.raises(DataError, match="'NP' should be an integer"):
        read_ccg_tags_to_id(path)


@pytest.mark.parametrize("code", ["de ", "DE", "deu", ""])
def test_xnli_rows_with_an_unknown_language_code_stop_with_the_line(
    tmp_path: Path, code: str
) -> None:
    path = tmp_path / "xnli.dev.tsv"
    path.write_text(
        XNLI_HEADER + "de\tneutral\ta\tb\t1\n" + f"{code}\tneutral\ta\tb\t2\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match=re.escape(f"{path}:3: language {code!r} is not a code")):
        read_xnli_tsv(path, "de", XNLI_LANGUAGES)
    with pytest.raises(DataError, match=re.escape(f"{path}:3:")):
        xnli_languages_found(tmp_path, "dev")


def test_rows_without_annotator_majority_are_counted_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "snli.jsonl"
    rows = [("1", "neutral"), ("2", "-"), ("3", "-")]
    path.write_text(
        "".join(
            json.dumps({"pairID": i, "sentence1": "a", "sentence2": "b", "gold_label": g}) + "\n"
            for i, g in rows
        ),
        encoding="utf-8",
    )
    with caplog.at_level(logging.INFO, logger="xstilts"):
        assert [e.id for e in read_snli_jsonl(path)] == ["1"]
    assert f"{path}: skipped 2 rows with label '-'" in caplog.text
    caplog.clear()
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="xstilts"):
        assert [e.id for e in read_snli_jsonl(path)] == ["1"]
    assert f"{path}: skipped 1 row with label '-'" in caplog.text  # not "1 rows"


def _squad(path: Path, start: int, text: str = "cat") -> Path:
    qa = {"id": "q1", "question": "what?", "answers": [{"answer_start": start, "text": text}]}
    document = {"data": [{"paragraphs": [{"context": "the cat sat", "qas": [qa]}]}]}
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize("start", [-7, -3, 11, 10**12])
def test_squad_answer_start_outside_the_context_is_an_error(tmp_path: Path, start: int) -> None:
    path = _squad(tmp_path / "dev.json", start)
    with pytest.raises(DataError, match=r"answer_start .* lies outside the context"):
        read_squad(path, on_bad_offset="warn")
    assert read_squad(_squad(tmp_path / "ok.json", 4))[0].answer_starts == (4,)


def test_train_file_without_label_column_stops_before_training(
    demo_copy: Path, tmp_path: Path
) -> None:
    train = demo_copy / "mnli" / "train.tsv"
    header, *rows = train.read_text(encoding="utf-8").splitlines()
    columns = header.split("\t")
    keep = [i for i, name in enumerate(columns) if name != "gold_label"]
    train.write_text(
        "\n".join("\t".join(line.split("\t")[i] for i in keep) for line in [header, *rows]) + "\n",
        encoding="utf-8",
    )
    study = study_from_dict({
        "intermediate_tasks": ["mnli"], "target_tasks": ["xnli"],
        "data_dir": str(demo_copy), "output_dir": str(tmp_path / "out"),
    })  # fmt: skip
    mnli = task_data(describe_tasks(study)["mnli"])
    with pytest.raises(DataError, match=r"mnli train \(en\): example .* has no gold label"):
        load_examples(mnli, study.intermediate)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"de,\xd9\xa1\n", re.escape(":3: volume '\u0661' is not a number")),
        (b"de,\xff\n", ":3: not valid UTF-8"),
        (b'de,"' + b"x" * 200_000 + b'"\n', ":3: (malformed csv|volume 'xxx)"),
    ],
)
def test_user_volume_table_refuses_odd_digits_and_bytes(
    tmp_path: Path, body: bytes, message: str
) -> None:
    from xstilts.languages.table import read_volume_csv

    path = tmp_path / "volumes.csv"
    path.write_bytes(b"language,volume\nen,1.5e3\n" + body)
    with pytest.raises(DataError, match=message):
        read_volume_csv(path)
