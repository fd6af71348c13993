"""The multiple-choice tasks (``tasks/catalog/xcopa.py``, ``siqa.py``, ...): every fixture loads,
both layouts of XCOPA and SIQA, the errors a user can cause, and XCOPA's reference recipe."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from multiple_choice_data import FIXTURES, TR_RECORDS, jsonl, make_xcopa_folders
from xstilts.errors import DataError
from xstilts.tasks.catalog.siqa import load_siqa
from xstilts.tasks.catalog.xcopa import load_xcopa, xcopa_languages_found
from xstilts.tasks.registry import TASKS

SPECS = TASKS


# ---------------------------------------------------------------------------------------------
# Task specs: every fixture loads; both layouts of XCOPA and SIQA
# ---------------------------------------------------------------------------------------------


def test_xcopa_spec_finds_languages_in_both_layouts(tmp_path: Path) -> None:
    folder = make_xcopa_folders(tmp_path) / "xcopa"
    spec = SPECS["xcopa"]
    assert spec.family == "multiple_choice" and spec.metric == "accuracy"
    assert spec.languages == ("et", "ht", "id", "it", "qu", "sw", "ta", "th", "tr", "vi", "zh")
    assert xcopa_languages_found(folder, "train") == ["en"]
    assert xcopa_languages_found(folder, "dev") == ["en", "it", "tr"]
    assert spec.evaluation_languages(folder, "test", []) == ["it", "tr"]
    assert [e.id for e in spec.load(folder, "dev", "it")] == ["1", "2", "3"]
    assert [e.label for e in spec.load(folder, "test", "tr")] == [0, 1]
    assert [e.label for e in spec.load(folder, "dev", "en")] == [1, 1, 0]  # COPA val


def test_intermediate_specs_load_their_fixtures(tmp_path: Path) -> None:
    expected = {
        "siqa": (FIXTURES / "siqa", [2, 1, 2], 3),
        "hellaswag": (FIXTURES / "hellaswag", [3, 0, 2], 4),
        "cosmosqa": (FIXTURES / "cosmosqa", [1, 2, 0], 4),
        "commonsenseqa": (FIXTURES / "commonsenseqa", [0, 4, 1], 5),
    }
    for name, (folder, labels, choices) in expected.items():
        spec = SPECS[name]
        assert spec.family == "multiple_choice" and spec.test_split is None
        examples = spec.load(folder, "dev", "en")
        assert [e.label for e in examples] == labels, name
        assert {len(e.choices) for e in examples} == {choices}, name
        assert spec.languages_found(folder, "dev") == ["en"]


def test_siqa_leaderboard_release_layout(tmp_path: Path) -> None:
    folder = tmp_path / "siqa" / "socialiqa-train-dev"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "siqa" / "dev.jsonl", folder / "train.jsonl")
    shutil.copy(FIXTURES / "siqa" / "dev-labels.lst", folder / "train-labels.lst")
    from_release = load_siqa(tmp_path / "siqa", "train", "en")
    from_xtreme = load_siqa(FIXTURES / "siqa", "dev", "en")
    assert from_release == from_xtreme


# ---------------------------------------------------------------------------------------------
# Errors a user can cause
# ---------------------------------------------------------------------------------------------


def test_missing_xcopa_file_names_every_place_looked(tmp_path: Path) -> None:
    (tmp_path / "xcopa").mkdir()
    with pytest.raises(DataError, match=re.escape("val.sw.jsonl, data/sw/val.sw.jsonl")):
        load_xcopa(tmp_path / "xcopa", "dev", "sw")
    with pytest.raises(DataError, match=r"COPA train file.*train\.en\.jsonl, COPA/train\.jsonl"):
        load_xcopa(tmp_path / "xcopa", "train", "en")
    with pytest.raises(DataError, match="XCOPA trains on English COPA only"):
        load_xcopa(tmp_path / "xcopa", "train", "it")
    with pytest.raises(DataError, match="XCOPA has no language 'de'"):
        load_xcopa(tmp_path / "xcopa", "dev", "de")


def test_unlabelled_file_as_dev_split_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "xcopa" / "COPA"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "copa" / "test.jsonl", folder / "val.jsonl")
    with pytest.raises(DataError, match="dev split has examples without a gold label"):
        load_xcopa(tmp_path / "xcopa", "dev", "en")


def test_siqa_release_without_labels_file(tmp_path: Path) -> None:
    (tmp_path / "siqa").mkdir()
    shutil.copy(FIXTURES / "siqa" / "dev.jsonl", tmp_path / "siqa" / "dev.jsonl")
    with pytest.raises(DataError, match=r"dev-labels.lst: file not found; the labels of dev.jsonl"):
        load_siqa(tmp_path / "siqa", "dev", "en")
    with pytest.raises(DataError, match="no split 'test'"):
        load_siqa(tmp_path / "siqa", "test", "en")


def test_malformed_xcopa_line(tmp_path: Path) -> None:
    folder = tmp_path / "xcopa"
    jsonl(folder / "val.it.jsonl", [{**TR_RECORDS[0], "question": "why"}])
    with pytest.raises(DataError, match=r"val.it.jsonl:1: question should be 'cause' or 'effect'"):
        load_xcopa(folder, "dev", "it")


def test_xcopa_recipe_is_xtreme_r_reference_settings() -> None:
    # xtreme:scripts/train_xcopa.sh for XLM-R Large: lr 3e-5, 2 x 16 batch, 5 epochs, length 128
    settings = {k: s.value for k, s in SPECS["xcopa"].recipe.settings().items()}
    assert {k: settings[k] for k in ("learning_rate", "epochs", "batch_size", "max_length")} == {
        "learning_rate": 3e-5, "epochs": 5, "batch_size": 32, "max_length": 128,
    }  # fmt: skip
    assert "scripts/train_xcopa.sh" in SPECS["xcopa"].recipe.learning_rate.source  # type: ignore[union-attr]
