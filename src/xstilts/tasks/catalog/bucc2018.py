"""BUCC 2018 parallel-sentence mining to English (protocol ``bucc``), a target scored straight
from an encoder; the reader lives in :mod:`xstilts.data.retrieval_format`.

One :class:`~xstilts.data.examples.RetrievalPair` per split. Three layouts are accepted, first
match wins:

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
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import RetrievalPair
from xstilts.data.hub.configs import BUCC_HUB_LANGUAGES
from xstilts.data.hub.retrieval import write_bucc
from xstilts.data.hub.source import HubSource
from xstilts.data.retrieval_format import read_bucc2018_files
from xstilts.errors import DataError
from xstilts.tasks.benchmarks import TASK_LANGUAGES, XTREME
from xstilts.tasks.layout import xtreme_download
from xstilts.tasks.recipe import xtreme_retrieval
from xstilts.tasks.spec import TaskSpec

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


SPEC = TaskSpec(
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
    recipe=xtreme_retrieval("run_bucc2018.sh"),  # XTREME run_bucc2018.sh MAXL=512
    citation=(
        "Zweigenbaum, Sharoff & Rapp 2018. Overview of the Third BUCC Shared Task: "
        "Spotting Parallel Sentences in Comparable Corpora. BUCC workshop, LREC"
    ),
    source="BUCC 2018 shared task (Zweigenbaum et al. 2018), comparable.limsi.fr/bucc2018",
)
