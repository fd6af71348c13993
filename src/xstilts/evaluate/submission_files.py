"""Readers of official submission and gold files, for :mod:`xstilts.evaluate.score`.

Each returns ``(line number, value)`` rows (or parsed JSON) and raises
:class:`~xstilts.errors.DataError` naming the file and, where one exists, the line, so that a
malformed submission is reported where it is wrong rather than as a wrong score.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.json_records import parse_json
from xstilts.data.readers import shown
from xstilts.errors import DataError


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(path, None, f"cannot read file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise DataError(path, None, f"not UTF-8 text ({exc.reason})") from exc


def _read_lines(path: Path) -> list[str]:
    """Lines without their newline; ``\n``, ``\r\n`` or ``\r`` end a line, as in ``open()``.

    (``str.splitlines`` would also split on U+2028, U+0085 and friends inside tokens.)
    """
    text = _read_text(path).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _content_lines(path: Path) -> list[tuple[int, str]]:
    """Numbered lines with trailing blank lines (an editor artefact) dropped."""
    rows = list(enumerate(_read_lines(path), start=1))
    while rows and not rows[-1][1].strip():
        rows.pop()
    return rows


def read_tag_sentences(path: Path, max_columns: int) -> list[list[tuple[int, str]]]:
    """Sentences of (line, label); a run of blank lines separates sentences.

    Gold lines may be ``token<TAB>label`` or ``label`` (the official reader keeps the whole line,
    so its own gold files are label-only), but one file must not mix the two.
    """
    sentences: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    n_columns: int | None = None
    for line_number, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            if current:
                sentences.append(current)
            current = []
            continue
        fields = line.split("\t")
        n_columns = n_columns or len(fields)
        if len(fields) > max_columns or len(fields) != n_columns:
            expected = "one label" if max_columns == 1 else f"{n_columns} tab-separated fields"
            raise DataError(path, line_number, f"expected {expected} per line, got {len(fields)}")
        label = fields[-1].strip()
        if not label:
            raise DataError(path, line_number, "empty label")
        current.append((line_number, label))
    if current:
        sentences.append(current)
    return sentences


def read_pairs(path: Path) -> list[tuple[str, ...]]:
    """BUCC pair lines as ``evaluate.py`` reads them: every line stripped as a whole and split at
    tabs; a blank line is kept as ``("",)``. Lines that are neither blank nor two non-empty
    fields (which could never match) are refused."""
    pairs: list[tuple[str, ...]] = []
    for line_number, line in enumerate(_read_lines(path), start=1):
        fields = tuple(line.strip().split("\t"))
        if fields != ("",) and (len(fields) != 2 or not all(field.strip() for field in fields)):
            raise DataError(path, line_number, "expected 'source_id<TAB>target_id'")
        pairs.append(fields)
    return pairs


def official_label_lines(
    gold: Path, pred: Path
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Numbered lines of both files as ``evaluate.py`` ``read_label`` reads them: every line,
    stripped, blank ones included (a blank gold line is an example; a blank prediction matches
    it). Where the counts differ the official script stops on its length assertion; if trailing
    blank lines explain the difference they are dropped from both files and the rest is scored
    (a deliberate difference, docs/official-reading.md); the caller checks the counts after its
    own per-line checks, which name a line."""
    gold_rows = [(n, line.strip()) for n, line in enumerate(_read_lines(gold), start=1)]
    pred_rows = [(n, line.strip()) for n, line in enumerate(_read_lines(pred), start=1)]
    if len(gold_rows) != len(pred_rows):
        for rows in (gold_rows, pred_rows):
            while rows and not rows[-1][1]:
                rows.pop()
    return gold_rows, pred_rows


def _read_json(path: Path) -> object:
    return parse_json(_read_text(path), path, None)


def read_jsonl_labels(path: Path) -> list[tuple[int, int]]:
    rows = []
    for line_number, line in _content_lines(path):
        record = parse_json(line, path, line_number)
        label = record.get("label") if isinstance(record, dict) else None
        if not isinstance(label, int) or isinstance(label, bool):
            raise DataError(path, line_number, "expected a JSON object with an integer 'label'")
        rows.append((line_number, label))
    return rows


