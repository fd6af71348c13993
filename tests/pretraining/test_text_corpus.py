"""Corpus folders are read as streams: .txt/.xz/.gz, CC-100 and Wikipedia layouts, clear errors."""

from __future__ import annotations

import gzip
import itertools
import tracemalloc
from pathlib import Path

import pytest
from corpus_folders import build_corpora, demo_lines

from xstilts.errors import XstiltsError
from xstilts.pretraining.text_corpus import (
    check_source,
    corpus_files,
    folder_lines,
    held_out_lines,
    hub_lines,
    language_lines,
    source_fingerprint,
)


def test_a_folder_reads_every_format_in_order_without_markup(tmp_path: Path):
    written = build_corpora(tmp_path, ("de",))["de"]
    assert [p.name for p in corpus_files(tmp_path / "de")] == ["a.txt", "b.txt.xz", "c.gz"]
    assert list(folder_lines(tmp_path / "de")) == written  # blank lines and <doc> tags dropped
    held = held_out_lines(tmp_path, "de", 3)
    assert held == demo_lines("de")[-5:-2] and not set(held) & set(written)
    assert held_out_lines(tmp_path, "de", 0) == [] and held_out_lines(tmp_path, "sw", 3) == []


def test_a_shard_is_streamed_not_loaded(tmp_path: Path):
    folder = tmp_path / "big"
    folder.mkdir()
    line = "ein langer Satz über nichts Besonderes, der sich wiederholt.\n"
    (folder / "shard.gz").write_bytes(gzip.compress((line * 300_000).encode(), compresslevel=1))
    tracemalloc.start()
    first = list(itertools.islice(folder_lines(folder), 1000))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(first) == 1000 and first[0] == line.strip()
    assert peak < 2_000_000  # the 19 MB shard is never in memory


def test_missing_and_empty_sources_are_one_line_errors(tmp_path: Path):
    with pytest.raises(XstiltsError, match=r"no corpus folder for language 'sw'.*hub_dataset"):
        check_source(tmp_path, "", "sw")
    (tmp_path / "tr").mkdir()
    (tmp_path / "tr" / "notes.md").write_text("not a corpus file")
    with pytest.raises(XstiltsError, match=r"tr: no .txt/.xz/.gz files"):
        check_source(tmp_path, "", "tr")
    with pytest.raises(XstiltsError, match="no corpus folder"):
        language_lines(tmp_path, "", "sw")
    check_source(tmp_path, "cc100", "sw")  # no folder, but a hub dataset to stream from


def test_the_hub_offline_is_a_clear_message(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(XstiltsError, match=r"cannot stream .*corpus folder <corpus_dir>/sw/"):
        next(hub_lines("cc100", "sw"))


def test_a_truncated_xz_names_the_file(tmp_path: Path):
    build_corpora(tmp_path, ("fr",))
    shard = tmp_path / "fr" / "b.txt.xz"
    shard.write_bytes(shard.read_bytes()[:20])
    with pytest.raises(XstiltsError, match=r"b.txt.xz: cannot read corpus file"):
        list(folder_lines(tmp_path / "fr"))


def test_the_fingerprint_follows_the_files(tmp_path: Path):
    build_corpora(tmp_path, ("ru",))
    before = source_fingerprint(tmp_path, "", "ru")
    assert before == source_fingerprint(tmp_path, "", "ru")
    with (tmp_path / "ru" / "a.txt").open("a", encoding="utf-8") as handle:
        handle.write("Ещё одна строка.\n")
    assert source_fingerprint(tmp_path, "", "ru") != before
    assert source_fingerprint(tmp_path, "cc100", "sw") == "hub:cc100:sw"
