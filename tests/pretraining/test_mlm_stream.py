"""The continued-MLM stream: budgets exact to the token, English replay spread through training,
lazy batches that restart and skip forward identically (what a resumed run asks for)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from corpus_folders import build_corpora

from xstilts.config_pretraining import PretrainingConfig
from xstilts.errors import XstiltsError
from xstilts.pretraining.mlm_stream import (
    BatchStream,
    content_tokens,
    make_schedule,
    read_tokens,
    trained_tokens,
    write_tokens,
)
from xstilts.pretraining.text_corpus import language_lines

WORDS: dict[str, int] = {}


class WordTokenizer:
    """Whitespace words -> ids (enough for the stream; the cell tests use a real tokenizer)."""

    bos_token_id, pad_token_id, eos_token_id, mask_token_id = 0, 1, 2, 3

    def __len__(self) -> int:
        return 4 + len(WORDS)

    def __call__(self, lines: list[str], add_special_tokens: bool = False) -> dict:
        return {"input_ids": [[4 + WORDS.setdefault(w, len(WORDS)) for w in line.split()]
                              for line in lines]}  # fmt: skip


def stream_for(root: Path, budgets: dict[str, int], max_length: int, batch: int, seed: int = 0):
    """The stream over token files written from ``root``'s folders (under ``root/tokens``)."""
    tokenizer = WordTokenizer()
    schedule = make_schedule(budgets, max_length, batch, seed)
    tag = "-".join(f"{c}{t}" for c, t in sorted(budgets.items()))
    paths = {}
    for code, tokens in budgets.items():
        if tokens > 0:
            paths[code] = root / "tokens" / f"{code}-{tag}.u32"
            tokenize = lambda chunk: tokenizer(chunk)["input_ids"]  # noqa: E731
            lines = language_lines(root, "", code)
            write_tokens(paths[code], lines, tokenize, tokens, str(root / code))
    return schedule, BatchStream(schedule, lambda code: read_tokens(paths[code]), tokenizer)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpora")
    build_corpora(root)
    return root


@pytest.mark.parametrize("max_length,batch", [(16, 4), (33, 3), (130, 1)])
def test_every_language_trains_exactly_its_budget(corpora: Path, max_length: int, batch: int):
    budgets = {"de": 301, "fr": 64, "ru": 0, "en": 150}
    schedule, stream = stream_for(corpora, budgets, max_length, batch)
    seen: dict[str, int] = {}
    for item in stream:
        assert item["input_ids"].shape[0] <= batch and item["input_ids"].shape[1] <= max_length
        for code, count in content_tokens(item).items():
            seen[code] = seen.get(code, 0) + count
    assert seen == {"de": 301, "fr": 64, "en": 150}  # exact to the token; ru (0) never read
    assert trained_tokens(schedule, len(stream)) == seen


def test_the_replay_share_holds_throughout_training(corpora: Path):
    section = PretrainingConfig(cells=[{"de": 300, "fr": 100}], english_replay=0.2)
    cell = section.designed_cells()[0]
    budgets = {**cell, "en": section.english_tokens(cell)}
    assert budgets["en"] == 100  # 20% of 500
    _, stream = stream_for(corpora, budgets, max_length=12, batch=5)  # 50 blocks, 10 batches
    per_batch = [content_tokens(item) for item in stream]
    assert sum(b.get("en", 0) for b in per_batch) == 100
    for fifth in range(5):  # every fifth of the run: 100 tokens, 20 of them English (+- a block)
        part = per_batch[2 * fifth : 2 * fifth + 2]
        english, total = sum(b.get("en", 0) for b in part), sum(sum(b.values()) for b in part)
        assert total == 100 and abs(english - 20) <= 10, (fifth, english)


def test_data_parallel_shards_count_only_the_batches_used(corpora: Path):
    budgets = {"de": 230, "en": 97}
    schedule, stream = stream_for(corpora, budgets, max_length=10, batch=2)
    world = 4
    used = len(stream) // world * world  # the loop drops the last len % world batches
    assert (len(stream), used) == (21, 20)  # 29 + 13 blocks of <= 8 tokens, 2 a batch
    counted: dict[str, int] = {}
    for item in stream[:used]:
        for code, count in content_tokens(item).items():
            counted[code] = counted.get(code, 0) + count
    assert trained_tokens(schedule, used) == counted
    assert sum(counted.values()) < 327


def test_any_batch_is_built_directly_and_identically(corpora: Path):
    budgets = {"de": 200, "fr": 200, "en": 100}
    _, stream = stream_for(corpora, budgets, max_length=20, batch=3)
    in_order = list(stream)
    _, fresh = stream_for(corpora, budgets, max_length=20, batch=3)
    resumed = list(fresh[7:])  # a resumed run's view: skip forward
    again = fresh[2]  # then back: restart
    for a, b in zip(in_order[7:], resumed, strict=True):
        assert torch.equal(a["input_ids"], b["input_ids"]) and a["languages"] == b["languages"]
    assert torch.equal(again["input_ids"], in_order[2]["input_ids"])
    assert len(fresh[1::2][1:]) == len(in_order[1::2]) - 1


def test_a_budget_beyond_the_corpus_names_folder_and_counts(corpora: Path, tmp_path: Path):
    lines = language_lines(corpora, "", "de")
    path = tmp_path / "de.u32"
    tokenize = lambda chunk: WordTokenizer()(chunk)["input_ids"]  # noqa: E731
    with pytest.raises(XstiltsError, match=r"de: the corpus holds [\d,]+ tokens, .* 1,000,000"):
        write_tokens(path, lines, tokenize, 10**6, str(corpora / "de"))
    assert not list(tmp_path.iterdir())  # no partial token file is left behind


def test_a_token_file_holds_exactly_the_first_tokens(corpora: Path, tmp_path: Path):
    tokenizer = WordTokenizer()
    tokenize = lambda chunk: tokenizer(chunk)["input_ids"]  # noqa: E731
    write_tokens(tmp_path / "fr.u32", language_lines(corpora, "", "fr"), tokenize, 300, "fr")
    expected = [i for line in language_lines(corpora, "", "fr") for i in tokenize([line])[0]]
    assert read_tokens(tmp_path / "fr.u32").tolist() == expected[:300]


def test_the_schedule_is_seeded_and_languages_with_no_budget_have_no_blocks():
    a = make_schedule({"de": 100, "en": 50, "ru": 0}, 12, 4, seed=0)
    assert a.languages == ("de", "en") and len(a.order) == 10 + 5
    budgets = {"de": 130, "en": 70, "fr": 110}
    orders = {tuple(make_schedule(budgets, 12, 4, seed).order.tolist()) for seed in range(5)}
    assert len(orders) > 1 and len({tuple(sorted(order)) for order in orders}) == 1
    again = make_schedule(budgets, 12, 4, 3).order.tolist()
    assert make_schedule(budgets, 12, 4, 3).order.tolist() == again  # a pure function of the seed
