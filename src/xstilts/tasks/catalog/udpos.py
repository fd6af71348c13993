"""UD-POS: Universal Dependencies POS tagging, the 17 UPOS tags; the 33 XTREME + 5 XTREME-R
languages (a target). Either layout works; a split of a language found in both is an error.

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
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path

from xstilts.data.conllu_format import UPOS_TAGS, read_conllu
from xstilts.data.examples import TaggingExample
from xstilts.data.hub.configs import UDPOS_HUB_NAMES
from xstilts.data.hub.source import HubSource
from xstilts.data.hub.tagging import write_udpos
from xstilts.data.tagging_format import read_tagging_tsv
from xstilts.errors import DataError
from xstilts.tasks.benchmarks import TASK_LANGUAGES, XTREME_R
from xstilts.tasks.layout import xtreme_download
from xstilts.tasks.recipe import xtreme_tagging
from xstilts.tasks.spec import TaskSpec
from xstilts.tasks.tagging_files import conflict, tsv_languages

#: The 17 UPOS tags in XTREME's ``labels.txt`` order (alphabetical).
UPOS_LABELS: tuple[str, ...] = tuple(sorted(UPOS_TAGS))

#: XTREME-R's list extends XTREME's (same order, additions at the end).
UDPOS_LANGUAGES: tuple[str, ...] = TASK_LANGUAGES[XTREME_R]["udpos"]

_UDPOS_GET = (
    "ud-treebanks-v2.5.tgz (v2.7 for lt pl uk wo ro) from https://lindat.mff.cuni.cz extracted "
    f"into the task folder, or {xtreme_download('udpos')}"
)
_UD_FILE = re.compile(r"^([a-z]+)_[^-]+-ud-(train|dev|test)\.conllu$")


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
            raise conflict(task_dir, split, language, tsv, treebanks[0])
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
    found.update(tsv_languages(task_dir, split))
    return sorted(found)


SPEC = TaskSpec(
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
)
