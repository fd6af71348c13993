"""What the Hub holds (``xstilts.data.hub.configs``): its tables agree with ours, and the
plan of configs and splits a task needs."""

from __future__ import annotations

import pytest
from hub_helpers import hub_source

from xstilts.data import hub
from xstilts.data.hub import hub_plan, hub_splits
from xstilts.data.hub.configs import config_language
from xstilts.data.tagging_format import PANX_LABELS
from xstilts.errors import XstiltsError
from xstilts.evaluate.xtreme_score import TASK_LANGUAGES, XTREME
from xstilts.tasks.catalog.tatoeba import TATOEBA_CODES
from xstilts.tasks.catalog.tydiqa import TYDIQA_NAMES
from xstilts.tasks.catalog.udpos import UPOS_LABELS


@pytest.mark.parametrize(
    "task", ["xnli", "pawsx", "panx", "udpos", "xquad", "mlqa", "tydiqa", "bucc2018", "tatoeba"]
)
def test_hub_covers_exactly_the_xtreme_languages(task: str) -> None:
    assert set(hub_source(task).languages) == set(TASK_LANGUAGES[XTREME][task])


def test_language_code_tables_agree_with_the_task_modules() -> None:
    assert {iso: TATOEBA_CODES[iso] for iso in hub.TATOEBA_HUB_CODES} == hub.TATOEBA_HUB_CODES
    assert {name: iso for iso, name in TYDIQA_NAMES.items()} == hub.TYDIQA_ID_LANGUAGES


def test_class_label_orders() -> None:
    # PanxParser / UdposParser ClassLabel names, id order; UPOS is alphabetical = our labels.
    assert hub.PANX_HUB_LABELS == PANX_LABELS
    assert hub.UPOS_HUB_LABELS == UPOS_LABELS


def test_hub_splits_per_config() -> None:
    assert hub_splits("XNLI") == ("validation", "test")
    assert hub_splits("tydiqa") == ("train", "validation")
    assert hub_splits("XQuAD.de") == ("validation",)
    assert hub_splits("tatoeba.deu") == ("validation",)
    assert hub_splits("bucc18.de") == ("validation", "test")
    assert hub_splits("udpos.Thai") == ("test",)
    assert hub_splits("udpos.Kazakh") == ("train", "test")
    assert hub_splits("udpos.German") == ("train", "validation", "test")
    with pytest.raises(XstiltsError, match="unknown google/xtreme config"):
        hub_splits("XCOPA.et")


def test_plan_adds_english_and_squad_where_training_needs_them() -> None:
    assert hub_plan(hub_source("panx"), ["de"]) == [
        ("PAN-X.de", "train"), ("PAN-X.de", "validation"), ("PAN-X.de", "test"),
        ("PAN-X.en", "train"), ("PAN-X.en", "validation"), ("PAN-X.en", "test"),
    ]  # fmt: skip
    assert hub_plan(hub_source("xquad"), ["de"])[:2] == [
        ("SQuAD", "train"),
        ("SQuAD", "validation"),
    ]
    assert ("XQuAD.de", "validation") in hub_plan(hub_source("xquad"), ["de"])
    assert hub_plan(hub_source("mlqa"), ["de"])[0] == ("SQuAD", "train")
    assert ("MLQA.de.de", "test") in hub_plan(hub_source("mlqa"), ["de"])
    assert hub_plan(hub_source("udpos"), ["th"]) == [
        ("udpos.English", "train"), ("udpos.English", "validation"), ("udpos.English", "test"),
        ("udpos.Thai", "test"),
    ]  # fmt: skip
    assert hub_plan(hub_source("tatoeba"), ["sw"]) == [
        ("tatoeba.swh", "validation")
    ]  # no English config
    assert len(hub_plan(hub_source("tatoeba"))) == 36


def test_plan_refuses_languages_and_tasks_not_on_the_hub() -> None:
    with pytest.raises(XstiltsError, match="xquad on google/xtreme has no language"):
        hub_plan(hub_source("xquad"), ["ro"])  # an XTREME-R addition
    with pytest.raises(XstiltsError, match=r"xcopa on cambridgeltl/xcopa has no language\(s\) en"):
        hub_plan(hub_source("xcopa"), ["en"])  # English COPA comes with every xcopa fetch


@pytest.mark.parametrize("task", ["pawsx", "panx", "udpos", "xquad", "mlqa", "bucc2018", "tatoeba"])
def test_each_planned_config_names_the_language_it_was_planned_for(task: str) -> None:
    """The converters read a config's language back from its name (``udpos.German`` → de)."""
    for language in hub_source(task).languages:
        configs = {
            config for config, _ in hub_plan(hub_source(task), [language]) if config != "SQuAD"
        }
        assert language in {config_language(config) for config in configs}
