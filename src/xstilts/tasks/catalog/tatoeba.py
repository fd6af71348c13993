"""Tatoeba bitext retrieval (XTREME direction: English queries the other side), a target scored
straight from an encoder.

Files follow the LASER release: ``tatoeba.{xxx}-eng.{xxx}`` and ``tatoeba.{xxx}-eng.eng`` (at
the top of ``tatoeba/`` or in LASER's ``v1/`` folder; also what ``xstilts fetch`` writes), one
sentence per line, line i of both files translations of each other; ``xxx`` is the ISO 639-3 code
the release uses (``swh`` for Swahili, ``cmn`` for Mandarin). XTREME's ``download_data.sh``
instead leaves ``{l}-en.{l}`` and ``{l}-en.en`` with the English lines sorted (the gold is
hidden): those are read too, predicted and not scored.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import RetrievalPair
from xstilts.data.hub.configs import TATOEBA_HUB_CODES
from xstilts.data.hub.retrieval import write_tatoeba
from xstilts.data.hub.source import HubSource
from xstilts.errors import DataError
from xstilts.tasks.benchmarks import TASK_LANGUAGES, XTREME_R
from xstilts.tasks.bitext import (
    line_pair,
    match_trailing_blanks,
    sentence_lines,
    tatoeba_protocol_spec,
)
from xstilts.tasks.layout import missing, xtreme_download
from xstilts.tasks.recipe import xtreme_retrieval

# ISO 639-1 (our language key) -> the 639-3 code in the Tatoeba file names: XTREME's 36 and
# XTREME-R's 5 more, then languages the LASER release holds beyond them (Amharic:
# facebookresearch/LASER data/tatoeba/v1/tatoeba.amh-eng.amh). Those are read from the release
# layout and scored alone; XTREME scores (xstilts score --version) average the benchmark lists.
TATOEBA_CODES = {
    "af": "afr", "ar": "ara", "bn": "ben", "bg": "bul", "zh": "cmn", "de": "deu", "el": "ell",
    "et": "est", "eu": "eus", "fi": "fin", "fr": "fra", "he": "heb", "hi": "hin", "hu": "hun",
    "id": "ind", "it": "ita", "jv": "jav", "ja": "jpn", "ka": "kat", "kk": "kaz", "ko": "kor",
    "ml": "mal", "mr": "mar", "nl": "nld", "fa": "pes", "pt": "por", "ru": "rus", "es": "spa",
    "sw": "swh", "ta": "tam", "te": "tel", "tl": "tgl", "th": "tha", "tr": "tur", "ur": "urd",
    "vi": "vie", "az": "aze", "lt": "lit", "pl": "pol", "uk": "ukr", "ro": "ron",
    "am": "amh",
}  # fmt: skip


_LASER_GET = (
    "the LASER test sets (https://github.com/facebookresearch/LASER, data/tatoeba/v1/) copied "
    "into the task folder"
)


def _tatoeba_get(language: str) -> str:
    """How to get one language's files: XTREME's download holds the benchmark's languages, the
    Hub XTREME's 36; the others (``am``) come from the LASER release alone."""
    ways = [_LASER_GET]
    if language in TASK_LANGUAGES[XTREME_R]["tatoeba"]:
        ways.append(xtreme_download("tatoeba"))
    if language in TATOEBA_HUB_CODES:
        ways.append("xstilts fetch tatoeba --out DATA_DIR")
    return ", or ".join(ways)


def _laser_names(code: str) -> list[tuple[str, str]]:
    """(source, English) file pairs of the LASER release: top of the task folder or ``v1/``."""
    names = (f"tatoeba.{code}-eng.{code}", f"tatoeba.{code}-eng.eng")
    return [names, (f"v1/{names[0]}", f"v1/{names[1]}")]


def _xtreme_names(language: str) -> tuple[str, str]:
    """XTREME's ``utils_preprocess.py`` (``tatoeba_preprocess``) copies: ``{l}-en.{l}`` and the
    English side *sorted* (it hides the gold alignment; XTREME scores on its server)."""
    return f"{language}-en.{language}", f"{language}-en.en"


def _layout(task_dir: Path, language: str) -> tuple[Path, Path, bool] | None:
    """(source file, English file, aligned) of the first layout present, else None."""
    code = TATOEBA_CODES.get(language)
    if code is None:
        return None
    for source, english in _laser_names(code):
        if (task_dir / source).is_file() and (task_dir / english).is_file():
            return task_dir / source, task_dir / english, True
    source, english = _xtreme_names(language)
    if (task_dir / source).is_file() and (task_dir / english).is_file():
        return task_dir / source, task_dir / english, False
    return None


def load_tatoeba(task_dir: Path, split: str, language: str) -> list[RetrievalPair]:
    """One sentence set for ``language``; gold pairs are (line i, line i) in the LASER layout,
    none in XTREME's (whose English side is sorted): its predictions are not scored."""
    code = TATOEBA_CODES.get(language)
    if code is None:
        raise DataError(task_dir, None, f"Tatoeba has no language {language!r}")
    found = _layout(task_dir, language)
    if found is None:
        tried = [name for pair in [*_laser_names(code), _xtreme_names(language)] for name in pair]
        raise missing(task_dir, tried, f"Tatoeba files for {language!r}", _tatoeba_get(language))
    source_path, target_path, aligned = found
    source, target = sentence_lines(source_path), sentence_lines(target_path)
    match_trailing_blanks(source, target)
    if aligned and len(source) != len(target):
        raise DataError(
            target_path, None, f"{len(target)} lines but {source_path.name} has {len(source)}"
        )
    return [line_pair(language, source, target, aligned)]


def tatoeba_languages_found(task_dir: Path, split: str) -> list[str]:
    """Languages whose two Tatoeba files are present in one of the layouts."""
    return [lang for lang in TATOEBA_CODES if _layout(task_dir, lang) is not None]


SPEC = tatoeba_protocol_spec(
    name="tatoeba",
    languages=tuple(TATOEBA_CODES),
    load=load_tatoeba,
    languages_found=tatoeba_languages_found,
    hub=HubSource(
        task="tatoeba",
        languages=tuple(TATOEBA_HUB_CODES),
        config={iso: f"tatoeba.{code}" for iso, code in TATOEBA_HUB_CODES.items()},
        families=("tatoeba",),
        write=write_tatoeba,
        description="tatoeba.{xxx} for the 36 XTREME languages (validation) -> "
        "tatoeba.{xxx}-eng.{xxx}, tatoeba.{xxx}-eng.eng",
    ),
    description="Tatoeba bitext retrieval; English queries the other side (XTREME direction)",
    recipe=xtreme_retrieval("run_tatoeba.sh"),
    citation=(
        "Artetxe & Schwenk 2019. Massively Multilingual Sentence Embeddings for "
        "Zero-Shot Cross-Lingual Transfer and Beyond. TACL"
    ),
    source="LASER Tatoeba test sets (Artetxe & Schwenk 2019), XTREME layout",
)
