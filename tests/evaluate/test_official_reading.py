"""``xstilts score`` reads prediction and gold files as XTREME's ``evaluate.py`` does.

The reference below restates the official reading (google-research/xtreme ``evaluate.py``:
``read_label`` = ``[l.strip() for l in open(file)]``; ``accuracy`` = correct / len(predictions)
after an equal-length assertion; ``bucc_f1`` over ``set(tuple(l.split('\\t')))``) so every case is
checked against what the official script computes. Cases where the official script stops (its
length assertion) are listed separately: there xstilts scores what the files hold, as
docs/official-reading.md says.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from xstilts.evaluate.score import score_file


def _official_read_label(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle]


def _official_accuracy(labels: list[str], predictions: list[str]) -> float:
    assert len(predictions) == len(labels)
    return 100 * sum(p == g for p, g in zip(predictions, labels, strict=True)) / len(predictions)


def _official_bucc(labels: list[str], predictions: list[str]) -> dict[str, float]:
    gold = {tuple(line.split("\t")) for line in labels}
    pred = {tuple(line.split("\t")) for line in predictions}
    correct = len(gold & pred)
    if not correct:
        return {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    precision, recall = correct / len(pred), correct / len(gold)
    f1 = 2 * precision * recall / (precision + recall)
    return {"f1": 100 * f1, "precision": 100 * precision, "recall": 100 * recall}


def _files(tmp_path: Path, gold: str, pred: str) -> tuple[Path, Path]:
    (tmp_path / "gold.tsv").write_bytes(gold.encode())
    (tmp_path / "pred.tsv").write_bytes(pred.encode())
    return tmp_path / "pred.tsv", tmp_path / "gold.tsv"


LABEL_CASES = [
    # (task, gold, prediction): files on which the official script runs.
    ("xnli", "neutral\nentailment\n", "neutral\ncontradiction\n"),
    ("xnli", "neutral\nentailment\n\n", "neutral\ncontradiction\n\n"),  # blank pair counts right
    ("pawsx", "0\n1\n\n\n", "1\n1\n\n\n"),
    ("pawsx", "0\r\n1\r\n", "0\r\n0\r\n"),  # Windows line ends
    ("pawsx", "  0 \n1\n", "0\n 1\t\n"),  # whitespace around a label is stripped
    ("pawsx", "0\n\n1\n", "0\n\n1\n"),  # a blank gold line inside is an example too
    ("tatoeba", "3\n1\n\n", "3\n01\n\n"),  # strings: "01" is not "1"
    ("tatoeba", "3\n1\n", " 3\n1 \n"),
]


@pytest.mark.parametrize(("task", "gold", "pred"), LABEL_CASES)
def test_label_tasks_equal_the_official_accuracy(
    tmp_path: Path, task: str, gold: str, pred: str
) -> None:
    pred_path, gold_path = _files(tmp_path, gold, pred)
    expected = _official_accuracy(_official_read_label(gold_path), _official_read_label(pred_path))
    assert score_file(task, "de", pred_path, gold_path) == {"accuracy": pytest.approx(expected)}


BUCC_CASES = [
    ("de-1\ten-1\nde-2\ten-2\n", "de-1\ten-1\nde-3\ten-3\n"),
    ("de-1\ten-1\nde-2\ten-2\n\n", "de-1\ten-1\n"),  # a blank gold line raises the denominator
    ("de-1\ten-1\n\n", "de-1\ten-1\n\n"),  # blank lines on both sides match each other
    ("de-1\ten-1\n", "de-1\ten-1  \n"),  # whole-line strip: trailing whitespace is ignored
    ("de-1\ten-1\n", "de-1 \ten-1\n"),  # whitespace inside a line is kept: no match
    ("de-1\ten-1\n", "de-1\ten-1\nde-1\ten-1\n"),  # sets: a repeated pair counts once
]


@pytest.mark.parametrize(("gold", "pred"), BUCC_CASES)
def test_bucc_equals_the_official_f1(tmp_path: Path, gold: str, pred: str) -> None:
    pred_path, gold_path = _files(tmp_path, gold, pred)
    expected = _official_bucc(_official_read_label(gold_path), _official_read_label(pred_path))
    assert score_file("bucc2018", "de", pred_path, gold_path) == pytest.approx(expected)


def test_where_the_official_script_stops_trailing_blank_lines_are_dropped(tmp_path: Path) -> None:
    # One trailing blank line in the gold only: read_label gives 3 vs 2 entries and evaluate.py
    # stops on its assertion. xstilts drops the unmatched trailing blank lines and scores 2 labels.
    pred_path, gold_path = _files(tmp_path, "0\n1\n\n", "0\n0\n")
    with pytest.raises(AssertionError):
        _official_accuracy(_official_read_label(gold_path), _official_read_label(pred_path))
    assert score_file("pawsx", "de", pred_path, gold_path) == {"accuracy": 50.0}
