"""Every language a task carries is known, and study languages may use any code of the table."""

from __future__ import annotations

import pytest

from xstilts.config import study_from_dict
from xstilts.errors import ConfigError
from xstilts.languages.table import is_known, language, to_iso639_1
from xstilts.tasks.registry import TASKS
from xstilts.tasks.retrieval_tasks import TATOEBA_CODES


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


def test_a_language_no_task_carries_is_refused_with_its_key() -> None:
    with pytest.raises(ConfigError, match=r"languages\[0\]: no task carries 'am'"):
        study_from_dict({"target_tasks": ["xnli"], "languages": ["am"]})
