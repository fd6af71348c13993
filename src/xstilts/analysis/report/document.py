"""The whole report as blocks, in reading order: results first, then what explains them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from xstilts.analysis import statistics
from xstilts.analysis.plots import FigureFile
from xstilts.analysis.report.blocks import Block, Bullets, FigureBlock, Heading, Paragraph
from xstilts.analysis.report.inference_sections import (
    comparisons_section,
    findings_section,
    model_checks_section,
    power_section,
)
from xstilts.analysis.report.results_sections import (
    language_tables_section,
    limitations,
    method_notes_section,
    paper_table_section,
    provenance_section,
    robustness_section,
)
from xstilts.analysis.report.statistics_sections import (
    collinearity_section,
    correlation_section,
    lolo_section,
    mixed_section,
    regression_section,
)

TITLE = "X-STILTs analysis: pretraining volume, typology and transfer robustness"


def build_blocks(
    store_path: Path,
    rows: pd.DataFrame,
    analysis: statistics.Analysis,
    figures: list[FigureFile],
    missing_figures: list[str],
) -> list[Block]:
    """The whole report as blocks, in reading order.

    What the data cannot tell comes right after where it came from, before any number, so a
    reader meets the caveats before the estimates.
    """
    blocks: list[Block] = [Heading(TITLE, 1)]
    blocks += provenance_section(store_path, rows, analysis)
    caveats = limitations(analysis)
    if caveats:
        blocks += [Heading("What this data can and cannot tell", 2), Bullets(caveats)]
    blocks += findings_section(analysis)
    blocks += power_section(analysis)
    blocks += paper_table_section(analysis)
    blocks += comparisons_section(analysis)
    blocks += language_tables_section(analysis)
    blocks += robustness_section(analysis)
    blocks += figures_section(figures, missing_figures)
    blocks += _covariates_intro()
    blocks += correlation_section(analysis)
    blocks += regression_section(analysis)
    blocks += model_checks_section(analysis)
    blocks += collinearity_section(analysis)
    blocks += mixed_section(analysis)
    blocks += lolo_section(analysis)
    blocks += method_notes_section(analysis)
    return blocks


def figures_section(figures: list[FigureFile], missing_figures: list[str]) -> list[Block]:
    """The figures drawn, and a list of those that had nothing to draw."""
    blocks: list[Block] = [Heading("Figures", 2)]
    if figures:
        blocks += [FigureBlock(f) for f in figures]
    else:
        blocks.append(Paragraph("No figures: nothing to plot."))
    if missing_figures:
        blocks.append(Bullets(missing_figures))
    return blocks


def _covariates_intro() -> list[Block]:
    return [
        Heading("Pretraining volume, typology and robustness", 2),
        Paragraph(
            "Measures: "
            + "; ".join(f"`{name}` = {text}" for name, text in statistics.MEASURES.items())
            + ". Predictors: log(pretraining volume) with an indicator for languages unseen in "
            "pretraining, and the five URIEL distances to "
            "English (Lauscher et al. 2020)."
        ),
    ]
