"""Every language a task carries is known, and study languages may use any code of the table."""

from __future__ import annotations

from pathlib import Path

import pytest

from xstilts.config import study_from_dict
from xstilts.errors import ConfigError, DataError
from xstilts.evaluate.score import score_file
from xstilts.languages.table import is_known, language, to_iso639_1
from xstilts.tasks.catalog.tatoeba import TATOEBA_CODES, load_tatoeba
from xstilts.tasks.registry import TASKS


def test_every_language_any_task_carries_is_in_the_table() -> None:
    carried = {lang for spec in TASKS.values() for lang in spec.languages}
    assert sorted(lang for lang in carried if not is_known(lang)) == []


@pytest.mark.parametrize(("iso1", "dataset_code"), sorted(TATOEBA_CODES.items()))
def test_tatoeba_file_codes_map_to_the_task_language(iso1: str, dataset_code: str) -> None:
    # LASER names its files by ISO 639-3 (or a macrolanguage member: swh, cmn, pes)
    assert to_iso639_1(dataset_code) == iso1
    assert language(iso1).iso639_1 == iso1


def test_study_languages_accept_639_3_and_dataset_codes() -> None:
    study = study_from_dict(
        {"target_tasks": ["xnli", "tatoeba"], "languages": ["swh", "deu", "cmn", "en"]}
    )
    assert study.languages == ["sw", "de", "zh", "en"]


def test_every_language_a_task_fetches_from_the_hub_is_in_the_table() -> None:
    hub = {lang for spec in TASKS.values() if spec.hub for lang in spec.hub.languages}
    assert sorted(lang for lang in hub if not is_known(lang)) == []


def test_amharic_is_carried_by_tatoeba_from_the_laser_release() -> None:
    """The issue called ``am`` an XTREME-R/Mewsli-X language; no XTREME-R list has it
    (SOURCES.md), but the LASER Tatoeba release does, so a study may name it."""
    assert "am" in TASKS["tatoeba"].languages and TATOEBA_CODES["am"] == "amh"
    assert not any("am" in spec.languages for name, spec in TASKS.items() if name != "tatoeba")
    study = study_from_dict({"target_tasks": ["tatoeba"], "languages": ["amh", "en"]})
    assert study.languages == ["am", "en"]


def test_a_language_no_task_carries_is_refused_with_its_key() -> None:
    with pytest.raises(ConfigError, match=r"languages\[0\]: no task carries 'mi'"):
        study_from_dict({"target_tasks": ["xnli"], "languages": ["mi"]})


def test_score_takes_any_code_of_the_language(tmp_path: Path) -> None:
    gold, pred = tmp_path / "gold.tsv", tmp_path / "pred.tsv"
    gold.write_text("0\n1\n2\n", encoding="utf-8")
    pred.write_text("0\n2\n2\n", encoding="utf-8")
    scores = {code: score_file("tatoeba", code, pred, gold) for code in ("sw", "swh", "swa")}
    assert scores["swh"] == scores["swa"] == scores["sw"] == {"accuracy": pytest.approx(200 / 3)}
    assert score_file("tatoeba", "amh", pred, gold) == scores["sw"]


def test_missing_amharic_files_name_the_paths_and_the_one_release_that_has_them(
    tmp_path: Path,
) -> None:
    with pytest.raises(DataError) as amharic:
        load_tatoeba(tmp_path, "test", "am")
    message = str(amharic.value)
    assert "tatoeba.amh-eng.amh, tatoeba.amh-eng.eng, v1/tatoeba.amh-eng.amh" in message
    assert "facebookresearch/LASER" in message and "fetch" not in message
    with pytest.raises(DataError, match="or xstilts fetch tatoeba --out DATA_DIR"):
        load_tatoeba(tmp_path, "test", "de")


def test_langs_lists_a_language_once_whatever_codes_name_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from xstilts.cli import main

    assert main(["langs", "am", "sw", "swh", "amh"]) == 0
    rows = [line.split()[0] for line in capsys.readouterr().out.splitlines()[2:]]
    assert sorted(rows) == ["am", "sw"]  # am (Amharic, an XTREME-R/Mewsli-X language) accepted
