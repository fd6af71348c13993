"""WikiANN (PAN-X) NER: IOB2 tags ``B-``/``I-`` ``PER ORG LOC`` and ``O``; the 40 XTREME + 8
XTREME-R languages (a target). Either layout works; a split of a language found in both is an
error.

* XTREME's preprocessed download: ``panx/{split}-{lang}.tsv`` (``panx_preprocess``; test files
  without tags).
* The raw WikiANN split files as XTREME's ``download_panx`` names them after extracting
  ``{lang}.tar.gz`` from ``AmazonPhotos.zip``: ``panx/{lang}-{split}`` with every token prefixed
  by its language (``en:Paris``), which the reader strips. These keep their test tags.
"""

from __future__ import annotations

import re
from pathlib import Path

from xstilts.data.examples import TaggingExample
from xstilts.data.hub.configs import PANX_HUB_LANGUAGES
from xstilts.data.hub.source import HubSource
from xstilts.data.hub.tagging import write_panx
from xstilts.data.tagging_format import PANX_LABELS, read_tagging_tsv
from xstilts.errors import DataError
from xstilts.tasks.benchmarks import TASK_LANGUAGES, XTREME_R
from xstilts.tasks.layout import xtreme_download
from xstilts.tasks.recipe import xtreme_tagging
from xstilts.tasks.spec import TaskSpec
from xstilts.tasks.tagging_files import conflict, tsv_languages

#: XTREME-R's list extends XTREME's (same order, additions at the end).
PANX_LANGUAGES: tuple[str, ...] = TASK_LANGUAGES[XTREME_R]["panx"]

_PANX_GET = (
    "the WikiANN {lang}.tar.gz files (AmazonPhotos.zip, see XTREME's README) extracted and "
    f"renamed {{lang}}-{{split}}, or {xtreme_download('panx')}, "
    "or xstilts fetch panx --out DATA_DIR"
)
_RAW_PANX = re.compile(r"^([a-z]+)-(train|dev|test)$")


def load_panx(task_dir: Path, split: str, language: str) -> list[TaggingExample]:
    """PAN-X sentences of one language and split, from XTREME's tsv or the raw WikiANN files."""
    processed = task_dir / f"{split}-{language}.tsv"
    raw = task_dir / f"{language}-{split}"
    if processed.is_file() and raw.is_file():
        raise conflict(task_dir, split, language, processed, raw)
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
    found = tsv_languages(task_dir, split)
    for path in task_dir.glob(f"*-{split}"):
        match = _RAW_PANX.match(path.name)
        if match and path.is_file():
            found.add(match.group(1))
    return sorted(found)


SPEC = TaskSpec(
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
)
