"""``xstilts score``: score prediction files in the XTREME submission layout.

A submission folder holds one sub-folder per task (``udpos panx xnli pawsx xquad mlqa tydiqa
bucc2018 tatoeba xcopa mewslix lareqa``) with one ``test-{lang}.{suffix}`` per language; the
gold folder mirrors it (``google-research/xtreme:evaluate.py``). Which format a task's files have
and its suffix are facts of the task (``TaskSpec.scorer``, ``TaskSpec.prediction_suffix``);
the formats, by scorer (see :data:`SCORERS`):

- ``classification`` (xnli, pawsx; .tsv): gold and prediction one label per line.
- ``tagging`` (udpos, panx; .tsv): gold ``token<TAB>label`` (or bare ``label``) lines with a
  blank line between sentences; prediction one label per line with the same blank lines.
- ``squad_v1``, ``mlqa`` (xquad, tydiqa; mlqa; .json): gold the official SQuAD-style json
  (``data`` → ``paragraphs`` → ``qas`` → ``answers``); prediction ``{question_id: answer_text}``.
- ``bucc`` (bucc2018; .tsv): gold and prediction ``src_id<TAB>trg_id`` pair lines.
- ``tatoeba`` (.tsv): gold and prediction one integer (source-sentence index) per line.
- ``multiple_choice`` (xcopa; .jsonl): gold and prediction json lines with an integer ``label``.
- ``ranking_one_gold`` (mewslix; .json): gold ``{mention_id: [gold_entity_id]}`` (the official
  singleton lists); prediction ``{mention_id: [ranked entity ids]}``.
- ``ranking`` (lareqa; .json): gold ``{question_id: [relevant answer ids]}``; prediction
  ``{question_id: [ranked answer ids]}``.

The LAReQA gold format is ours (the official script scores LAReQA in memory and has no file): the
same shape as Mewsli-X, but every listed id is relevant (11 parallel answers per XQuAD-R question).

Output keys are the official ones (``accuracy``, ``f1``/``precision``/``recall``, ``exact_match``,
``map@20``); tagging adds ``token_accuracy`` because seqeval's POS "F1" is not token accuracy.
Every malformed input raises :class:`~xstilts.errors.DataError` naming the file and, where one
exists, the line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from pathlib import Path
from typing import cast

from xstilts.data.readers import shown
from xstilts.errors import DataError, XstiltsError
from xstilts.evaluate import metrics, qa_metrics
from xstilts.evaluate import submission_files as files
from xstilts.evaluate.xtreme_score import (
    TASK_LANGUAGES,
    summarize,
    task_entry,
    task_languages,
    task_score,
)
from xstilts.languages.table import task_key
from xstilts.tasks.registry import TASKS
from xstilts.tasks.spec import TaskSpec

PathLike = str | Path


def file_suffix(task: str) -> str:
    """A task's submission file extension (``evaluate.py`` ``get_suffix``), from its spec."""
    return _scorable(task).prediction_suffix


def _scorable(task: str) -> TaskSpec:
    """The spec of a task that has an official submission format; else a one-line error."""
    spec = TASKS.get(task)
    if spec is None or not spec.scorer:
        scorable = ", ".join(name for name, spec in TASKS.items() if spec.scorer)
        raise XstiltsError(f"unknown task {shown(task)} to score; expected one of {scorable}")
    return spec


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def score_folder(pred_dir: PathLike, gold_dir: PathLike, version: str) -> dict[str, object]:
    """Score every task folder present in ``pred_dir``, like ``evaluate.py --xtreme_version``.

    Returns the official report shape: ``all_task`` (only when every task of the version is
    present and complete), one key per complete group, and one entry per task (see
    :func:`xstilts.evaluate.xtreme_score.task_score`). Differences from the official script:
    XTREME-R LAReQA is scored (the official script crashes on it); a predicted task without a
    gold folder is an error rather than silently skipped; and a task with some languages'
    files missing (where the official script stops) is scored on the languages present, its
    entry listing the others under ``missing_languages`` and staying out of the group and
    overall averages, which would not be comparable.
    """
    pred_root, gold_root = Path(pred_dir), Path(gold_dir)
    for root in (pred_root, gold_root):
        if not root.is_dir():
            raise XstiltsError(f"{root}: not a folder")
    tasks: dict[str, dict[str, object]] = {}
    partial: dict[str, dict[str, object]] = {}
    for task, languages in task_languages(version).items():
        if not (pred_root / task).is_dir():
            continue
        if not (gold_root / task).is_dir():
            raise XstiltsError(f"{gold_root / task}: no gold folder for predicted task {task}")
        per_language: dict[str, dict[str, float]] = {}
        for language in languages:
            paths = _language_files(pred_root, gold_root, task, language)
            if all(path.is_file() for path in paths):
                per_language[language] = score_file(task, language, *paths)
        missing = [language for language in languages if language not in per_language]
        if not per_language:
            raise XstiltsError(
                f"{pred_root / task}: no test-{{lang}}.{file_suffix(task)} file pair (prediction "
                f"and gold) for any {version} language of {task}"
            )
        if missing:
            partial[task] = {
                **task_entry(task, per_language, list(per_language)),
                "missing_languages": missing,
            }
        else:
            tasks[task] = task_score(task, per_language, version)
    if not tasks and not partial:
        expected = ", ".join(TASK_LANGUAGES[version])
        raise XstiltsError(
            f"{pred_root}: no task folder of {version} (expected some of {expected})"
        )
    averages = {task: cast(float, entry["avg_metric"]) for task, entry in tasks.items()}
    summary = summarize(averages, version)
    return {**summary, **tasks, **partial}


