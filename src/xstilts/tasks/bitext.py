"""What the bitext-retrieval tasks of the Tatoeba protocol share (``tatoeba``, ``synth_tatoeba``).

Sentence files are read as XTREME's ``third_party/evaluate_retrieval.py`` reads them, and every
such task has the same shape: one aligned bitext per language, English queries the other side,
top-1 accuracy, a test split only (scorer and protocol ``tatoeba``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from xstilts.data.examples import RetrievalPair
from xstilts.data.hub.source import HubSource
from xstilts.data.readers import open_text
from xstilts.errors import DataError
from xstilts.tasks.recipe import Recipe
from xstilts.tasks.spec import LanguagesFound, Loader, TaskSpec


def sentence_lines(path: Path) -> list[str]:
    """Sentences as ``evaluate_retrieval.py`` reads them: ``[l.strip() for l in open(f)]``:
    every line is a sentence, a blank one included (embedded like any other)."""
    lines = [line.strip() for line in open_text(path)]
    if not any(lines):
        raise DataError(path, None, "empty file; expected one sentence per line")
    return lines


def match_trailing_blanks(first: list[str], second: list[str]) -> None:
    """Drop trailing blank lines of the longer list while the lengths differ (in place).

    The official script would embed files of different lengths and score against a gold file
    that cannot match both; the only difference we repair is trailing blank lines (an editor
    artefact), so that it scores what the files hold (docs/official-reading.md).
    """
    for longer, shorter in ((first, second), (second, first)):
        while len(longer) > len(shorter) and not longer[-1]:
            longer.pop()


def line_pair(
    language: str, source: Sequence[str], target: Sequence[str], aligned: bool
) -> RetrievalPair:
    """Two sentence files as one :class:`RetrievalPair`; ids are line numbers, and the gold is
    line i <-> line i where the files are ``aligned`` (none where the release hides it)."""
    source_ids = tuple(str(i) for i in range(len(source)))
    return RetrievalPair(
        language=language,
        source_ids=source_ids,
        source=tuple(source),
        target_ids=tuple(str(i) for i in range(len(target))),
        target=tuple(target),
        gold=tuple((i, i) for i in source_ids) if aligned else (),
    )


def tatoeba_protocol_spec(
    name: str,
    languages: tuple[str, ...],
    load: Loader,
    languages_found: LanguagesFound,
    description: str,
    citation: str,
    source: str,
    recipe: Recipe | None = None,
    hub: HubSource | None = None,
) -> TaskSpec:
    """The spec of a bitext task scored as XTREME scores Tatoeba (see the module docstring)."""
    return TaskSpec(
        name=name,
        family="retrieval",
        languages=languages,
        load=load,
        languages_found=languages_found,
        metric="accuracy",
        scorer="tatoeba",
        protocol="tatoeba",
        train_split=None,
        dev_split=None,
        test_split="test",
        hub=hub,
        description=description,
        recipe=recipe or Recipe(),
        citation=citation,
        source=source,
    )
