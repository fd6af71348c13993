"""``xstilts score``: score prediction files in the XTREME submission layout.

A submission folder holds one sub-folder per task (``udpos panx xnli pawsx xquad mlqa tydiqa
bucc2018 tatoeba xcopa mewslix lareqa``) with one ``test-{lang}.{tsv|json|jsonl}`` per language; the
gold folder mirrors it (``google-research/xtreme:evaluate.py``). File formats, per task family:

- xnli, pawsx (.tsv): gold and prediction one label per line.
- udpos, panx (.tsv): gold ``token<TAB>label`` (or bare ``label``) lines with a blank line between
  sentences; prediction one label per line with the same blank lines.
- xquad, tydiqa, mlqa (.json): gold the official SQuAD-style json (``data`` → ``paragraphs`` →
  ``qas`` → ``answers``); prediction ``{question_id: answer_text}``.
- bucc2018 (.tsv): gold and prediction ``src_id<TAB>trg_id`` pair lines.
- tatoeba (.tsv): gold and prediction one integer (source-sentence index) per line.
- xcopa (.jsonl): gold and prediction json lines with an integer ``label``.
- mewslix (.json): gold ``{mention_id: [gold_entity_id]}`` (the official singleton lists);
  prediction ``{mention_id: [ranked entity ids]}``.
- lareqa (.json): gold ``{question_id: [relevant answer ids]}``; prediction
  ``{question_id: [ranked answer ids]}``.

The LAReQA gold format is ours (the official script scores LAReQA in memory and has no file): the
same shape as Mewsli-X, but every listed id is relevant (11 parallel answers per XQuAD-R question).

Output keys are the official ones (``accuracy``, ``f1``/``precision``/``recall``, ``exact_match``,
``map@20``); tagging adds ``token_accuracy`` because seqeval's POS "F1" is not token accuracy.
Every malformed input raises :class:`~xstilts.errors.DataError` naming the file and, where one
exists, the line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from xstilts.errors import DataError, XstiltsError
from xstilts.evaluate import metrics
from xstilts.evaluate.xtreme_score import (
    TASK_LANGUAGES,
    summarize,
    task_languages,
    task_score,
)

PathLike = str | Path

# The 17 universal POS tags (UD v2) and the IOB2 tags of WikiANN / PAN-X.
UPOS_TAGS = frozenset(
    {"ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN"}
    | {"PUNCT", "SCONJ", "SYM", "VERB", "X"}
)
PANX_TAGS = frozenset({"O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"})

# Known label sets; a prediction must use one of these or a label the gold file itself uses.
TASK_LABELS: dict[str, frozenset] = {
    "xnli": frozenset({"entailment", "neutral", "contradiction"}),
    "pawsx": frozenset({"0", "1"}),
    "udpos": UPOS_TAGS,
    "panx": PANX_TAGS,
    "xcopa": frozenset({0, 1}),
}

_SUFFIX = {
    "xquad": "json",
    "mlqa": "json",
    "tydiqa": "json",
    "mewslix": "json",
    "lareqa": "json",
    "xcopa": "jsonl",
}


def file_suffix(task: str) -> str:
    """File extension of a task's submission files (``evaluate.py`` ``get_suffix``)."""
    return _SUFFIX.get(task, "tsv")


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def score_folder(pred_dir: PathLike, gold_dir: PathLike, version: str) -> dict[str, object]:
    """Score every task folder present in ``pred_dir``, like ``evaluate.py --xtreme_version``.

    Returns the official report shape: ``all_task`` (only when every task of the version is
    present), one key per complete group, and one entry per task (see
    :func:`xstilts.evaluate.xtreme_score.task_score`). Differences from the official script:
    XTREME-R LAReQA is scored (the official script crashes on it), and a predicted task without a
    gold folder is an error rather than silently skipped.
    """
    pred_root, gold_root = Path(pred_dir), Path(gold_dir)
    for root in (pred_root, gold_root):
        if not root.is_dir():
            raise XstiltsError(f"{root}: not a folder")
    tasks: dict[str, dict[str, object]] = {}
    for task, languages in task_languages(version).items():
        if not (pred_root / task).is_dir():
            continue
        if not (gold_root / task).is_dir():
            raise XstiltsError(f"{gold_root / task}: no gold folder for predicted task {task}")
        per_language = {
            language: score_file(
                task, language, *_language_files(pred_root, gold_root, task, language)
            )
            for language in languages
        }
        tasks[task] = task_score(task, per_language, version)
    if not tasks:
        expected = ", ".join(TASK_LANGUAGES[version])
        raise XstiltsError(
            f"{pred_root}: no task folder of {version} (expected some of {expected})"
        )
    summary = summarize({task: entry["avg_metric"] for task, entry in tasks.items()}, version)
    return {**summary, **tasks}


