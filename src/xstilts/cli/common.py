"""Helpers the command modules share: counting nouns, locating a store, printing tables."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

# What ``ArgumentParser.add_subparsers()`` returns, to which each command module adds its commands
# (argparse gives the class no public name).
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def count(number: int, noun: str) -> str:
    """``1 run``, ``2 runs``, ``0 runs``: the messages count things a user reads at a glance."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def store_file(argument: str) -> Path:
    """A store argument may name the DuckDB file or the study output folder holding it."""
    from xstilts.experiments.plan import STORE_NAME

    path = Path(argument)
    return path / STORE_NAME if path.is_dir() else path


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    """The optional ``store`` positional of the commands that read results (see ``store_file``);
    its default is the demo's output folder, so they work right after ``xstilts demo``."""
    parser.add_argument(
        "store",
        nargs="?",
        default="xstilts-demo",
        help="store file or study output folder (default: %(default)s)",
    )


def print_tables(  # type: ignore[no-untyped-def]
    rows, targets: Sequence[str], split: str, selection: str = "en_dev"
) -> None:
    from xstilts.analysis.tables import tables_text

    text = tables_text(rows, targets, split, selection)
    if text:
        print(text)