def outside_version(pred_dir: PathLike, version: str) -> dict[str, list[str]]:
    """Per task folder of ``pred_dir``, the languages of ``test-{lang}`` files that the version
    does not average (Tatoeba ``am`` from the LASER release): folder scoring leaves them out, and
    the CLI says so rather than dropping them silently; ``score TASK --lang`` scores them."""
    found: dict[str, list[str]] = {}
    for task, languages in task_languages(version).items():
        suffix = f".{file_suffix(task)}"
        names = sorted(p.name for p in (Path(pred_dir) / task).glob(f"test-*{suffix}"))
        extra = [n[len("test-") : -len(suffix)] for n in names]
        extra = [language for language in extra if language not in languages]
        if extra:
            found[task] = extra
    return found


def _language_files(
    pred_root: Path, gold_root: Path, task: str, language: str
) -> tuple[Path, Path]:
    name = f"test-{language}.{file_suffix(task)}"
    return pred_root / task / name, gold_root / task / name


def score_file(
    task: str, language: str, pred_path: PathLike, gold_path: PathLike
) -> dict[str, float]:
    """Score one prediction file against its gold file for one task and language.

    ``language`` must be one of the task's XTREME or XTREME-R languages: it picks the MLQA
    normaliser, and checking it everywhere catches a file scored under the wrong name.
    """
    spec = _scorable(task)
    language = task_key(language)  # a 639-3 or dataset code (swh, cmn) names the same language
    if language not in spec.languages:
        known = sorted(spec.languages)
        raise DataError(
            gold_path, None, f"unknown language {shown(language)} for {task}; expected {known}"
        )
    return SCORERS[spec.scorer](spec, language, Path(pred_path), Path(gold_path))


# --------------------------------------------------------------------------------------------
# Per-family scorers
# --------------------------------------------------------------------------------------------


def _score_classification(
    spec: TaskSpec, language: str, pred: Path, gold: Path
) -> dict[str, float]:
    """Official ``read_label`` + ``accuracy`` (see ``files.official_label_lines``); a label outside
    the task's set, or a blank line against a gold label, is refused rather than counted wrong."""
    gold_rows, pred_rows = files.official_label_lines(gold, pred)
    gold_values = [label for _, label in gold_rows]
    for index, (line_number, value) in enumerate(pred_rows):
        if "\t" in value:
            n_fields = len(value.split("\t"))
            raise DataError(
                pred,
                line_number,
                f"expected one label per line, found {n_fields} tab-separated fields",
            )
        if not value and (index >= len(gold_values) or gold_values[index]):
            raise DataError(pred, line_number, "blank line; expected one label per line")
    _check_count(pred, len(pred_rows), gold, len(gold_rows), "labels")
    labelled = [(line, value) for line, value in pred_rows if value]
    _check_labels(spec, labelled, {label for label in gold_values if label}, pred)
    return {"accuracy": metrics.accuracy([p for _, p in pred_rows], gold_values)}


def _score_tatoeba(spec: TaskSpec, language: str, pred: Path, gold: Path) -> dict[str, float]:
    """Indices compared as the stripped strings ``read_label`` returns (``"07"`` is not ``"7"``),
    as the official accuracy does; a prediction that is no integer is refused."""
    gold_rows, pred_rows = files.official_label_lines(gold, pred)
    for line_number, value in pred_rows:
        if value and not value.lstrip("-").isdigit():
            raise DataError(pred, line_number, f"expected an integer index, got {shown(value)}")
    _check_count(pred, len(pred_rows), gold, len(gold_rows), "indices")
    return {"accuracy": metrics.accuracy([p for _, p in pred_rows], [g for _, g in gold_rows])}


