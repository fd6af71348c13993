"""The ``pretraining:`` section: rotation and explicit designs, English replay tokens, and every
mistake reported with its key path before any work."""

from __future__ import annotations

from typing import Any

import pytest

from xstilts.config import StudyConfig, study_from_dict
from xstilts.errors import ConfigError


def study(**pretraining: Any) -> StudyConfig:
    return study_from_dict({"target_tasks": ["xnli"], "pretraining": pretraining}, "s.yaml")


def test_a_rotation_gives_every_language_every_budget_once():
    section = study(languages=["de", "ru", "hi"], budgets=[0, 10, 100]).pretraining
    assert section is not None
    cells = section.designed_cells()
    assert cells == [{"de": 0, "ru": 10, "hi": 100}, {"de": 10, "ru": 100, "hi": 0},
                     {"de": 100, "ru": 0, "hi": 10}]  # fmt: skip
    for language in ("de", "ru", "hi"):
        assert sorted(cell[language] for cell in cells) == [0, 10, 100]


def test_english_replay_is_its_share_of_the_cell():
    section = study(cells=[{"de": 600, "fr": 300}], english_replay=0.25).pretraining
    assert section is not None
    english = section.english_tokens(section.cells[0])
    assert english == 300 and english / (english + 900) == 0.25
    assert study(cells=[{"de": 7}]).pretraining.english_tokens({"de": 7}) == 0  # type: ignore[union-attr]


def test_a_study_without_the_section_keeps_its_json():
    plain = study_from_dict({"target_tasks": ["xnli"]})
    assert "pretraining" not in plain.to_json()
    assert '"pretraining": {' in study(cells=[{"de": 1}]).to_json()


@pytest.mark.parametrize(
    "section,message",
    [
        ({"cells": [{"de": 1}], "languages": ["de"], "budgets": [1]}, r"pretraining: give either"),
        ({}, r"pretraining: give either cells"),
        ({"languages": ["de"]}, r"pretraining.budgets: a rotation design needs"),
        ({"cells": [{"de": -1}]}, r"pretraining.cells\[0\].de: expected a token budget"),
        ({"cells": [{"de": "ten"}]}, r"pretraining.cells\[0\].de: expected an integer"),
        ({"cells": [{"de": 0, "fr": 0}]}, r"pretraining.cells\[0\]: cell 0 trains on 0 tokens"),
        ({"cells": [{"en": 5}]}, r"pretraining.cells\[0\].en: 'en' is the source language"),
        ({"cells": [{"../x": 5}]}, r"pretraining.cells\[0\].../x: '../x' is not a language"),
        (
            {"languages": ["de", "de"], "budgets": [1]},
            r"pretraining.languages\[1\]: 'de' is listed twice",
        ),
        ({"cells": [{"de": 1}], "english_replay": 1.0}, r"pretraining.english_replay: expected"),
        (
            {"cells": [{"de": 1}], "train": {"learnig_rate": 1}},
            r"pretraining.train.learnig_rate: "
            r"unknown key; did you mean 'learning_rate'",
        ),
        ({"cells": [{"de": 1}], "train": {"max_length": 4}}, r"pretraining.train.max_length: "),
        ({"cells": [{"de": 1}], "train": {"precision": "fp8"}}, r"pretraining.train.precision"),
        ({"cells": [{"de": 1}], "corpus": "x"}, r"pretraining.corpus: unknown key; did you mean"),
    ],
)
def test_mistakes_name_their_key_path(section: dict[str, Any], message: str):
    with pytest.raises(ConfigError, match=rf"^s.yaml: {message}"):
        study(**section)
