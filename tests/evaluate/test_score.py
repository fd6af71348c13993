"""``xstilts score`` on files in the official formats: golden values, layouts and format errors.

Fixtures live in ``fixtures/{labels,predictions}/<task>/test-<lang>.<ext>`` (the XTREME submission
layout); the expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xstilts.errors import DataError, XstiltsError
from xstilts.evaluate.score import file_suffix, score_file, score_folder
from xstilts.evaluate.xtreme_score import TASK_LANGUAGES
from xstilts.tasks.registry import get_task

FIXTURES = Path(__file__).parent / "fixtures"


def _fixture_score(task: str, language: str) -> dict:
    name = f"test-{language}.{file_suffix(task)}"
    return score_file(
        task, language, FIXTURES / "predictions" / task / name, FIXTURES / "labels" / task / name
    )


GOLDEN = [
    # 3 of 4 labels right.
    ("xnli", "en", {"accuracy": 75.0}),
    # Sentence 1: the 9-token NOUN→PROPN trap (gold 9 chunks, pred 8, correct 7); sentence 2 all
    # right (3 chunks). Totals: gold 12, pred 11, correct 10 → P = 10/11, R = 10/12,
    # F1 = 2*10/(11+12) = 20/23. Token accuracy 11/12.
    (
        "udpos",
        "en",
        {
            "f1": 100 * 20 / 23,
            "precision": 100 * 10 / 11,
            "recall": 100 * 10 / 12,
            "token_accuracy": 100 * 11 / 12,
        },
    ),
    # Gold PER(0-1), LOC(3); pred PER(0), LOC(3) → P = R = F1 = 1/2; tokens 4/5.
    ("panx", "de", {"f1": 50.0, "precision": 50.0, "recall": 50.0, "token_accuracy": 80.0}),
    # SQuAD v1.1 on zh: "北京" vs "北京大学" is one token each → 0; "清华大学" exact → 1.
    ("xquad", "zh", {"exact_match": 50.0, "f1": 50.0}),
    # MLQA zh, same files: character F1 2/3 for "北京"; exact for "清华大学". F1 = (2/3 + 1)/2.
    ("mlqa", "zh", {"exact_match": 50.0, "f1": 100 * 5 / 6}),
    # MLQA ar: كتاب = الكتاب; "م ك" = مالك (ال removed inside the word); مالك ≠ ملك → 2/3, 2/3.
    ("mlqa", "ar", {"exact_match": 100 * 2 / 3, "f1": 100 * 2 / 3}),
    # SQuAD v1.1: en-1 exact; en-2 "1889" vs "in 1889" F1 2/3; en-3 unanswered 0.
    ("tydiqa", "en", {"exact_match": 100 / 3, "f1": 100 * 5 / 9}),
    # Pred pairs {1-11, 2-12, 3-19} (1-11 listed twice), gold 4 pairs: correct 2,
    # P = 2/3, R = 1/2, F1 = 4/7.
    ("bucc2018", "de", {"f1": 100 * 4 / 7, "precision": 100 * 2 / 3, "recall": 50.0}),
    # 3 1 2 0 vs 3 1 0 0 → 3/4.
    ("tatoeba", "de", {"accuracy": 75.0}),
    # Labels 0 0 vs 0 1 → 1/2.
    ("xcopa", "et", {"accuracy": 50.0}),
    # m1 gold at rank 2 → 1/2; m2 rank 1 → 1; m3 unpredicted → 0. Mean 1/2.
    ("mewslix", "en", {"map@20": 50.0}),
    # q1 relevant {a,b,c} ranked a x b y c: (1 + 2/3 + 3/5)/3 = 34/45; q2: 1/2.
    # Mean (34/45 + 1/2)/2 = 113/180.
    ("lareqa", "en", {"map@20": 100 * 113 / 180}),
]


@pytest.mark.parametrize(("task", "language", "expected"), GOLDEN)
def test_score_file_golden(task: str, language: str, expected: dict) -> None:
    assert _fixture_score(task, language) == pytest.approx(expected)


# ----------------------------------------------------------------------------- format errors


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _error(task: str, language: str, pred: Path, gold: Path) -> str:
    with pytest.raises(DataError) as info:
        score_file(task, language, pred, gold)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_ragged_classification_line_names_file_and_line(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.tsv", "entailment\nneutral\n")
    pred = _write(tmp_path / "pred.tsv", "entailment\nneutral\tthe sentence\n")
    assert _error("xnli", "en", pred, gold).startswith(f"{pred}:2: expected one label per line")


def test_prediction_count_must_match(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.tsv", "0\n1\n1\n")
    pred = _write(tmp_path / "pred.tsv", "0\n1\n")
    assert "2 labels but" in _error("pawsx", "de", pred, gold)


def test_label_outside_the_label_set(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.tsv", "entailment\nneutral\n")
    pred = _write(tmp_path / "pred.tsv", "entailment\ncontradictory\n")
    assert _error("xnli", "en", pred, gold).startswith(f"{pred}:2: label 'contradictory'")


def test_label_missing_from_a_small_gold_file_is_still_allowed(tmp_path: Path) -> None:
    # "contradiction" never occurs in this gold file but is an XNLI label → scored, 0 of 1.
    gold = _write(tmp_path / "gold.tsv", "neutral\n")
    pred = _write(tmp_path / "pred.tsv", "contradiction\n")
    assert score_file("xnli", "en", pred, gold) == {"accuracy": 0.0}


def test_blank_lines_inside_and_after_label_files(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.tsv", "0\n1\n\n\n")  # counts differ: trailing blanks dropped
    pred = _write(tmp_path / "pred.tsv", "0\n\n1\n")
    assert _error("pawsx", "en", pred, gold).startswith(f"{pred}:2: blank line")
    _write(pred, "0\n1\n")
    assert score_file("pawsx", "en", pred, gold) == {"accuracy": 100.0}


def test_tagging_sentence_length_mismatch_points_at_the_sentence(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.tsv", "a\tNOUN\n\nb\tVERB\nc\tPUNCT\n\n")
    pred = _write(tmp_path / "pred.tsv", "NOUN\n\nVERB\n\n")
    message = _error("udpos", "en", pred, gold)
    assert message.startswith(f"{pred}:3: sentence 2 has 1 labels")
    assert f"{gold}:3" in message


def test_tagging_format_errors(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.tsv", "a\tNOUN\nb\tVERB\n\n")
    pred = _write(tmp_path / "pred.tsv", "a\tNOUN\nb\tVERB\n\n")
    assert _error("udpos", "en", pred, gold).startswith(f"{pred}:1: expected one label per line")
    _write(pred, "NOUN\nVERBS\n\n")
    assert _error("udpos", "en", pred, gold).startswith(f"{pred}:2: label 'VERBS'")
    _write(gold, "a\tNOUN\nVERB\n\n")  # a gold file mixing token<TAB>label and label lines
    assert _error("udpos", "en", pred, gold).startswith(f"{gold}:2: expected 2 tab-separated")


def test_tagging_gold_may_be_label_only_as_in_the_official_reader(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.tsv", "B-PER\nI-PER\n\nO\n")
    pred = _write(tmp_path / "pred.tsv", "B-PER\nI-PER\n\nO\n\n\n")
    assert score_file("panx", "en", pred, gold)["f1"] == 100.0


def _squad_gold(path: Path, answers: dict[str, list[str]]) -> Path:
    qas = [
        {"id": q, "answers": [{"text": a, "answer_start": 0} for a in texts]}
        for q, texts in answers.items()
    ]
    return _write(path, json.dumps({"data": [{"paragraphs": [{"context": "c", "qas": qas}]}]}))


def test_qa_json_errors(tmp_path: Path) -> None:
    gold = _squad_gold(tmp_path / "gold.json", {"q1": ["x"], "q2": ["y"]})
    pred = _write(tmp_path / "pred.json", '{\n  "q1": "x",\n  "q2": "y"\n')
    assert _error("xquad", "en", pred, gold).startswith(f"{pred}:4: not valid json")
    _write(pred, '["x", "y"]')
    assert "expected a JSON object" in _error("xquad", "en", pred, gold)
    _write(pred, '{"q1": 3}')
    assert "answer for 'q1' is not a string" in _error("xquad", "en", pred, gold)
    _write(pred, '{"other-1": "x"}')
    assert "no id in this file is a question" in _error("xquad", "en", pred, gold)
    _write(gold, '{"data": [{"paragraphs": [{"qas": [{"id": "q1"}]}]}]}')
    assert "data[0].paragraphs[0].qas[0] has no list 'answers'" in _error("xquad", "en", pred, gold)


def test_qa_duplicate_question_id_and_partial_predictions(tmp_path: Path) -> None:
    gold = _squad_gold(tmp_path / "gold.json", {"q1": ["x"], "q2": ["y"]})
    pred = _write(tmp_path / "pred.json", '{"q1": "x"}')
    # Missing q2 scores 0 (official): EM = F1 = 1/2.
    assert score_file("tydiqa", "en", pred, gold) == pytest.approx({"exact_match": 50, "f1": 50})
    qa = {"id": "q1", "answers": [{"text": "x"}]}
    _write(gold, json.dumps({"data": [{"paragraphs": [{"qas": [qa, qa]}]}]}))
    assert "duplicate question id 'q1'" in _error("tydiqa", "en", pred, gold)


def test_bucc_tatoeba_and_xcopa_line_errors(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.tsv", "de-1\ten-1\n")
    pred = _write(tmp_path / "pred.tsv", "de-1\ten-1\nde-2\ten-2\t0.93\n")
    assert _error("bucc2018", "de", pred, gold).startswith(f"{pred}:2: expected 'source_id")
    gold = _write(tmp_path / "gold.tsv", "4\n2\n")
    pred = _write(tmp_path / "pred.tsv", "4\nseven\n")
    assert _error("tatoeba", "de", pred, gold).startswith(f"{pred}:2: expected an integer")
    gold = _write(tmp_path / "gold.jsonl", '{"label": 0}\n{"label": 1}\n')
    pred = _write(tmp_path / "pred.jsonl", '{"label": 0}\n{"label": true}\n')
    assert _error("xcopa", "et", pred, gold).startswith(f"{pred}:2: expected a JSON object")
    _write(pred, '{"label": 0}\n{"label": 2}\n')
    assert _error("xcopa", "et", pred, gold).startswith(f"{pred}:2: label 2 is not")
    _write(pred, '{"label": 0}\n{"label": 1\n')
    assert _error("xcopa", "et", pred, gold).startswith(f"{pred}:2: not valid json")


def test_mewslix_gold_must_be_singletons(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.json", '{"m1": ["Q1", "Q2"]}')
    pred = _write(tmp_path / "pred.json", '{"m1": ["Q1"]}')
    assert "exactly one id" in _error("mewslix", "en", pred, gold)
    # The same file is valid LAReQA gold: both ids relevant, Q1 at rank 1 → AP (1/1)/2 = 1/2.
    assert score_file("lareqa", "en", pred, gold) == {"map@20": 50.0}


def test_unknown_language_task_and_missing_file(tmp_path: Path) -> None:
    gold = _squad_gold(tmp_path / "gold.json", {"q1": ["x"]})
    pred = _write(tmp_path / "pred.json", '{"q1": "x"}')
    assert "unknown language 'fr' for mlqa" in _error("mlqa", "fr", pred, gold)
    assert "unknown language 'xx' for xnli" in _error("xnli", "xx", pred, gold)
    with pytest.raises(XstiltsError, match="unknown task 'squad'"):
        score_file("squad", "en", pred, gold)
    assert "cannot read file" in _error("xquad", "en", tmp_path / "absent.json", gold)


# ----------------------------------------------------------------------------- whole folders

_SQUAD_GOLD = json.dumps(
    {"data": [{"paragraphs": [{"qas": [{"id": "q", "answers": [{"text": "x"}]}]}]}]}
)
PERFECT = {
    "xnli": ("entailment\nneutral\n", "entailment\nneutral\n"),
    "pawsx": ("0\n1\n", "0\n1\n"),
    "udpos": ("a\tNOUN\nb\tVERB\n\n", "NOUN\nVERB\n\n"),
    "panx": ("a\tB-PER\nb\tO\n\n", "B-PER\nO\n\n"),
    "xquad": (_SQUAD_GOLD, '{"q": "x"}'),
    "mlqa": (_SQUAD_GOLD, '{"q": "x"}'),
    "tydiqa": (_SQUAD_GOLD, '{"q": "x"}'),
    "bucc2018": ("s1\tt1\n", "s1\tt1\n"),
    "tatoeba": ("0\n1\n", "0\n1\n"),
    "xcopa": ('{"label": 0}\n', '{"label": 0}\n'),
    "mewslix": ('{"m": ["Q1"]}', '{"m": ["Q1"]}'),
    "lareqa": ('{"q": ["a"]}', '{"q": ["a"]}'),
}


def _perfect_submission(root: Path, version: str) -> tuple[Path, Path]:
    """Gold and prediction folders where every file of the version scores 100."""
    pred_root, gold_root = root / "predictions", root / "labels"
    for task, languages in TASK_LANGUAGES[version].items():
        gold_text, pred_text = PERFECT[task]
        for base, text in ((gold_root, gold_text), (pred_root, pred_text)):
            (base / task).mkdir(parents=True, exist_ok=True)
            for language in languages:
                _write(base / task / f"test-{language}.{file_suffix(task)}", text)
    return pred_root, gold_root


def test_score_folder_xtreme_overall(tmp_path: Path) -> None:
    # Every file perfect except XNLI en, 1 of 2 right (50).
    # xnli = (14*100 + 50)/15 = 290/3 = 96.667; classification = (100 + 290/3)/2 = 295/3;
    # all_task = (8*100 + 290/3)/9 = 2690/27 = 99.630.
    pred_root, gold_root = _perfect_submission(tmp_path, "xtreme")
    _write(pred_root / "xnli" / "test-en.tsv", "entailment\nentailment\n")
    report = score_folder(pred_root, gold_root, "xtreme")
    assert report["xnli"]["accuracy"]["en"] == 50.0
    assert report["xnli"]["avg_metric"] == pytest.approx(290 / 3)
    assert report["classification"] == pytest.approx(295 / 3)
    assert report["all_task"] == pytest.approx(2690 / 27)
    assert report["qa"] == pytest.approx(100.0)
    assert report["udpos"]["avg_token_accuracy"] == pytest.approx(100.0)


def test_score_folder_xtreme_r_includes_lareqa(tmp_path: Path) -> None:
    # All perfect except LAReQA en: gold "a" at rank 2 → AP 1/2.
    # lareqa = (10*100 + 50)/11 = 1050/11; all_task = (9*100 + 1050/11)/10 = 1095/11 = 99.545.
    pred_root, gold_root = _perfect_submission(tmp_path, "xtreme-r")
    _write(pred_root / "lareqa" / "test-en.json", '{"q": ["x", "a"]}')
    report = score_folder(pred_root, gold_root, "xtreme-r")
    assert report["lareqa"]["avg_map@20"] == pytest.approx(1050 / 11)
    assert report["all_task"] == pytest.approx(1095 / 11)
    assert report["retrieval"] == pytest.approx(100.0)
    assert "pawsx" not in report and "bucc2018" not in report


def test_score_folder_partial_submission_has_no_overall(tmp_path: Path) -> None:
    pred_root, gold_root = _perfect_submission(tmp_path, "xtreme")
    for task in ("pawsx", "udpos", "panx", "bucc2018", "tatoeba", "mlqa", "tydiqa", "xquad"):
        for path in (pred_root / task).iterdir():
            path.unlink()
        (pred_root / task).rmdir()
    report = score_folder(pred_root, gold_root, "xtreme")
    assert set(report) == {"xnli"}


def test_score_folder_scores_a_partial_language_set_and_lists_the_rest(tmp_path: Path) -> None:
    # XNLI without sw (prediction) and ur (gold): 13 languages scored, the task stays out of the
    # group and overall averages; every other task is complete.
    pred_root, gold_root = _perfect_submission(tmp_path, "xtreme")
    (pred_root / "xnli" / "test-sw.tsv").unlink()
    (gold_root / "xnli" / "test-ur.tsv").unlink()
    _write(pred_root / "xnli" / "test-en.tsv", "entailment\nentailment\n")
    report = score_folder(pred_root, gold_root, "xtreme")
    xnli = report["xnli"]
    assert xnli["missing_languages"] == ["sw", "ur"]
    assert len(xnli["accuracy"]) == 13
    assert xnli["avg_metric"] == pytest.approx((12 * 100 + 50) / 13)
    assert "classification" not in report and "all_task" not in report
    assert report["qa"] == pytest.approx(100.0)
    for path in (pred_root / "xnli").iterdir():
        path.unlink()
    _write(pred_root / "xnli" / "test-xx.tsv", "entailment\n")
    with pytest.raises(XstiltsError, match=r"no test-\{lang\}\.tsv file pair"):
        score_folder(pred_root, gold_root, "xtreme")


def test_score_folder_layout_errors(tmp_path: Path) -> None:
    pred_root, gold_root = tmp_path / "p", tmp_path / "g"
    (pred_root / "xnli").mkdir(parents=True)
    gold_root.mkdir()
    with pytest.raises(XstiltsError, match="no gold folder for predicted task xnli"):
        score_folder(pred_root, gold_root, "xtreme")
    (pred_root / "xnli").rmdir()
    with pytest.raises(XstiltsError, match="no task folder of xtreme"):
        score_folder(pred_root, gold_root, "xtreme")
    with pytest.raises(XstiltsError, match="not a folder"):
        score_folder(tmp_path / "absent", gold_root, "xtreme")
    with pytest.raises(XstiltsError, match="unknown XTREME version"):
        score_folder(pred_root, gold_root, "xtreme-3")


@pytest.mark.parametrize("task", sorted(PERFECT))
def test_each_task_scorer_reports_its_spec_headline_metric_at_100(
    task: str, tmp_path: Path
) -> None:
    """The spec's headline metric (what selection and robustness read) is a key its official
    scorer returns: the two facts live in one spec and must agree."""
    spec = get_task(task)
    gold_text, pred_text = PERFECT[task]
    language = spec.languages[0]
    name = f"test-{language}.{spec.prediction_suffix}"
    gold = _write(tmp_path / f"gold-{name}", gold_text)
    pred = _write(tmp_path / f"pred-{name}", pred_text)
    assert score_file(task, language, pred, gold)[spec.metric] == pytest.approx(100.0)
