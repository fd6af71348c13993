"""XTREME / XTREME-R lists, averaging and overall scores, checked against hand-computed values."""

from __future__ import annotations

import pytest

from xstilts.errors import XstiltsError
from xstilts.evaluate.xtreme_score import (
    TASK_LANGUAGES,
    headline,
    summarize,
    task_groups,
    task_languages,
    task_score,
)

# science.md §3 and §4, space-separated.
_XTREME_40_CODES = (
    "af ar bg bn de el en es et eu fa fi fr he hi hu id it ja jv ka kk ko ml mr ms my nl pt ru "
    "sw ta te th tl tr ur vi yo zh"
)
_XTREME_R_ADDED_CODES = "az gu ht lt pa pl qu ro uk wo"
XTREME_40 = set(_XTREME_40_CODES.split())
XTREME_R_ADDED = set(_XTREME_R_ADDED_CODES.split())


def test_language_counts_match_evaluate_py() -> None:
    counts = {task: len(langs) for task, langs in TASK_LANGUAGES["xtreme"].items()}
    assert counts == {
        "pawsx": 7,
        "xnli": 15,
        "panx": 40,
        "udpos": 33,
        "bucc2018": 4,
        "tatoeba": 36,
        "xquad": 11,
        "mlqa": 7,
        "tydiqa": 9,
    }
    counts_r = {task: len(langs) for task, langs in TASK_LANGUAGES["xtreme-r"].items()}
    assert counts_r == {
        "xnli": 15,
        "panx": 48,
        "udpos": 38,
        "tatoeba": 41,
        "xcopa": 11,
        "lareqa": 11,
        "mewslix": 11,
        "xquad": 12,
        "mlqa": 7,
        "tydiqa": 9,
    }


def test_versions_cover_40_and_50_languages() -> None:
    xtreme = {lang for langs in TASK_LANGUAGES["xtreme"].values() for lang in langs}
    xtreme_r = {lang for langs in TASK_LANGUAGES["xtreme-r"].values() for lang in langs}
    assert xtreme == XTREME_40
    assert xtreme_r == XTREME_40 | XTREME_R_ADDED
    assert len(xtreme_r) == 50


def test_no_duplicate_language_in_any_list() -> None:
    for table in TASK_LANGUAGES.values():
        for task, langs in table.items():
            assert len(set(langs)) == len(langs), task


def test_groups_follow_evaluate_py() -> None:
    assert task_groups("xtreme")["retrieval"] == ("bucc2018", "tatoeba")
    assert task_groups("xtreme-r")["retrieval"] == ("tatoeba", "mewslix")
    assert task_groups("xtreme-r")["multi_choice"] == ("xcopa",)


def _uniform(task: str, version: str, **metrics: float) -> dict[str, dict[str, float]]:
    return {lang: dict(metrics) for lang in TASK_LANGUAGES[version][task]}


def test_xlmr_test_scores_give_an_xtreme_score_of_68_1() -> None:
    # science.md §3: XNLI 79.2, PAWS-X 86.4, POS 72.6, NER 65.4, XQuAD 76.6/60.8 → 68.7,
    # MLQA 71.6/53.2 → 62.4, TyDiQA 65.1/45.0 → 55.05, BUCC 66.0, Tatoeba 57.3.
    # Sum = 79.2 + 86.4 + 72.6 + 65.4 + 68.7 + 62.4 + 55.05 + 66.0 + 57.3 = 613.05; /9 = 68.117.
    v = "xtreme"
    entries = {
        "xnli": task_score("xnli", _uniform("xnli", v, accuracy=79.2), v),
        "pawsx": task_score("pawsx", _uniform("pawsx", v, accuracy=86.4), v),
        "udpos": task_score("udpos", _uniform("udpos", v, f1=72.6, precision=1, recall=1), v),
        "panx": task_score("panx", _uniform("panx", v, f1=65.4, precision=1, recall=1), v),
        "xquad": task_score("xquad", _uniform("xquad", v, f1=76.6, exact_match=60.8), v),
        "mlqa": task_score("mlqa", _uniform("mlqa", v, f1=71.6, exact_match=53.2), v),
        "tydiqa": task_score("tydiqa", _uniform("tydiqa", v, f1=65.1, exact_match=45.0), v),
        "bucc2018": task_score(
            "bucc2018", _uniform("bucc2018", v, f1=66.0, precision=1, recall=1), v
        ),
        "tatoeba": task_score("tatoeba", _uniform("tatoeba", v, accuracy=57.3), v),
    }
    summary = summarize({task: entry["avg_metric"] for task, entry in entries.items()}, v)
    assert summary["all_task"] == pytest.approx(613.05 / 9)
    assert round(summary["all_task"], 1) == 68.1
    # qa = (68.7 + 62.4 + 55.05)/3 = 62.05; classification = (86.4 + 79.2)/2 = 82.8.
    assert summary["qa"] == pytest.approx(62.05)
    assert summary["classification"] == pytest.approx(82.8)


