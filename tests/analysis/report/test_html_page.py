"""HTML rendering: escaping, inline markup, long cells and the self-contained page."""

from __future__ import annotations

import pandas as pd

from xstilts.analysis.report.blocks import Bullets, Heading, Paragraph, Table
from xstilts.analysis.report.html_page import CONTENT_SECURITY_POLICY, render_html


def test_page_escapes_and_marks_up_inline_code_and_bold() -> None:
    page = render_html(
        [Heading("A <b> & C", 2), Paragraph("**Bold** and `code`"), Bullets(["x < y"])],
        "T & T",
    )
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    assert f'content="{CONTENT_SECURITY_POLICY}"' in page
    assert "<title>T &amp; T</title>" in page
    assert "<h2>A &lt;b&gt; &amp; C</h2>" in page
    assert "<p><b>Bold</b> and <code>code</code></p>" in page
    assert "<ul><li>x &lt; y</li></ul>" in page


def test_table_keeps_numbers_on_one_line_and_wraps_prose() -> None:
    prose = "a reason long enough that it should wrap in a narrow column"
    page = render_html([Table(pd.DataFrame({"v": ["[0.60, 0.95]"], "note": [prose]}), "Cap.")], "t")
    assert "<th>v</th><th>note</th>" in page
    assert f'<td>[0.60, 0.95]</td><td class="prose">{prose}</td>' in page
    assert '</table></div><p class="caption">Cap.</p>' in page
