"""Token tagging: Hub ``PAN-X.{l}`` and ``udpos.{Name}`` rows → ``token<TAB>tag`` files.

Both are written with their test tags: the Hub keeps them, and scoring needs them.

The Hub's ``udpos`` is *not* XTREME's UD-POS: the loading script keeps the syntactic words of
multiword tokens (XTREME fuses them), picks treebanks by the substring ``_{Name}`` of their
folder (so e.g. ``udpos.French`` may also pool ``UD_Old_French-*``), and does not strip ZWNJ.
For numbers comparable with XTREME, use the UD v2.5 ``.conllu`` release instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from xstilts.data.hub.configs import PANX_HUB_LABELS, UPOS_HUB_LABELS
from xstilts.data.hub.rows import Conversion, Row, write_lines


def write_panx(job: Conversion, rows: list[Row]) -> list[Path]:
    """The raw WikiANN split file the Hub rows were read from: ``{lang}:token<TAB>tag``."""
    language = job.language
    lines = _tagging_lines(job, rows, "ner_tags", PANX_HUB_LABELS, f"{language}:")
    return [write_lines(job.task_dir / f"{language}-{job.our_split}", lines)]


def write_udpos(job: Conversion, rows: list[Row]) -> list[Path]:
    """XTREME's processed layout ``{split}-{lang}.tsv`` (``token<TAB>tag``, test tags kept)."""
    language = job.language
    lines = _tagging_lines(job, rows, "pos_tags", UPOS_HUB_LABELS, "")
    return [write_lines(job.task_dir / f"{job.our_split}-{language}.tsv", lines)]


def _tagging_lines(
    job: Conversion, rows: list[Row], tag_field: str, names: Sequence[str], prefix: str
) -> list[str]:
    """One ``{prefix}token<TAB>tag`` line per token, a blank line after each sentence; a
    sentence without tokens is left out (a blank line alone would end the previous one)."""
    lines: list[str] = []
    for index, row in enumerate(rows):
        tokens = job.get(row, index, "tokens")
        if not isinstance(tokens, Sequence) or isinstance(tokens, str):
            raise job.error(index, f"field 'tokens' should be a list, got {tokens!r}")
        tags = job.class_names(index, tag_field, job.get(row, index, tag_field), names)
        if len(tags) != len(tokens):
            raise job.error(index, f"{len(tokens)} tokens but {len(tags)} {tag_field}")
        if not tokens:
            continue
        for token, tag in zip(tokens, tags, strict=True):
            if not isinstance(token, str):
                raise job.error(index, f"token {token!r} is not a string")
            lines.append(f"{prefix}{job.one_line(token)}\t{tag}")
        lines.append("")
    return lines