def test_task_score_averages_languages_unweighted() -> None:
    # mlqa: en F1 80, EM 60; the other 6 languages F1 66, EM 46.
    # avg_f1 = (80 + 6*66)/7 = 68; avg_em = (60 + 6*46)/7 = 48; headline (68 + 48)/2 = 58.
    per_language = _uniform("mlqa", "xtreme", f1=66.0, exact_match=46.0)
    per_language["en"] = {"f1": 80.0, "exact_match": 60.0}
    entry = task_score("mlqa", per_language, "xtreme")
    assert entry["avg_f1"] == pytest.approx(68.0)
    assert entry["avg_exact_match"] == pytest.approx(48.0)
    assert entry["avg_metric"] == pytest.approx(58.0)
    assert entry["f1"]["en"] == 80.0


def test_task_score_names_a_missing_language_and_ignores_extras() -> None:
    per_language = _uniform("xnli", "xtreme", accuracy=70.0)
    per_language["xx"] = {"accuracy": 0.0}  # not in the list: ignored, as officially
    assert task_score("xnli", per_language, "xtreme")["avg_metric"] == pytest.approx(70.0)
    del per_language["sw"]
    with pytest.raises(XstiltsError, match="'sw'"):
        task_score("xnli", per_language, "xtreme")


def test_headline_preference() -> None:
    assert headline("tydiqa", {"avg_f1": 60.0, "avg_exact_match": 40.0}) == 50.0
    assert headline("udpos", {"avg_f1": 70.0, "avg_token_accuracy": 90.0}) == 70.0
    assert headline("xcopa", {"avg_accuracy": 55.0}) == 55.0
    assert headline("mewslix", {"avg_map@20": 45.0}) == 45.0


def test_xtreme_r_overall_needs_lareqa_and_counts_it() -> None:
    # Ten tasks; all score 60 except LAReQA 40 → (9*60 + 40)/10 = 58.
    headlines = {task: 60.0 for task in TASK_LANGUAGES["xtreme-r"]}
    headlines["lareqa"] = 40.0
    summary = summarize(headlines, "xtreme-r")
    assert summary["all_task"] == pytest.approx(58.0)
    # Official groups leave LAReQA out of "retrieval" (tatoeba, mewslix) → 60.
    assert summary["retrieval"] == pytest.approx(60.0)
    del headlines["lareqa"]
    assert "all_task" not in summarize(headlines, "xtreme-r")


def test_groups_need_all_their_tasks() -> None:
    summary = summarize({"xquad": 50.0, "mlqa": 40.0}, "xtreme")
    assert summary == {}  # qa also needs tydiqa; no overall either
    assert summarize({"xquad": 50.0, "mlqa": 40.0, "tydiqa": 30.0}, "xtreme") == {"qa": 40.0}


def test_unknown_version_or_task_is_an_error() -> None:
    with pytest.raises(XstiltsError, match="unknown XTREME version"):
        task_languages("xtreme-2")
    with pytest.raises(XstiltsError, match="not part of xtreme"):
        summarize({"xcopa": 50.0}, "xtreme")
    with pytest.raises(XstiltsError, match="not part of xtreme-r"):
        task_score("pawsx", {}, "xtreme-r")
