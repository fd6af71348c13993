"""``report.md``: the blocks as GitHub Markdown, with pipe tables and figures linked as files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from xstilts.analysis.report.blocks import Block, Bullets, FigureBlock, Heading, Paragraph, Table


def render_markdown(blocks: Sequence[Block], out_dir: Path) -> str:
    """Markdown with pipe tables; figures linked (PNG shown, SVG linked) relative to the file."""
    lines: list[str] = []
    for block in blocks:
        lines += _markdown_lines(block, out_dir)
    return "\n".join(lines).rstrip() + "\n"


def _markdown_lines(block: Block, out_dir: Path) -> list[str]:
    """One block's lines, each block followed by a blank line."""
    if isinstance(block, Heading):
        return ["#" * block.level + " " + block.text, ""]
    if isinstance(block, Paragraph):
        return [block.text, ""]
    if isinstance(block, Bullets):
        return [f"- {item}" for item in block.items] + [""]
    if isinstance(block, Table):
        return _table_lines(block)
    return _figure_lines(block, out_dir)


def _table_lines(table: Table) -> list[str]:
    columns = [str(c) for c in table.frame.columns]
    lines = [
        "| " + " | ".join(_md_cell(c) for c in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    lines += [
        "| " + " | ".join(_md_cell(v) for v in row) + " |"
        for row in table.frame.itertuples(index=False)
    ]
    lines.append("")
    if table.caption:
        lines += [f"*{table.caption}*", ""]
    return lines


def _figure_lines(block: FigureBlock, out_dir: Path) -> list[str]:
    """The PNG inline (GitHub shows it) and the SVG as a link, for papers."""
    figure = block.figure
    png = figure.png.relative_to(out_dir).as_posix()
    svg = figure.svg.relative_to(out_dir).as_posix()
    return [
        f"![{figure.title}]({png})",
        "",
        f"*{figure.title}.* {figure.caption} ([SVG]({svg}))",
        "",
    ]


def _md_cell(text: object) -> str:
    """A pipe or a newline inside a cell would break the table row."""
    return str(text).replace("|", "\\|").replace("\n", " ")
