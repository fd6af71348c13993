"""Token-tagging tasks: UD-POS and WikiANN/PAN-X (XTREME targets), CCG supertagging (intermediate).

Folder layouts under ``{data_dir}/{task}/`` (either layout of a task works; a split of a language
found in both is an error, so the source of every number is unambiguous):

**udpos** — the 17 UPOS tags; the 33 XTREME + 5 XTREME-R languages.

* XTREME's preprocessed download: ``udpos/{split}-{lang}.tsv`` (``utils_preprocess.py``
  ``udpos_preprocess`` writes ``{split}-{lang}.tsv``; ``train`` exists for English only, and
  ``test-*.tsv`` hold tokens without tags, so test sets from it can be predicted, not scored).
* Universal Dependencies release files anywhere below ``udpos/``, named as UD names them,
  ``{lang}_{treebank}-ud-{split}.conllu`` — e.g. the extracted ``ud-treebanks-v2.5/UD_German-GSD/
  de_gsd-ud-test.conllu``, or a flat ``udpos/de/de_gsd-ud-test.conllu``. As in XTREME's
  ``download_udpos``, the language is the file name's prefix before ``_`` and every treebank of a
  language is pooled, in sorted file-name order. Sentences are read with multiword tokens fused
  (``read_conllu(multiword="fused")``), the ``conllu_to_conll.py
  --replace_subtokens_with_fused_forms`` step of that download, so tokens and test sets match
  the published XTREME ones; these files keep their test tags, so test sets are scored locally.
  XTREME used UD v2.5 for its 33 languages and v2.7 for the XTREME-R additions (lt pl uk wo ro).

**panx** — IOB2 tags ``B-``/``I-`` ``PER ORG LOC`` and ``O``; the 40 XTREME + 8 XTREME-R languages.

* XTREME's preprocessed download: ``panx/{split}-{lang}.tsv`` (``panx_preprocess``; test files
  without tags).
* The raw WikiANN split files as XTREME's ``download_panx`` names them after extracting
  ``{lang}.tar.gz`` from ``AmazonPhotos.zip``: ``panx/{lang}-{split}`` with every token prefixed
  by its language (``en:Paris``), which the reader strips. These keep their test tags.

**ccg** — jiant's layout (``jiant/tasks/lib/ccg.py``): ``ccg/ccg.{train,dev,test}`` with
``tokens<TAB>categories`` lines and ``ccg/tags_to_id.json``. English only.

*CCG labels.* ``TaskSpec.labels`` is a fixed tuple but the CCG category set lives in the data
(``tags_to_id.json``, built from the LDC-licensed CCGbank, so it cannot ship here). We follow
jiant, whose ``CCGTask`` has ``LABELS = range(1363)`` and feeds the *ids* that ``tags_to_id.json``
gives each category: the ccg labels are the strings ``"0"`` … ``"1362"`` and :func:`load_ccg`
maps every category to its id. The head size is thus fixed before any data is read, and the
accuracy is the same as over category strings (the map is one-to-one: duplicate or out-of-range
ids are errors). Prediction files of ccg therefore hold ids, to be mapped back with
``tags_to_id.json``; ccg is an intermediate task, so they are rarely written at all.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path

from xstilts.data.ccg_format import read_ccg, read_ccg_tags_to_id
from xstilts.data.conllu_format import UPOS_TAGS, read_conllu
from xstilts.data.examples import TaggingExample
from xstilts.data.hub.configs import PANX_HUB_LANGUAGES, UDPOS_HUB_NAMES
from xstilts.data.hub.source import HubSource
from xstilts.data.hub.tagging import write_panx, write_udpos
from xstilts.data.tagging_format import PANX_LABELS, read_tagging_tsv
from xstilts.errors import DataError
from xstilts.tasks.benchmarks import TASK_LANGUAGES, XTREME_R
from xstilts.tasks.layout import xtreme_download
from xstilts.tasks.recipe import jiant_intermediate, xtreme_tagging
from xstilts.tasks.spec import TaskSpec

#: The 17 UPOS tags in XTREME's ``labels.txt`` order (alphabetical).
UPOS_LABELS: tuple[str, ...] = tuple(sorted(UPOS_TAGS))

#: XTREME-R's lists extend XTREME's (same order, additions at the end).
UDPOS_LANGUAGES: tuple[str, ...] = TASK_LANGUAGES[XTREME_R]["udpos"]
PANX_LANGUAGES: tuple[str, ...] = TASK_LANGUAGES[XTREME_R]["panx"]

#: jiant ``CCGTask.num_labels``: the size of its ``tags_to_id.json``.
CCG_LABEL_COUNT = 1363
CCG_LABELS: tuple[str, ...] = tuple(str(i) for i in range(CCG_LABEL_COUNT))
CCG_SPLITS = ("train", "dev", "test")

_UDPOS_GET = (
    "ud-treebanks-v2.5.tgz (v2.7 for lt pl uk wo ro) from https://lindat.mff.cuni.cz extracted "
    f"into the task folder, or {xtreme_download('udpos')}"
)
_PANX_GET = (
    "the WikiANN {lang}.tar.gz files (AmazonPhotos.zip, see XTREME's README) extracted and "
    f"renamed {{lang}}-{{split}}, or {xtreme_download('panx')}, "
    "or xstilts fetch panx --out DATA_DIR"
)
_UD_FILE = re.compile(r"^([a-z]+)_[^-]+-ud-(train|dev|test)\.conllu$")
_XTREME_TSV = re.compile(r"^(train|dev|test)-([a-z]+)\.tsv$")
_RAW_PANX = re.compile(r"^([a-z]+)-(train|dev|test)$")


def _conflict(task_dir: Path, split: str, language: str, first: Path, second: Path) -> DataError:
    return DataError(
        task_dir,
        None,
        f"{split} data for {language!r} found in two layouts ({first.relative_to(task_dir)} and "
        f"{second.relative_to(task_dir)}); keep one",
    )


# --------------------------------------------------------------------------------------------
# UD-POS
# --------------------------------------------------------------------------------------------


def _ud_files(task_dir: Path) -> Iterable[tuple[Path, str, str]]:
    """``(path, language, split)`` of every UD ``.conllu`` release file below ``task_dir``."""
    for path in task_dir.rglob("*.conllu"):
        match = _UD_FILE.match(path.name)
        if match:
            yield path, match.group(1), match.group(2)


def _udpos_treebanks(task_dir: Path, split: str, language: str) -> list[Path]:
    paths = [path for path, lang, s in _ud_files(task_dir) if lang == language and s == split]
    by_name: dict[str, Path] = {}
    for path in paths:
        if path.name in by_name:
            raise DataError(
                path, None, f"treebank file also found at {by_name[path.name]}; keep one copy"
            )
        by_name[path.name] = path
    return [by_name[name] for name in sorted(by_name)]


def load_udpos(task_dir: Path, split: str, language: str) -> list[TaggingExample]:
    """UD-POS sentences of one language and split, from XTREME's tsv or UD's conllu files."""
    tsv = task_dir / f"{split}-{language}.tsv"
    treebanks = _udpos_treebanks(task_dir, split, language)
    if tsv.is_file():
        if treebanks:
            raise _conflict(task_dir, split, language, tsv, treebanks[0])
        return read_tagging_tsv(tsv, labels=UPOS_TAGS, strip_language_prefix=False)
    if not treebanks:
        raise DataError(
            task_dir,
            None,
            f"no UD-POS {split} data for {language!r}: expected {split}-{language}.tsv or "
            f"{language}_*-ud-{split}.conllu (anywhere below); to get it: {_UDPOS_GET}",
        )
    examples: list[TaggingExample] = []
    for path in treebanks:
        # Sentence ids repeat across treebanks: qualify them with the file they come from.
        examples.extend(
            dataclasses.replace(example, id=f"{path.name}:{example.id}")
            for example in read_conllu(path, multiword="fused", language=language)
        )
    return examples


def udpos_languages_found(task_dir: Path, split: str) -> list[str]:
    """Languages with ``{split}`` data in either layout."""
    found = {lang for _, lang, s in _ud_files(task_dir) if s == split}
    found.update(_tsv_languages(task_dir, split))
    return sorted(found)


def _tsv_languages(task_dir: Path, split: str) -> set[str]:
    found = set()
    for path in task_dir.glob(f"{split}-*.tsv"):
        match = _XTREME_TSV.match(path.name)
        if match and path.is_file():
            found.add(match.group(2))
    return found


# --------------------------------------------------------------------------------------------
# PAN-X (WikiANN)
# --------------------------------------------------------------------------------------------


def load_panx(task_dir: Path, split: str, language: str) -> list[TaggingExample]:
    """PAN-X sentences of one language and split, from XTREME's tsv or the raw WikiANN files."""
    processed = task_dir / f"{split}-{language}.tsv"
    raw = task_dir / f"{language}-{split}"
    if processed.is_file() and raw.is_file():
        raise _conflict(task_dir, split, language, processed, raw)
    if processed.is_file():
        return read_tagging_tsv(processed, labels=PANX_LABELS, strip_language_prefix=False)
    if raw.is_file():
        return read_tagging_tsv(raw, labels=PANX_LABELS, strip_language_prefix=True)
    raise DataError(
        task_dir,
        None,
        f"no PAN-X {split} data for {language!r}: expected {processed.name} or {raw.name}; "
        f"to get it: {_PANX_GET}",
    )