def _language_files(
    pred_root: Path, gold_root: Path, task: str, language: str
) -> tuple[Path, Path]:
    name = f"test-{language}.{file_suffix(task)}"
    paths = (pred_root / task / name, gold_root / task / name)
    for path in paths:
        if not path.is_file():
            raise XstiltsError(f"{path}: missing {task} file for language {language}")
    return paths


def score_file(
    task: str, language: str, pred_path: PathLike, gold_path: PathLike
) -> dict[str, float]:
    """Score one prediction file against its gold file for one task and language.

    ``language`` must be one of the task's XTREME or XTREME-R languages: it picks the MLQA
    normaliser, and checking it everywhere catches a file scored under the wrong name.
    """
    if task not in _SCORERS:
        raise XstiltsError(f"unknown task {task!r}; expected one of {', '.join(_SCORERS)}")
    known = sorted({lang for table in TASK_LANGUAGES.values() for lang in table.get(task, ())})
    if language not in known:
        raise DataError(
            gold_path, None, f"unknown language {language!r} for {task}; expected one of {known}"
        )
    return _SCORERS[task](task, language, Path(pred_path), Path(gold_path))


# --------------------------------------------------------------------------------------------
# Per-family scorers
# --------------------------------------------------------------------------------------------


def _score_classification(task: str, language: str, pred: Path, gold: Path) -> dict[str, float]:
    gold_rows = _read_one_per_line(gold, "label")
    pred_rows = _read_one_per_line(pred, "label")
    _check_count(pred, len(pred_rows), gold, len(gold_rows), "labels")
    _check_labels(task, pred_rows, {label for _, label in gold_rows}, pred)
    return {"accuracy": metrics.accuracy([p for _, p in pred_rows], [g for _, g in gold_rows])}


def _score_tatoeba(task: str, language: str, pred: Path, gold: Path) -> dict[str, float]:
    gold_rows = _read_integers(gold)
    pred_rows = _read_integers(pred)
    _check_count(pred, len(pred_rows), gold, len(gold_rows), "indices")
    return {
        "accuracy": metrics.tatoeba_accuracy([p for _, p in pred_rows], [g for _, g in gold_rows])
    }


def _score_xcopa(task: str, language: str, pred: Path, gold: Path) -> dict[str, float]:
    gold_rows = _read_jsonl_labels(gold)
    pred_rows = _read_jsonl_labels(pred)
    _check_count(pred, len(pred_rows), gold, len(gold_rows), "labels")
    _check_labels(task, pred_rows, {label for _, label in gold_rows}, pred)
    return {"accuracy": metrics.accuracy([p for _, p in pred_rows], [g for _, g in gold_rows])}


