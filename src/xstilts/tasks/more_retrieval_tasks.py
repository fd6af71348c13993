"""BUCC 2018 and LAReQA (XQuAD-R): retrieval targets scored straight from an encoder (Mewsli-X:
:mod:`xstilts.tasks.mewslix`).

The readers live in :mod:`xstilts.data.retrieval_format`; this module says where each split sits
in a task folder and turns the records into what the protocols in
:mod:`xstilts.families.retrieval_bucc` and :mod:`~xstilts.families.retrieval_ranking` consume.

* **bucc2018** (protocol ``bucc``): one :class:`~xstilts.data.examples.RetrievalPair` per split.
  Three layouts are accepted, first match wins:

  1. XTREME's download (``scripts/download_data.sh`` ``download_bucc18``): flat
     ``{src}-en.{dev|test}.{src|en|gold}``; it renames BUCC's ``sample`` to ``dev`` and
     ``training`` to ``test`` and deletes the test gold;
  2. the original BUCC tarballs (``comparable.limsi.fr/bucc2018``):
     ``{src}-en/{src}-en.{sample|training}.{src|en|gold}``, which *keep* the training (= our test)
     gold, so local test F1 can be computed;
  3. the same original names, flat.

  Our ``dev`` is BUCC ``sample`` and our ``test`` is BUCC ``training``, as in XTREME
  (google-research/xtreme#13, #60: the threshold is tuned on ``sample`` and applied to
  ``training``).
* **lareqa** and **mewslix** (protocol ``ranking``): one :class:`RankingSet` per split and
  language: the queries of that language, ranked against one candidate pool shared by every
  language (the pool object is cached, so all languages hold the *same* tuples and the protocol
  embeds the pool once per encoder).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from xstilts.data.examples import PoolCandidate, RetrievalPair
from xstilts.data.hub.configs import BUCC_HUB_LANGUAGES
from xstilts.data.hub.retrieval import write_bucc
from xstilts.data.hub.source import HubSource
from xstilts.data.retrieval_format import (
    read_bucc2018_files,
    read_lareqa,
)
from xstilts.errors import DataError
from xstilts.tasks.benchmarks import TASK_LANGUAGES, XTREME, XTREME_R
from xstilts.tasks.layout import xtreme_download
from xstilts.tasks.recipe import xtreme_retrieval
from xstilts.tasks.spec import TaskSpec


@dataclass(frozen=True)
class RankingSet:
    """Queries of one language ranked against a shared candidate pool (LAReQA, Mewsli-X).

    ``relevant[i]`` holds the ids of the candidates that answer query ``i``; it is empty where the
    release hides the gold (Mewsli-X test), and such queries are predicted but not scored. The
    texts are already in the form the encoder sees (the reference preprocessing is applied by the
    loaders below).
    """

    language: str
    query_ids: tuple[str, ...]
    queries: tuple[str, ...]
    relevant: tuple[tuple[str, ...], ...]
    candidate_ids: tuple[str, ...]
    candidates: tuple[str, ...]


def file_key(path: Path) -> tuple[str, int, int]:
    """Cache key of a file: its path and what changes when its content does."""
    stat = path.stat()
    return str(path.resolve()), stat.st_mtime_ns, stat.st_size


# --------------------------------------------------------------------------------------------
# BUCC 2018
# --------------------------------------------------------------------------------------------

_BUCC_GET = (
    "bucc2018-{lang}-en.{sample,training}-gold.tar.bz2 from https://comparable.limsi.fr/bucc2018/ "
    f"extracted into the task folder (keeps the test gold), or {xtreme_download('bucc2018')}"
)
BUCC_ORIGINAL_SPLITS = {"dev": "sample", "test": "training"}


def _bucc_stems(task_dir: Path, split: str, language: str) -> list[Path]:
    """Candidate file stems (``.../{src}-en.{split}``) in the order the layouts are tried."""
    stems = [task_dir / f"{language}-en.{split}"]
    original = BUCC_ORIGINAL_SPLITS.get(split)
    if original is not None:
        stems.append(task_dir / f"{language}-en" / f"{language}-en.{original}")
        stems.append(task_dir / f"{language}-en.{original}")
    return stems


def _bucc_stem(task_dir: Path, split: str, language: str) -> Path | None:
    for stem in _bucc_stems(task_dir, split, language):
        if Path(f"{stem}.{language}").is_file() and Path(f"{stem}.en").is_file():
            return stem
    return None


def load_bucc2018(task_dir: Path, split: str, language: str) -> list[RetrievalPair]:
    """One BUCC language pair (``{language}`` side = source, English = target) for ``split``."""
    stem = _bucc_stem(task_dir, split, language)
    if stem is None:
        stems = _bucc_stems(task_dir, split, language)
        tried = ", ".join(f"{stem.relative_to(task_dir)}.{{{language},en}}" for stem in stems)
        raise DataError(
            task_dir, None, f"no BUCC {split} files for {language!r}; tried {tried}; to get "
            f"them: {_BUCC_GET}",
        )  # fmt: skip
    gold = Path(f"{stem}.gold")
    return [
        read_bucc2018_files(
            Path(f"{stem}.{language}"),
            Path(f"{stem}.en"),
            gold if gold.is_file() else None,
            language=language,
        )
    ]


def bucc2018_languages_found(task_dir: Path, split: str) -> list[str]:
    """Languages whose source and English files exist for ``split`` in any accepted layout."""
    return [
        language
        for language in TASK_LANGUAGES[XTREME]["bucc2018"]
        if _bucc_stem(task_dir, split, language) is not None
    ]


# --------------------------------------------------------------------------------------------
# LAReQA (XQuAD-R)
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Specs
# --------------------------------------------------------------------------------------------

SPECS = [
    TaskSpec(
        name="bucc2018",
        family="retrieval",
        languages=TASK_LANGUAGES[XTREME]["bucc2018"],
        load=load_bucc2018,
        languages_found=bucc2018_languages_found,
        metric="f1",
        scorer="bucc",
        protocol="bucc",
        train_split=None,
        dev_split="dev",  # BUCC "sample": the margin threshold is tuned here
        test_split="test",  # BUCC "training": the threshold is applied here
        hub=HubSource(
            task="bucc2018",
            languages=BUCC_HUB_LANGUAGES,
            config="bucc18.{language}",
            families=("bucc18",),
            write=write_bucc,
            description="bucc18.{de,fr,ru,zh} (validation, test) -> "
            "{lang}-en.{dev,test}.{lang,en,gold}; gold pairs ONLY (no distractor sentences): "
            "not the BUCC mining task",
            note="the Hub's bucc18 holds only the gold pairs (no distractor sentences), so mining "
            "F1 on these files is NOT BUCC 2018 F1; for that, use the original tarballs from "
            "https://comparable.limsi.fr/bucc2018/",
            gold_only=True,
        ),
        description="BUCC 2018 parallel-sentence mining to English (ratio margin, max strategy)",
        # utils_retrieve.mine_bitext neighborhood=4; "drop": sentences repeated on one side
        # yield no pair (utils_retrieve.read_sent2id).
        defaults={"neighbourhood": 4, "duplicates": "drop"},
        recipe=xtreme_retrieval("run_bucc2018.sh"),
        # XTREME run_bucc2018.sh MAXL=512; utils_retrieve.mine_bitext neighborhood=4;
        citation=(
            "Zweigenbaum, Sharoff & Rapp 2018. Overview of the Third BUCC Shared Task: "
            "Spotting Parallel Sentences in Comparable Corpora. BUCC workshop, LREC"
        ),
        source="BUCC 2018 shared task (Zweigenbaum et al. 2018), comparable.limsi.fr/bucc2018",
    ),
    TaskSpec(
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
    ),
]
