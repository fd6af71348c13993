"""The analysis report: Markdown for the repository, a self-contained HTML page for reading.

``write_report`` reads a results store, runs :func:`xstilts.analysis.statistics.analyse`, draws
the figures (:mod:`xstilts.analysis.plots`) and writes ``report.md`` (figures linked as files)
and ``report.html`` (figures embedded as base64 PNG, CSS inline, a Content-Security-Policy that
forbids every external resource — the page can be mailed or archived and still show everything).

Both files are rendered from one list of blocks (:mod:`.blocks`: heading, paragraph, bullets,
table, figure), so they never disagree:

- :mod:`.document` puts the sections in reading order; the sections themselves are in
  :mod:`.results_sections` (data, gains, per-language tables, robustness, method notes) and
  :mod:`.statistics_sections` (correlations, OLS, collinearity, mixed model, leave-one-out),
  helped by :mod:`.wide_tables` (tidy -> paper layout) and :mod:`.formatting` (numbers, and
  intervals in words);
- :mod:`.markdown` and :mod:`.html_page` render the blocks.

Captions are written from the numbers: they state the interval, how many languages and seeds
stand behind it, and what the data can *not* distinguish. Small data (one seed, a handful of
languages) is reported as such, never as a crash.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.analysis import statistics
from xstilts.analysis.plots import make_figures
from xstilts.analysis.report.blocks import Block, Bullets, FigureBlock, Heading, Paragraph, Table
from xstilts.analysis.report.document import build_blocks
from xstilts.analysis.report.formatting import (
    describe_interval,
    fmt,
    fmt_ci,
    fmt_estimate,
    fmt_p,
)
from xstilts.analysis.report.html_page import CONTENT_SECURITY_POLICY, STYLE, render_html
from xstilts.analysis.report.markdown import render_markdown
from xstilts.analysis.report.wide_tables import PREDICTOR_LABELS
from xstilts.experiments.store import ResultStore

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "FIGURE_DIR",
    "PREDICTOR_LABELS",
    "REPORT_HTML",
    "REPORT_MD",
    "STYLE",
    "Block",
    "Bullets",
    "FigureBlock",
    "Heading",
    "Paragraph",
    "Table",
    "build_blocks",
    "describe_interval",
    "fmt",
    "fmt_ci",
    "fmt_estimate",
    "fmt_p",
    "render_html",
    "render_markdown",
    "write_report",
]

REPORT_MD = "report.md"
REPORT_HTML = "report.html"
FIGURE_DIR = "figures"


def write_report(
    store_path: str | Path,
    out_dir: str | Path,
    pretraining: str | Path = "cc100",
    selection: str = "en_dev",
    *,
    split: str = "test",
    study: str | None = None,
) -> Path:
    """Analyse a results store and write ``report.md``, ``report.html`` and ``figures/``.

    ``pretraining``: a volume table of :func:`xstilts.languages.table.pretraining_volume`
    (``"cc100"``, ``"wikipedia"``, ...) or a ``language,volume`` CSV. ``selection``: ``"en_dev"``
    (true zero-shot) or ``"oracle"``. ``study`` restricts the rows to one study of the store.
    Returns the path of ``report.md``; ``report.html`` is written next to it.
    """
    store_path = Path(store_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with ResultStore(store_path, read_only=True) as store:
        rows = store.frame("study = ?", [study]) if study else store.frame()
        items = store.items()
    analysis = statistics.analyse(
        rows, pretraining=pretraining, selection=selection, split=split, items=items
    )
    figures, missing = make_figures(analysis, out / FIGURE_DIR)
    blocks = build_blocks(store_path, rows, analysis, figures, missing)
    markdown_path = out / REPORT_MD
    markdown_path.write_text(render_markdown(blocks, out), encoding="utf-8")
    title = f"X-STILTs analysis — {store_path.name}"
    (out / REPORT_HTML).write_text(render_html(blocks, title), encoding="utf-8")
    return markdown_path