def _score_tagging(task: str, language: str, pred: Path, gold: Path) -> dict[str, float]:
    gold_sentences = _read_tag_sentences(gold, max_columns=2)
    pred_sentences = _read_tag_sentences(pred, max_columns=1)
    _check_count(pred, len(pred_sentences), gold, len(gold_sentences), "sentences")
    for index, (pred_rows, gold_rows) in enumerate(
        zip(pred_sentences, gold_sentences, strict=True)
    ):
        if len(pred_rows) != len(gold_rows):
            raise DataError(
                pred,
                pred_rows[0][0],
                f"sentence {index + 1} has {len(pred_rows)} labels but the gold sentence at "
                f"{gold}:{gold_rows[0][0]} has {len(gold_rows)}",
            )
    gold_labels = {label for rows in gold_sentences for _, label in rows}
    _check_labels(task, [row for rows in pred_sentences for row in rows], gold_labels, pred)
    return metrics.tagging_f1(
        [[label for _, label in rows] for rows in pred_sentences],
        [[label for _, label in rows] for rows in gold_sentences],
    )


def _score_squad(task: str, language: str, pred: Path, gold: Path) -> dict[str, float]:
    gold_answers = _read_squad_gold(gold)
    predictions = _read_answer_predictions(pred, gold_answers, gold)
    return metrics.squad_v1_scores(predictions, gold_answers)


def _score_mlqa(task: str, language: str, pred: Path, gold: Path) -> dict[str, float]:
    gold_answers = _read_squad_gold(gold)
    predictions = _read_answer_predictions(pred, gold_answers, gold)
    return metrics.mlqa_scores(predictions, gold_answers, language)


def _score_bucc(task: str, language: str, pred: Path, gold: Path) -> dict[str, float]:
    return metrics.bucc_prf(_read_pairs(pred), _read_pairs(gold))


def _score_mewslix(task: str, language: str, pred: Path, gold: Path) -> dict[str, float]:
    relevant = _read_id_lists(gold, singleton=True)
    ranked = _read_ranked_predictions(pred, relevant, gold)
    return {"map@20": metrics.map_at_k(ranked, relevant, k=20)}


def _score_lareqa(task: str, language: str, pred: Path, gold: Path) -> dict[str, float]:
    relevant = _read_id_lists(gold, singleton=False)
    ranked = _read_ranked_predictions(pred, relevant, gold)
    return {"map@20": metrics.map_at_k(ranked, relevant, k=20)}


_Scorer = Callable[[str, str, Path, Path], dict[str, float]]
_SCORERS: dict[str, _Scorer] = {
    "udpos": _score_tagging,
    "panx": _score_tagging,
    "xnli": _score_classification,
    "pawsx": _score_classification,
    "xquad": _score_squad,
    "mlqa": _score_mlqa,
    "tydiqa": _score_squad,
    "bucc2018": _score_bucc,
    "tatoeba": _score_tatoeba,
    "xcopa": _score_xcopa,
    "mewslix": _score_mewslix,
    "lareqa": _score_lareqa,
}


def _check_count(pred: Path, n_pred: int, gold: Path, n_gold: int, what: str) -> None:
    if n_pred != n_gold:
        raise DataError(pred, None, f"{n_pred} {what} but {gold} has {n_gold}; they must match")
    if n_gold == 0:
        raise DataError(gold, None, f"no {what} to score")


def _check_labels(task: str, rows: list[tuple[int, object]], gold_labels: set, pred: Path) -> None:
    allowed = TASK_LABELS[task] | gold_labels
    for line, label in rows:
        if label not in allowed:
            expected = ", ".join(sorted(map(str, allowed)))
            raise DataError(pred, line, f"label {label!r} is not a {task} label ({expected})")


# --------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------


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


def _read_one_per_line(path: Path, what: str) -> list[tuple[int, str]]:
    rows = []
    for line_number, line in _content_lines(path):
        value = line.strip()
        if not value:
            raise DataError(path, line_number, f"blank line; expected one {what} per line")
        if "\t" in value:
            n_fields = len(value.split("\t"))
            raise DataError(
                path,
                line_number,
                f"expected one {what} per line, found {n_fields} tab-separated fields",
            )
        rows.append((line_number, value))
    return rows


def _read_integers(path: Path) -> list[tuple[int, int]]:
    rows = []
    for line_number, value in _read_one_per_line(path, "integer index"):
        try:
            rows.append((line_number, int(value)))
        except ValueError:
            raise DataError(
                path, line_number, f"expected an integer index, got {value!r}"
            ) from None
    return rows


