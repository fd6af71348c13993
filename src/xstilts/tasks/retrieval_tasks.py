"""Bitext retrieval targets evaluated straight from an encoder: Tatoeba (BUCC joins in issue 3).

Tatoeba files follow the LASER/XTREME release: ``tatoeba.{xxx}-eng.{xxx}`` and
``tatoeba.{xxx}-eng.eng``, one sentence per line, line i of both files translations of each other;
``xxx`` is the ISO 639-3 code the release uses (``swh`` for Swahili, ``cmn`` for Mandarin).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import RetrievalPair
from xstilts.data.hub.configs import TATOEBA_HUB_CODES
from xstilts.data.hub.retrieval import write_tatoeba
from xstilts.data.hub.source import HubSource
from xstilts.data.readers import open_text
from xstilts.errors import DataError
from xstilts.tasks.spec import TaskSpec

# ISO 639-1 (our language key) -> the 639-3 code in the Tatoeba file names (XTREME + XTREME-R).
TATOEBA_CODES = {
    "af": "afr", "ar": "ara", "bn": "ben", "bg": "bul", "zh": "cmn", "de": "deu", "el": "ell",
    "et": "est", "eu": "eus", "fi": "fin", "fr": "fra", "he": "heb", "hi": "hin", "hu": "hun",
    "id": "ind", "it": "ita", "jv": "jav", "ja": "jpn", "ka": "kat", "kk": "kaz", "ko": "kor",
    "ml": "mal", "mr": "mar", "nl": "nld", "fa": "pes", "pt": "por", "ru": "rus", "es": "spa",
    "sw": "swh", "ta": "tam", "te": "tel", "tl": "tgl", "th": "tha", "tr": "tur", "ur": "urd",
    "vi": "vie", "az": "aze", "lt": "lit", "pl": "pol", "uk": "ukr", "ro": "ron",
}  # fmt: skip


def _lines(path: Path) -> list[str]:
    lines = list(open_text(path))
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise DataError(path, number, "empty line; expected one sentence per line")
    return lines


def load_tatoeba(task_dir: Path, split: str, language: str) -> list[RetrievalPair]:
    """One aligned sentence set for ``language``; gold pairs are (line i, line i)."""
    code = TATOEBA_CODES.get(language)
    if code is None:
        raise DataError(task_dir, None, f"Tatoeba has no language {language!r}")
    source_path = task_dir / f"tatoeba.{code}-eng.{code}"
    target_path = task_dir / f"tatoeba.{code}-eng.eng"
    source, target = _lines(source_path), _lines(target_path)
    if len(source) != len(target):
        raise DataError(
            target_path, None, f"{len(target)} lines but {source_path.name} has {len(source)}"
        )
    ids = tuple(str(i) for i in range(len(source)))
    return [
        RetrievalPair(
            language=language,
            source_ids=ids,
            source=tuple(source),
            target_ids=ids,
            target=tuple(target),
            gold=tuple((i, i) for i in ids),
        )
    ]


def tatoeba_languages_found(task_dir: Path, split: str) -> list[str]:
    """Languages whose two Tatoeba files are present."""
    return [
        lang
        for lang, code in TATOEBA_CODES.items()
        if (task_dir / f"tatoeba.{code}-eng.{code}").is_file()
        and (task_dir / f"tatoeba.{code}-eng.eng").is_file()
    ]


SPECS = [
    TaskSpec(
        name="tatoeba",
        family="retrieval",
        languages=tuple(TATOEBA_CODES),
        load=load_tatoeba,
        languages_found=tatoeba_languages_found,
        metric="accuracy",
        scorer="tatoeba",
        protocol="tatoeba",
        train_split=None,
        dev_split=None,
        test_split="test",
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
        defaults={"max_length": 512},
        citation=(
            "Artetxe & Schwenk 2019. Massively Multilingual Sentence Embeddings for "
            "Zero-Shot Cross-Lingual Transfer and Beyond. TACL"
        ),
        source="LASER Tatoeba test sets (Artetxe & Schwenk 2019), XTREME layout",
    ),
]
