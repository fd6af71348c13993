"""The report as data: a list of blocks that both renderers read.

Markdown and HTML are rendered from the same blocks, so the two files can never disagree; the
sections only decide *what* to say, never how it is marked up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from xstilts.analysis.plots import FigureFile


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Paragraph:
    text: str


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    frame: pd.DataFrame  # cells already formatted as strings
    caption: str = ""


@dataclass
class FigureBlock:
    figure: FigureFile


Block = Heading | Paragraph | Bullets | Table | FigureBlock


def section(
    heading: Heading,
    data: pd.DataFrame,
    if_empty: str,
    content: Callable[[pd.DataFrame], list[Block]],
) -> list[Block]:
    """``heading`` over ``content(data)``, or over the sentence ``if_empty`` when there is no
    data: a section is never silently missing, it says why it is empty."""
    if data.empty:
        return [heading, Paragraph(if_empty)]
    return [heading, *content(data)]