def read_squad_gold(path: Path) -> dict[str, list[str]]:
    """``{question_id: [answer texts]}`` from an official SQuAD-style file (``data`` or a list)."""
    document = _read_json(path)
    articles = document.get("data") if isinstance(document, dict) else document
    if not isinstance(articles, list):
        raise DataError(path, None, "expected SQuAD-style JSON: {'data': [articles]}")
    gold: dict[str, list[str]] = {}
    for a, article in enumerate(articles):
        for p, paragraph in enumerate(_field(path, article, "paragraphs", f"data[{a}]")):
            for q, qa in enumerate(_field(path, paragraph, "qas", f"data[{a}].paragraphs[{p}]")):
                where = f"data[{a}].paragraphs[{p}].qas[{q}]"
                question_id = qa.get("id") if isinstance(qa, dict) else None
                if not isinstance(question_id, str):
                    raise DataError(path, None, f"{where} has no string 'id'")
                if question_id in gold:
                    duplicate = shown(question_id)
                    raise DataError(path, None, f"{where}: duplicate question id {duplicate}")
                gold[question_id] = _answer_texts(path, qa, where)
    return gold


def _field(path: Path, node: object, key: str, where: str) -> list:
    value = node.get(key) if isinstance(node, dict) else None
    if not isinstance(value, list):
        raise DataError(path, None, f"{where} has no list '{key}'")
    return value


def _answer_texts(path: Path, qa: dict, where: str) -> list[str]:
    answers = _field(path, qa, "answers", where)
    texts = [answer.get("text") for answer in answers if isinstance(answer, dict)]
    strings = [text for text in texts if isinstance(text, str)]
    if not strings or len(strings) != len(answers):
        raise DataError(path, None, f"{where} needs at least one answer with a string 'text'")
    return strings


def read_answer_predictions(pred: Path, gold: dict[str, list[str]], gold_path: Path) -> dict:
    predictions = _read_json(pred)
    if not isinstance(predictions, dict):
        raise DataError(pred, None, "expected a JSON object {question_id: answer_text}")
    for question_id, answer in predictions.items():
        if not isinstance(answer, str):
            raise DataError(pred, None, f"answer for {shown(question_id)} is not a string")
    _check_id_overlap(pred, predictions, gold, gold_path)
    return predictions


def read_id_lists(path: Path, singleton: bool) -> dict[str, list[str]]:
    """Gold ``{id: [ids]}``; Mewsli-X lists hold exactly one entity (stripped, as officially)."""
    document = _read_json(path)
    if not isinstance(document, dict):
        raise DataError(path, None, "expected a JSON object {id: [ids]}")
    gold: dict[str, list[str]] = {}
    for query_id, items in document.items():
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            raise DataError(path, None, f"{shown(query_id)}: expected a non-empty list of ids")
        if singleton and len(items) != 1:
            raise DataError(path, None, f"{shown(query_id)}: Mewsli-X gold needs exactly one id")
        gold[query_id] = [item.strip() for item in items]
    return gold


def read_ranked_predictions(pred: Path, gold: dict[str, list[str]], gold_path: Path) -> dict:
    ranked = _read_json(pred)
    if not isinstance(ranked, dict):
        raise DataError(pred, None, "expected a JSON object {id: [ranked ids]}")
    for query_id, items in ranked.items():
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise DataError(pred, None, f"{shown(query_id)}: expected a list of string ids")
    _check_id_overlap(pred, ranked, gold, gold_path)
    return ranked


def _check_id_overlap(pred: Path, predictions: dict, gold: dict, gold_path: Path) -> None:
    """Missing ids score 0 (official), but a non-empty file sharing no id is the wrong file."""
    if predictions and gold and not set(predictions) & set(gold):
        raise DataError(pred, None, f"no id in this file is a question of {gold_path}")
