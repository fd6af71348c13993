"""Hub ``tatoeba`` and ``bucc18`` rows → line-aligned files (``xstilts.data.hub.retrieval``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hub_helpers import FIXTURES, found, hub_source, load

from xstilts.data.hub import convert_rows
from xstilts.errors import DataError
from xstilts.tasks.registry import get_task


def test_tatoeba_round_trip_strips_line_endings(tmp_path: Path) -> None:
    official = FIXTURES / "tatoeba"
    source = (official / "tatoeba.deu-eng.deu").read_text(encoding="utf-8").splitlines(True)
    target = (official / "tatoeba.deu-eng.eng").read_text(encoding="utf-8").splitlines(True)
    rows = [
        {"source_sentence": s, "target_sentence": t, "source_lang": "deu", "target_lang": "eng"}
        for s, t in zip(source, target, strict=True)
    ]
    assert rows[0]["source_sentence"].endswith("\n")  # as the script yields them
    convert_rows(hub_source("tatoeba"), "tatoeba.deu", "validation", rows, tmp_path)
    assert load("tatoeba", tmp_path, "test", "de") == get_task("tatoeba").load(
        official, "test", "de"
    )
    for suffix in ("deu", "eng"):
        name = f"tatoeba.deu-eng.{suffix}"
        assert (tmp_path / "tatoeba" / name).read_text() == (official / name).read_text()


def test_bucc_gold_pairs_become_the_three_files(tmp_path: Path) -> None:
    """The script yields one row per gold pair; ids sit in ``source_lang``/``target_lang``."""
    official = load("bucc2018", FIXTURES, "dev", "de")[0]
    source = dict(zip(official.source_ids, official.source, strict=True))
    target = dict(zip(official.target_ids, official.target, strict=True))
    rows = [
        {
            "source_sentence": source[s],
            "target_sentence": target[t],
            "source_lang": s,
            "target_lang": t,
        }
        for s, t in official.gold
    ]
    convert_rows(hub_source("bucc2018"), "bucc18.de", "validation", rows, tmp_path)
    (ours,) = load("bucc2018", tmp_path, "dev", "de")
    assert ours.gold == official.gold
    assert set(ours.source_ids) == {s for s, _ in official.gold}  # no distractors on the Hub
    assert [source[i] for i in ours.source_ids] == list(ours.source)
    assert found("bucc2018", tmp_path, "dev") == ["de"]
    clash = [rows[0], {**rows[1], "source_lang": rows[0]["source_lang"]}]
    with pytest.raises(DataError, match="names two different sentences"):
        convert_rows(hub_source("bucc2018"), "bucc18.de", "test", clash, tmp_path)