def panx_languages_found(task_dir: Path, split: str) -> list[str]:
    """Languages with ``{split}`` data in either layout."""
    found = _tsv_languages(task_dir, split)
    for path in task_dir.glob(f"*-{split}"):
        match = _RAW_PANX.match(path.name)
        if match and path.is_file():
            found.add(match.group(1))
    return sorted(found)


# --------------------------------------------------------------------------------------------
# CCG
# --------------------------------------------------------------------------------------------


def ccg_tags_to_id(task_dir: Path) -> dict[str, int]:
    """``tags_to_id.json``, checked to be one-to-one onto ids below :data:`CCG_LABEL_COUNT`."""
    path = task_dir / "tags_to_id.json"
    mapping = read_ccg_tags_to_id(path)
    seen: dict[int, str] = {}
    for tag, tag_id in mapping.items():
        if not 0 <= tag_id < CCG_LABEL_COUNT:
            raise DataError(
                path, None, f"category {tag!r} has id {tag_id}; expected 0..{CCG_LABEL_COUNT - 1}"
            )
        if tag_id in seen:
            raise DataError(
                path, None, f"categories {seen[tag_id]!r} and {tag!r} share id {tag_id}"
            )
        seen[tag_id] = tag
    return mapping


def load_ccg(task_dir: Path, split: str, language: str) -> list[TaggingExample]:
    """jiant's ``ccg.{split}``, each category replaced by its ``tags_to_id.json`` id (a string)."""
    if language != "en":
        raise DataError(task_dir, None, f"CCG is English only, not {language!r}")
    if split not in CCG_SPLITS:
        raise DataError(task_dir, None, f"CCG has splits {', '.join(CCG_SPLITS)}, not {split!r}")
    tags_to_id = ccg_tags_to_id(task_dir)
    examples = read_ccg(task_dir / f"ccg.{split}", tags_to_id=tags_to_id)
    return [
        dataclasses.replace(example, tags=tuple(str(tags_to_id[tag]) for tag in example.tags or ()))
        for example in examples
    ]


