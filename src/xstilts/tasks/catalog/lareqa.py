"""LAReQA (XQuAD-R): answer-sentence retrieval from a pool of all languages (protocol
``ranking``), a target scored straight from an encoder; the reader lives in
:mod:`xstilts.data.retrieval_format`.

One :class:`~xstilts.data.examples.RankingSet` per split and language: the queries of that
language, ranked against one candidate pool shared by every language (the pool object is cached,
so all languages hold the *same* tuples and the protocol embeds the pool once per encoder).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from xstilts.data.examples import PoolCandidate, RankingSet
from xstilts.data.retrieval_format import read_lareqa
from xstilts.errors import DataError
from xstilts.tasks.benchmarks import TASK_LANGUAGES, XTREME_R
from xstilts.tasks.layout import file_key
from xstilts.tasks.spec import TaskSpec

LAREQA_FOLDER = "xquad-r"


def lareqa_candidate_text(candidate: PoolCandidate) -> str:
    """The text a LAReQA candidate is encoded from: its sentence followed by its paragraph.

    ``third_party/evaluate_retrieval.py`` (task ``lareqa``) writes ``(sentence + context)`` with
    newlines removed and no separator, one per line, and reads it back stripped.
    """
    return (candidate.sentence + candidate.context).replace("\n", "").strip()


@dataclass(frozen=True)
class _LareqaPool:
    candidate_ids: tuple[str, ...]
    candidates: tuple[str, ...]
    questions: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]]  # lang -> (id, text, gold)


@functools.lru_cache(maxsize=2)
def _lareqa_pool(directory: str, files: tuple[tuple[str, int, int], ...]) -> _LareqaPool:
    """Every ``{lang}.json`` of the folder in one pool (``files`` only keys the cache)."""
    pool = read_lareqa(directory)
    by_xling: dict[str, list[str]] = {}
    for xling_id, candidate_id in pool.gold:
        by_xling.setdefault(xling_id, []).append(candidate_id)
    questions: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
    for question in pool.questions:
        gold = tuple(by_xling.get(question.xling_id, ()))
        questions.setdefault(question.language, []).append((question.id, question.question, gold))
    return _LareqaPool(
        candidate_ids=tuple(candidate.id for candidate in pool.candidates),
        candidates=tuple(lareqa_candidate_text(candidate) for candidate in pool.candidates),
        questions={language: tuple(rows) for language, rows in questions.items()},
    )


def load_lareqa(task_dir: Path, split: str, language: str) -> list[RankingSet]:
    """The ``language`` questions of XQuAD-R against the pooled sentences of *all* languages.

    As ``evaluate_retrieval.py`` does, the pool holds every ``{lang}.json`` in
    ``{task_dir}/xquad-r`` (the official 11 languages when the release is complete); a question's
    relevant answers are the sentences holding its answer in every language (``xling_id``).
    XQuAD-R has a single split, ``test``.
    """
    directory = task_dir / LAREQA_FOLDER
    files = tuple(file_key(path) for path in sorted(directory.glob("*.json")))
    pool = _lareqa_pool(str(directory), files)
    rows = pool.questions.get(language)
    if not rows:
        raise DataError(directory / f"{language}.json", None, "no LAReQA questions found")
    return [
        RankingSet(
            language=language,
            query_ids=tuple(row[0] for row in rows),
            queries=tuple(row[1] for row in rows),
            relevant=tuple(row[2] for row in rows),
            candidate_ids=pool.candidate_ids,
            candidates=pool.candidates,
        )
    ]


def lareqa_languages_found(task_dir: Path, split: str) -> list[str]:
    """Official languages with an ``xquad-r/{lang}.json`` (XQuAD-R has only ``test``)."""
    if split != "test":
        return []
    return [
        language
        for language in TASK_LANGUAGES[XTREME_R]["lareqa"]
        if (task_dir / LAREQA_FOLDER / f"{language}.json").is_file()
    ]


SPEC = TaskSpec(
    name="lareqa",
    family="retrieval",
    languages=TASK_LANGUAGES[XTREME_R]["lareqa"],
    load=load_lareqa,
    languages_found=lareqa_languages_found,
    metric="map@20",
    scorer="ranking",
    prediction_suffix="json",
    protocol="ranking",
    train_split=None,  # XTREME-R fine-tunes a dual encoder on SQuAD v1.1 first (not here)
    dev_split=None,
    test_split="test",
    description="LAReQA (XQuAD-R) answer-sentence retrieval from a pool of all languages",
    defaults={"query_max_length": 96, "candidate_max_length": 256},  # run_eval_lareqa.sh
    citation=(
        "Roy et al. 2020. LAReQA: Language-Agnostic Answer Retrieval from a "
        "Multilingual Pool. EMNLP"
    ),
    source="google-research-datasets/lareqa xquad-r (Roy et al. 2020)",
)
