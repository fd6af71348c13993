"""What the tagging tasks share: XTREME's preprocessed ``{split}-{lang}.tsv`` files, and the rule
that a split of a language found in two layouts is an error, so the source of every number is
unambiguous (``udpos`` and ``panx`` each accept XTREME's files or the release's)."""

from __future__ import annotations

import re
from pathlib import Path

from xstilts.errors import DataError

_XTREME_TSV = re.compile(r"^(train|dev|test)-([a-z]+)\.tsv$")


def conflict(task_dir: Path, split: str, language: str, first: Path, second: Path) -> DataError:
    """The error for one split of one language present in two layouts."""
    return DataError(
        task_dir,
        None,
        f"{split} data for {language!r} found in two layouts ({first.relative_to(task_dir)} and "
        f"{second.relative_to(task_dir)}); keep one",
    )


def tsv_languages(task_dir: Path, split: str) -> set[str]:
    """Languages with an XTREME ``{split}-{lang}.tsv`` file."""
    found = set()
    for path in task_dir.glob(f"{split}-*.tsv"):
        match = _XTREME_TSV.match(path.name)
        if match and path.is_file():
            found.add(match.group(2))
    return found
