"""Real pretraining text, read as a stream: one folder per language, or the hub's streaming sets.

A language's corpus is ``<corpus_dir>/<language>/``: every ``.txt``, ``.xz`` or ``.gz`` file
under it (names sorted, sub-folders included), read line by line through ``lzma``/``gzip``
decompression — a shard is never loaded whole, so a 100 GB CC-100 file costs the memory of one
line. Formats:

- CC-100 (``de.txt.xz`` from data.statmt.org/cc-100): one paragraph per line, a blank line
  between documents;
- Wikipedia dumps as extracted text (WikiExtractor: ``<doc id=... >`` ... ``</doc>`` around each
  article, one paragraph per line).

Blank lines and the ``<doc>`` markup lines are skipped: the training stream concatenates text
without regard to sentence or document boundaries, as XLM did (Lample & Conneau 2019, arXiv
1901.07291 §3.3: "text streams of an arbitrary number of sentences"), so a language's token
budget is filled exactly. A language with no folder is streamed from the Hugging Face hub when
the study names a ``hub_dataset`` (``datasets.load_dataset(name, language, streaming=True)``,
rows' ``text``), and is a one-line error when the hub cannot be reached. Files under
``<language>/held-out/`` are never trained on: their first lines give each language's held-out
masked-LM loss after training (the manipulation check).
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import lzma
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from xstilts.errors import XstiltsError
from xstilts.models.encoder_config import offline_mode

SUFFIXES = (".txt", ".xz", ".gz")
HELD_OUT = "held-out"  # <language>/held-out/: text for the manipulation check only
FINGERPRINT_BYTES = 1 << 20  # hashed from each end of every file
OPENERS: dict[str, Callable[..., Any]] = {".xz": lzma.open, ".gz": gzip.open}


def corpus_files(folder: Path, held_out: bool = False) -> list[Path]:
    """The text files of one language's folder (sorted): training text, or (``held_out``) the
    files under its ``held-out/`` sub-folder, which training never reads."""
    root = folder / HELD_OUT if held_out else folder
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.name.endswith(SUFFIXES)
        and (held_out or p.relative_to(folder).parts[0] != HELD_OUT)
    )  # fmt: skip


def _open(path: Path) -> IO[str]:
    """A text stream of ``path`` (decompressed on the fly; undecodable bytes replaced)."""
    opener: Callable[..., IO[str]] = OPENERS.get(path.suffix, open)
    return opener(path, "rt", encoding="utf-8", errors="replace")


def is_text(line: str) -> bool:
    """A line that carries text: not blank, not Wikipedia-extractor markup."""
    stripped = line.strip()
    return bool(stripped) and not (stripped.startswith("<doc ") or stripped == "</doc>")


def folder_lines(folder: Path, held_out: bool = False) -> Iterator[str]:
    """Every text line of a language folder (or its held-out part), stripped, in file order;
    streaming."""
    files = corpus_files(folder, held_out)
    if not files:
        raise XstiltsError(f"{folder}: no {'/'.join(SUFFIXES)} files for this language's corpus")
    for path in files:
        try:
            with _open(path) as handle:
                for line in handle:
                    if is_text(line):
                        yield line.strip()
        except (OSError, EOFError, lzma.LZMAError) as error:
            raise XstiltsError(f"{path}: cannot read corpus file ({error})") from None


def hub_lines(dataset: str, language: str, config: str = "{language}") -> Iterator[str]:
    """Lines of ``dataset``'s config for ``language`` streamed from the hub (never downloaded
    whole); ``config`` is a pattern such as ``20231101.{language}``."""
    advice = f"put the text in the corpus folder <corpus_dir>/{language}/"
    if offline_mode():
        raise XstiltsError(
            f"pretraining.hub_dataset {dataset!r} ({language}): cannot stream from the hub in "
            f"offline mode (HF_HUB_OFFLINE/TRANSFORMERS_OFFLINE); {advice}"
        )
    try:
        from datasets import load_dataset
    except ImportError:
        raise XstiltsError(
            f"pretraining.hub_dataset {dataset!r}: the 'datasets' package is not installed; "
            f"pip install datasets, or {advice}"
        ) from None
    try:
        name = config.format(language=language)
        rows = load_dataset(dataset, name, split="train", streaming=True)
        for row in rows:
            for line in str(row.get("text", "")).splitlines():
                if is_text(line):
                    yield line.strip()
    except (OSError, ConnectionError, ValueError) as error:
        reason = (str(error).splitlines() or ["unknown error"])[0][:200]
        raise XstiltsError(
            f"pretraining.hub_dataset {dataset!r} ({language}): cannot stream from the hub "
            f"({reason}); {advice}"
        ) from None


def language_lines(
    corpus_dir: Path, hub_dataset: str, language: str, hub_config: str = "{language}"
) -> Iterator[str]:
    """A language's text: its local folder if there is one, else the hub's streaming set."""
    folder = corpus_dir / language
    if folder.is_dir():
        return folder_lines(folder)
    if hub_dataset:
        return hub_lines(hub_dataset, language, hub_config)
    raise XstiltsError(
        f"{folder}: no corpus folder for language {language!r} (expected .txt/.xz/.gz files; "
        "or set pretraining.hub_dataset to stream it)"
    )


def held_out_lines(corpus_dir: Path, language: str, count: int) -> list[str]:
    """The first ``count`` lines of ``<corpus_dir>/<language>/held-out/`` ([] without one)."""
    folder = corpus_dir / language
    if count <= 0 or not corpus_files(folder, held_out=True):
        return []
    return list(itertools.islice(folder_lines(folder, held_out=True), count))


def check_source(corpus_dir: Path, hub_dataset: str, language: str) -> None:
    """Fail before any training when a language has no local files and no hub source."""
    folder = corpus_dir / language
    if folder.is_dir():
        if not corpus_files(folder):
            raise XstiltsError(f"{folder}: no {'/'.join(SUFFIXES)} files for {language!r}")
    elif not hub_dataset:
        raise XstiltsError(
            f"{folder}: no corpus folder for language {language!r} (expected .txt/.xz/.gz files; "
            "or set pretraining.hub_dataset to stream it)"
        )


def source_fingerprint(corpus_dir: Path, hub_dataset: str, language: str) -> str:
    """What identifies a language's text without reading it all: each file's name, size and a
    sha256 of its first and last MiB (a folder of CC-100 shards is hashed in milliseconds)."""
    folder = corpus_dir / language
    if not folder.is_dir():
        return f"hub:{hub_dataset}:{language}"  # (the config pattern is part of the cell key)
    digest = hashlib.sha256()
    for path in corpus_files(folder):
        size = path.stat().st_size
        digest.update(f"{path.relative_to(folder)}\0{size}\0".encode())
        with open(path, "rb") as handle:
            digest.update(handle.read(FINGERPRINT_BYTES))
            if size > FINGERPRINT_BYTES:
                handle.seek(max(FINGERPRINT_BYTES, size - FINGERPRINT_BYTES))
                digest.update(handle.read(FINGERPRINT_BYTES))
    return "sha256:" + digest.hexdigest()