def _score_multiple_choice(
    spec: TaskSpec, language: str, pred: Path, gold: Path
) -> dict[str, float]:
    gold_rows = files.read_jsonl_labels(gold)
    pred_rows = files.read_jsonl_labels(pred)
    _check_count(pred, len(pred_rows), gold, len(gold_rows), "labels")
    _check_labels(spec, pred_rows, {label for _, label in gold_rows}, pred)
    return {"accuracy": metrics.accuracy([p for _, p in pred_rows], [g for _, g in gold_rows])}


def _score_tagging(spec: TaskSpec, language: str, pred: Path, gold: Path) -> dict[str, float]:
    gold_sentences = files.read_tag_sentences(gold, max_columns=2)
    pred_sentences = files.read_tag_sentences(pred, max_columns=1)
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
    _check_labels(spec, [row for rows in pred_sentences for row in rows], gold_labels, pred)
    return metrics.tagging_f1(
        [[label for _, label in rows] for rows in pred_sentences],
        [[label for _, label in rows] for rows in gold_sentences],
    )


def _score_squad(spec: TaskSpec, language: str, pred: Path, gold: Path) -> dict[str, float]:
    gold_answers = files.read_squad_gold(gold)
    predictions = files.read_answer_predictions(pred, gold_answers, gold)
    return qa_metrics.squad_v1_scores(predictions, gold_answers)


def _score_mlqa(spec: TaskSpec, language: str, pred: Path, gold: Path) -> dict[str, float]:
    gold_answers = files.read_squad_gold(gold)
    predictions = files.read_answer_predictions(pred, gold_answers, gold)
    return qa_metrics.mlqa_scores(predictions, gold_answers, language)


def _score_bucc(spec: TaskSpec, language: str, pred: Path, gold: Path) -> dict[str, float]:
    """``bucc_f1`` over ``{tuple(line.strip().split("\t"))}``: a blank line is the pair ``("",)``
    in that set (it matches a blank line of the other file), whitespace inside a line is kept."""
    return metrics.bucc_prf(files.read_pairs(pred), files.read_pairs(gold))


def _score_ranking_one_gold(
    spec: TaskSpec, language: str, pred: Path, gold: Path
) -> dict[str, float]:
    relevant = files.read_id_lists(gold, singleton=True)
    ranked = files.read_ranked_predictions(pred, relevant, gold)
    return {"map@20": metrics.map_at_k(ranked, relevant, k=20)}


def _score_ranking(spec: TaskSpec, language: str, pred: Path, gold: Path) -> dict[str, float]:
    relevant = files.read_id_lists(gold, singleton=False)
    ranked = files.read_ranked_predictions(pred, relevant, gold)
    return {"map@20": metrics.map_at_k(ranked, relevant, k=20)}


Scorer = Callable[[TaskSpec, str, Path, Path], dict[str, float]]
SCORERS: dict[str, Scorer] = {
    "classification": _score_classification,
    "tagging": _score_tagging,
    "squad_v1": _score_squad,
    "mlqa": _score_mlqa,
    "bucc": _score_bucc,
    "tatoeba": _score_tatoeba,
    "multiple_choice": _score_multiple_choice,
    "ranking_one_gold": _score_ranking_one_gold,
    "ranking": _score_ranking,
}
"""Official file scorers by submission format; a task's spec names its own (``spec.scorer``)."""


def _check_count(pred: Path, n_pred: int, gold: Path, n_gold: int, what: str) -> None:
    if n_pred != n_gold:
        raise DataError(pred, None, f"{n_pred} {what} but {gold} has {n_gold}; they must match")
    if n_gold == 0:
        raise DataError(gold, None, f"no {what} to score")


def _check_labels(
    spec: TaskSpec, rows: Sequence[tuple[int, object]], gold_labels: Set[object], pred: Path
) -> None:
    """A prediction uses one of the task's labels or one its gold file uses (compared as text:
    XCOPA's labels are the integers 0 and 1)."""
    allowed = {str(label) for label in (*spec.labels, *gold_labels)}
    for line, label in rows:
        if str(label) not in allowed:
            expected = ", ".join(sorted(allowed))
            message = f"label {shown(label)} is not a {spec.name} label ({expected})"
            raise DataError(pred, line, message)
