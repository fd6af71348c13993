"""The QA tasks' file layouts (XTREME download, TyDiQA release, unzipped MLQA) and the one-line
errors for missing or malformed files (``tasks/catalog/{squad,squad_v2,xquad,mlqa,tydiqa}.py``)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from span_qa_data import FIXTURES, MLQA, TYDIQA, XQUAD, qa_data_dir
from xstilts.errors import DataError
from xstilts.tasks.catalog import mlqa, xquad

# --------------------------------------------------------------------------------------------
# Task layouts
# --------------------------------------------------------------------------------------------


def test_task_layouts_and_languages_found(tmp_path: Path) -> None:
    data = qa_data_dir(tmp_path)
    assert XQUAD.evaluation_languages(data / "xquad", "test", []) == ["en", "de", "zh"]
    assert XQUAD.evaluation_languages(data / "xquad", "dev", []) == ["en"]
    assert MLQA.evaluation_languages(data / "mlqa", "test", []) == ["en", "de", "zh"]
    assert MLQA.evaluation_languages(data / "mlqa", "dev", []) == ["en", "de"]
    assert TYDIQA.evaluation_languages(data / "tydiqa", "test", []) == ["en", "sw"]
    assert TYDIQA.dev_split is None
    assert len(XQUAD.load(data / "xquad", "train", "en")) == 16  # = SQuAD train
    assert len(MLQA.load(data / "mlqa", "train", "en")) == 16
    assert XQUAD.load(data / "xquad", "dev", "en")[0].id == "sq-d-01"
    assert [e.id for e in TYDIQA.load(data / "tydiqa", "test", "sw")] == ["swahili-3001-0"]
    assert set(xquad.XQUAD_LANGUAGES) >= {"en", "ar", "zh", "hi", "ro"}
    assert mlqa.MLQA_LANGUAGES == ("en", "es", "de", "ar", "hi", "vi", "zh")


def test_tydiqa_release_layout_splits_english_out_of_the_multilingual_train_file() -> None:
    release = FIXTURES / "tydiqa_release"
    train = TYDIQA.load(release, "train", "en")
    assert [e.id for e in train] == ["english--1001-0", "english-1003-0"]
    assert TYDIQA.languages_found(release, "test") == ["sw"]
    assert TYDIQA.load(release, "test", "sw")[0].answer_texts == ("Nairobi",)


def test_mlqa_reads_an_unzipped_mlqa_v1_folder(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "mlqa", tmp_path / "mlqa" / "MLQA_V1")
    assert MLQA.languages_found(tmp_path / "mlqa", "test") == ["en", "de", "zh"]
    assert len(MLQA.load(tmp_path / "mlqa", "test", "en")) == 2


# --------------------------------------------------------------------------------------------
# Malformed input
# --------------------------------------------------------------------------------------------


def test_missing_squad_copy_names_the_fix(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "xquad", tmp_path / "xquad")
    with pytest.raises(DataError, match=r"xstilts fetch xquad --out \S+ \(writes it\)"):
        XQUAD.load(tmp_path / "xquad", "train", "en")
    (tmp_path / "squad").mkdir()  # XTREME's download_data.sh layout: squad/ beside xquad/
    shutil.copy(FIXTURES / "xquad" / "xquad.de.json", tmp_path / "squad" / "train-v1.1.json")
    link = rf"ln -s \.\./squad/train-v1\.1\.json {re.escape(str(tmp_path / 'xquad'))}/$"
    with pytest.raises(DataError, match=link):
        XQUAD.load(tmp_path / "xquad", "train", "en")
    with pytest.raises(DataError, match="only English"):
        XQUAD.load(tmp_path / "xquad", "train", "de")
    with pytest.raises(DataError, match=r"no XQuAD file for 'th'; expected one of: xquad\.th"):
        XQUAD.load(tmp_path / "xquad", "test", "th")


def test_missing_mlqa_and_tydiqa_files_name_every_layout_tried(tmp_path: Path) -> None:
    mlqa = "test-context-th-question-th.json"
    tried = rf"expected one of: test/{mlqa}, MLQA_V1/test/{mlqa}; to get it: "
    with pytest.raises(DataError, match=tried):
        MLQA.load(tmp_path, "test", "th")
    dev = r"tydiqa-goldp-v1\.1-dev/"
    tried = rf"{dev}tydiqa\.sw\.dev\.json, {dev}tydiqa\.goldp\.sw\.dev\.json, "
    with pytest.raises(DataError, match=rf"{tried}{dev}tydiqa-goldp-dev-swahili\.json; to get"):
        TYDIQA.load(tmp_path, "test", "sw")
    release = r"tydiqa-goldp-v1\.1-train\.json"
    train = r"tydiqa-goldp-v1\.1-train/"
    tried = rf"{train}tydiqa\.en\.train\.json, {train}tydiqa\.goldp\.en\.train\.json, {train}"
    with pytest.raises(DataError, match=rf"{tried}{release}, {release}; to get it"):
        TYDIQA.load(tmp_path, "train", "en")


def test_bad_answer_offset_in_a_test_file_is_a_one_line_data_error(tmp_path: Path) -> None:
    document = json.loads((FIXTURES / "xquad" / "xquad.de.json").read_text(encoding="utf-8"))
    document["data"][0]["paragraphs"][0]["qas"][0]["answers"][0]["answer_start"] += 3
    folder = tmp_path / "xquad"
    folder.mkdir()
    (folder / "xquad.de.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(DataError, match=r"xquad\.de\.json: question 'xq-01': answer"):
        XQUAD.load(folder, "test", "de")