def ccg_languages_found(task_dir: Path, split: str) -> list[str]:
    return ["en"] if (task_dir / f"ccg.{split}").is_file() else []


# --------------------------------------------------------------------------------------------


SPECS = [
    TaskSpec(
        name="udpos",
        family="tagging",
        languages=UDPOS_LANGUAGES,
        load=load_udpos,
        languages_found=udpos_languages_found,
        metric="f1",
        scorer="tagging",
        labels=UPOS_LABELS,
        hub=HubSource(
            task="udpos",
            languages=tuple(UDPOS_HUB_NAMES),
            config={iso: f"udpos.{name}" for iso, name in UDPOS_HUB_NAMES.items()},
            families=("udpos",),
            write=write_udpos,
            description="udpos.{LanguageName} for the 33 XTREME languages -> {split}-{lang}.tsv; "
            "NOT XTREME's UD-POS (multiword tokens split, treebanks matched by name); use UD v2.5 "
            "for comparable numbers",
            english_trained=True,
            note="the Hub's udpos is not XTREME's UD-POS (multiword tokens are split into words, "
            "treebanks are matched by language name, ZWNJ is kept): scores are not comparable "
            "with published XTREME POS numbers; for those, replace these files in {task_dir} by "
            "the UD v2.5 .conllu release (a split found in both layouts is refused)",
        ),
        description="Universal Dependencies POS tagging: train on English, test in 38 languages",
        recipe=xtreme_tagging("train_udpos.sh"),
        citation=(
            "Nivre et al. 2020. Universal Dependencies v2: An Evergrowing Multilingual "
            "Treebank Collection. LREC"
        ),
        source="Universal Dependencies v2.5 (v2.7 for lt pl uk wo ro), via XTREME's download",
    ),
    TaskSpec(
        name="panx",
        family="tagging",
        languages=PANX_LANGUAGES,
        load=load_panx,
        languages_found=panx_languages_found,
        metric="f1",
        scorer="tagging",
        labels=PANX_LABELS,
        hub=HubSource(
            task="panx",
            languages=PANX_HUB_LANGUAGES,
            config="PAN-X.{language}",
            families=("PAN-X",),
            write=write_panx,
            description="PAN-X.{lang} for the 40 XTREME languages (train, validation, test) -> "
            "raw WikiANN files {lang}-train, {lang}-dev, {lang}-test (test tags included)",
            english_trained=True,
        ),
        description="WikiANN (PAN-X) NER: train on English, test in 48 languages",
        recipe=xtreme_tagging("train_panx.sh"),
        citation=(
            "Pan et al. 2017. Cross-lingual Name Tagging and Linking for 282 Languages. "
            "ACL; splits of Rahimi, Li & Cohn 2019 (ACL)"
        ),
        source="WikiANN (Pan et al. 2017) with Rahimi et al. 2019 splits, via XTREME's download",
    ),
    TaskSpec(
        name="ccg",
        family="tagging",
        languages=("en",),
        load=load_ccg,
        languages_found=ccg_languages_found,
        metric="token_accuracy",  # jiant CCGEvaluationScheme: accuracy over tagged positions
        labels=CCG_LABELS,
        test_split=None,  # an intermediate task: trained on train, selected on dev (as mnli)
        description="CCGbank supertagging (ids from tags_to_id.json), English",
        recipe=jiant_intermediate(),
        citation=(
            "Hockenmaier & Steedman 2007. CCGbank: A Corpus of CCG Derivations and "
            "Dependency Structures Extracted from the Penn Treebank. Computational "
            "Linguistics"
        ),
        source="CCGbank (LDC2005T13), in jiant's ccg.{train,dev,test} + tags_to_id.json layout",
    ),
]
