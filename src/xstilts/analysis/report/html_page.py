"""``report.html``: the blocks as one self-contained page that can be mailed or archived.

CSS is inline, figures are embedded as base64 PNG, and a Content-Security-Policy forbids every
external resource, so the page shows everything offline and fetches nothing.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

from xstilts.analysis.report.blocks import Block, Bullets, FigureBlock, Heading, Paragraph, Table

CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""No scripts, no fonts, no network: only inline CSS and data: images."""

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top;
         white-space: nowrap; }
td.prose { white-space: normal; min-width: 18em; }
th { background: #f2f2f2; }
p.caption { font-size: 0.85em; color: #555; margin-top: 0.2em; max-width: 1100px; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; max-width: 1100px; }
code { background: #f5f5f5; padding: 0 0.2em; }
.table-wrap { overflow-x: auto; }
"""


def render_html(blocks: Sequence[Block], title: str) -> str:
    """One self-contained page: inline CSS, figures as base64 PNG, a CSP forbidding the rest."""
    body = [_html_block(block) for block in blocks]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _html_block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{_inline(block.text)}</h{block.level}>"
    if isinstance(block, Paragraph):
        return f"<p>{_inline(block.text)}</p>"
    if isinstance(block, Bullets):
        items = "".join(f"<li>{_inline(item)}</li>" for item in block.items)
        return f"<ul>{items}</ul>"
    if isinstance(block, Table):
        return _html_table(block)
    return _html_figure(block)


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{_inline(str(c))}</th>" for c in table.frame.columns)
    rows = "".join(
        "<tr>" + "".join(_html_cell(v) for v in row) + "</tr>"
        for row in table.frame.itertuples(index=False)
    )
    # the caption follows the table as a paragraph: a <caption> would be squeezed to the
    # width of a narrow table
    caption = f'<p class="caption">{_inline(table.caption)}</p>' if table.caption else ""
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div>{caption}"
    )


def _html_figure(block: FigureBlock) -> str:
    figure = block.figure
    data = base64.b64encode(figure.png.read_bytes()).decode("ascii")
    return (
        f'<figure class="report-figure" id="{html.escape(figure.name)}">'
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(figure.title)}">'
        f"<figcaption><b>{_inline(figure.title)}.</b> {_inline(figure.caption)}"
        "</figcaption></figure>"
    )


def _inline(text: str) -> str:
    """Escape, then turn `code` and **bold** (the only Markdown used in blocks) into HTML."""
    escaped = html.escape(text)
    parts = escaped.split("`")
    escaped = "".join(
        f"<code>{part}</code>" if index % 2 else part for index, part in enumerate(parts)
    )
    parts = escaped.split("**")
    return "".join(f"<b>{part}</b>" if index % 2 else part for index, part in enumerate(parts))


def _html_cell(value: object) -> str:
    """Numbers and intervals stay on one line (a wrapped "[0.60, 0.95]" is hard to read); long
    prose cells wrap."""
    text = str(value)
    css = ' class="prose"' if len(text) > 40 else ""
    return f"<td{css}>{_inline(text)}</td>"
