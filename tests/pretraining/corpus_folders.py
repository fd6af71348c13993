"""Miniature CC-100/Wikipedia-style corpus folders (one per language; .txt, .xz and .gz files)
built from the project's own demo sentences, for the continued-MLM tests."""

from __future__ import annotations

import gzip
import lzma
from pathlib import Path

from tiny_models import DEMO_DATA

LANGUAGES = ("de", "en", "fr", "ru")
HELD_OUT_LINES = 5


def demo_lines(language: str) -> list[str]:
    text = (DEMO_DATA / "mlm" / f"{language}.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


def write_language(folder: Path, lines: list[str]) -> list[str]:
    """Three files: CC-100 style .txt (blank line between documents), .txt.xz, and a Wikipedia
    extractor style .gz (``<doc>`` markup); returns the training lines in reading order. The last
    ``HELD_OUT_LINES`` lines go to ``held-out/`` (never trained on)."""
    (folder / "held-out").mkdir(parents=True, exist_ok=True)
    lines, held = lines[:-HELD_OUT_LINES], lines[-HELD_OUT_LINES:]
    (folder / "held-out" / "dev.txt").write_text("\n".join(held) + "\n", encoding="utf-8")
    third = len(lines) // 3
    a, b, c = lines[:third], lines[third : 2 * third], lines[2 * third :]
    cc100 = "".join(f"{line}\n" + ("\n" if i % 4 == 3 else "") for i, line in enumerate(a))
    (folder / "a.txt").write_text(cc100, encoding="utf-8")
    (folder / "b.txt.xz").write_bytes(lzma.compress(("\n".join(b) + "\n\n").encode()))
    wiki = '<doc id="1" url="x" title="T">\n' + "\n".join(c) + "\n</doc>\n"
    (folder / "c.gz").write_bytes(gzip.compress(wiki.encode()))
    return a + b + c


def build_corpora(root: Path, languages: tuple[str, ...] = LANGUAGES) -> dict[str, list[str]]:
    return {code: write_language(root / code, demo_lines(code)) for code in languages}
