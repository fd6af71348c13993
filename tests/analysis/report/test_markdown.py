"""Markdown rendering of each kind of block."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from xstilts.analysis.plots import FigureFile
from xstilts.analysis.report.blocks import (
    Bullets,
    FigureBlock,
    Heading,
    Paragraph,
    Table,
)
from xstilts.analysis.report.markdown import render_markdown


def test_blocks_render_as_markdown(tmp_path: Path) -> None:
    figure = FigureFile(
        "gain",
        "Gain",
        "What it shows.",
        tmp_path / "figures/gain.png",
        tmp_path / "figures/gain.svg",
    )
    blocks = [
        Heading("Title", 1),
        Paragraph("Some `code`."),
        Bullets(["one", "two"]),
        Table(pd.DataFrame({"a|b": ["1\n2"], "c": ["x"]}), "A caption."),
        FigureBlock(figure),
    ]
    assert render_markdown(blocks, tmp_path) == (
        "# Title\n\nSome `code`.\n\n- one\n- two\n\n"
        "| a\\|b | c |\n|---|---|\n| 1 2 | x |\n\n*A caption.*\n\n"
        "![Gain](figures/gain.png)\n\n*Gain.* What it shows. ([SVG](figures/gain.svg))\n"
    )