def _read_tag_sentences(path: Path, max_columns: int) -> list[list[tuple[int, str]]]:
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


def _read_pairs(path: Path) -> list[tuple[str, str]]:
    pairs = []
    for line_number, line in _content_lines(path):
        fields = line.strip().split("\t")
        if len(fields) != 2 or not all(field.strip() for field in fields):
            raise DataError(path, line_number, "expected 'source_id<TAB>target_id'")
        pairs.append((fields[0].strip(), fields[1].strip()))
    return pairs


def _read_json(path: Path) -> object:
    text = _read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(path, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})") from None


def _read_jsonl_labels(path: Path) -> list[tuple[int, int]]:
    rows = []
    for line_number, line in _content_lines(path):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(path, line_number, f"invalid JSON: {exc.msg}") from None
        label = record.get("label") if isinstance(record, dict) else None
        if not isinstance(label, int) or isinstance(label, bool):
            raise DataError(path, line_number, "expected a JSON object with an integer 'label'")
        rows.append((line_number, label))
    return rows


def _read_squad_gold(path: Path) -> dict[str, list[str]]:
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
                    raise DataError(path, None, f"{where}: duplicate question id {question_id!r}")
                gold[question_id] = _answer_texts(path, qa, where)
    return gold


def _field(path: Path, node: object, key: str, where: str) -> list:
    value = node.get(key) if isinstance(node, dict) else None
    if not isinstance(value, list):
        raise DataError(path, None, f"{where} has no list '{key}'")
    return value


def _answer_texts(path: Path, qa: dict, where: str) -> list[str]:
    texts = [
        answer.get("text") if isinstance(answer, dict) else None
        for answer in _field(path, qa, "answers", where)
    ]
    if not texts or not all(isinstance(text, str) for text in texts):
        raise DataError(path, None, f"{where} needs at least one answer with a string 'text'")
    return texts


def _read_answer_predictions(pred: Path, gold: dict[str, list[str]], gold_path: Path) -> dict:
    predictions = _read_json(pred)
    if not isinstance(predictions, dict):
        raise DataError(pred, None, "expected a JSON object {question_id: answer_text}")
    for question_id, answer in predictions.items():
        if not isinstance(answer, str):
            raise DataError(pred, None, f"answer for {question_id!r} is not a string")
    _check_id_overlap(pred, predictions, gold, gold_path)
    return predictions


def _read_id_lists(path: Path, singleton: bool) -> dict[str, list[str]]:
    """Gold ``{id: [ids]}``; Mewsli-X lists hold exactly one entity (stripped, as officially)."""
    document = _read_json(path)
    if not isinstance(document, dict):
        raise DataError(path, None, "expected a JSON object {id: [ids]}")
    gold: dict[str, list[str]] = {}
    for query_id, items in document.items():
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            raise DataError(path, None, f"{query_id!r}: expected a non-empty list of string ids")
        if singleton and len(items) != 1:
            raise DataError(path, None, f"{query_id!r}: Mewsli-X gold must list exactly one id")
        gold[query_id] = [item.strip() for item in items]
    return gold


def _read_ranked_predictions(pred: Path, gold: dict[str, list[str]], gold_path: Path) -> dict:
    ranked = _read_json(pred)
    if not isinstance(ranked, dict):
        raise DataError(pred, None, "expected a JSON object {id: [ranked ids]}")
    for query_id, items in ranked.items():
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise DataError(pred, None, f"{query_id!r}: expected a list of string ids")
    _check_id_overlap(pred, ranked, gold, gold_path)
    return ranked


def _check_id_overlap(pred: Path, predictions: dict, gold: dict, gold_path: Path) -> None:
    """Missing ids score 0 (official), but a non-empty file sharing no id is the wrong file."""
    if predictions and gold and not set(predictions) & set(gold):
        raise DataError(pred, None, f"no id in this file is a question of {gold_path}")
