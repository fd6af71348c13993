"""BUCC bitext mining (``families/retrieval_bucc.py``): golden margin scores, duplicate sentences,
the dev-threshold protocol, the submission files, the XTREME and original layouts, and the real
path with a tiny XLM-R on the official-format fixture."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from retrieval_data import FIXTURES, SETTINGS, SPEC
from xstilts.data.examples import RetrievalPair
from xstilts.families import knn, retrieval_bucc
from xstilts.families.retrieval_bucc import (
    evaluate_bucc,
    max_margin_pairs,
    pairs_to_ids,
    unique_sentences,
)
from xstilts.families.retrieval_call import RetrievalCall
from xstilts.tasks.catalog.bucc2018 import bucc2018_languages_found, load_bucc2018


def _cosine_space(similarity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors x_i, y_j with cos(x_i, y_j) = similarity[i, j] exactly (columns norm <= 1).

    x_i = e_i; y_j = (column j, then sqrt(1 - |column j|^2) on a private axis).
    """
    n_source, n_target = similarity.shape
    x = np.zeros((n_source, n_source + n_target))
    x[:, :n_source] = np.eye(n_source)
    y = np.zeros((n_target, n_source + n_target))
    y[:, :n_source] = similarity.T
    for j in range(n_target):
        y[j, n_source + j] = np.sqrt(1.0 - (similarity[:, j] ** 2).sum())
    return x.astype(np.float32), y.astype(np.float32)


# --------------------------------------------------------------------------------------------
# Margin mining: golden example, duplicates, k-NN backends
# --------------------------------------------------------------------------------------------

# cos(x_i, y_j); y3 is a "hub", the nearest target of x0 and x1 by plain cosine.
HUB = np.array(
    [
        [0.65, 0.10, 0.05, 0.70],
        [0.10, 0.55, 0.10, 0.60],
        [0.05, 0.10, 0.50, 0.20],
        [0.20, 0.05, 0.10, 0.10],
    ]
)


def _no_encoder(work_dir: Path) -> RetrievalCall:
    """BUCC's mining stubbed out (``mine_bucc`` monkeypatched): no encoder is called."""
    return RetrievalCall(None, None, SPEC["bucc2018"], SETTINGS, "de", work_dir)  # type: ignore[arg-type]


def test_ratio_margin_max_strategy_golden_4x4() -> None:
    """Hand computation with k = 2 (utils_retrieve.mine_bitext, margin="ratio", retrieval="max").

    Mean of the 2 nearest neighbours: forward x0 .675, x1 .575, x2 .35, x3 .15;
    backward y0 .425, y1 .325, y2 .30, y3 .65.
    Forward bests: x0: y3 .70/((.675+.65)/2) = 1.0566 < y0 .65/((.675+.425)/2) = 1.1818 -> y0;
    x1: y3 .60/.6125 = .9796 < y1 .55/.45 = 1.2222 -> y1; x2: y2 .5/.325 = 1.5385;
    x3: y0 .2/.2875 = .6957. Backward bests: y0 -> x0 1.1818, y1 -> x1 1.2222, y2 -> x2 1.5385,
    y3 -> x0 1.0566. Greedy 1:1 over the pooled list: (2,2), (1,1), (0,0); then (0,3) is refused
    (x0 used) and (3,0) too (y0 used). The margin undoes the hub: cosine alone maps x0, x1 -> y3.
    """
    x, y = _cosine_space(HUB)
    assert np.allclose(x @ y.T, HUB, atol=1e-6)
    assert list((x @ y.T).argmax(axis=1)[:2]) == [3, 3]
    for backend in ("torch", "faiss") if knn.faiss_available() else ("torch",):
        mined = max_margin_pairs(x, y, neighbourhood=2, backend=backend)
        assert [(i, j) for _, i, j in mined] == [(2, 2), (1, 1), (0, 0)]
        assert [score for score, _, _ in mined] == pytest.approx(
            [0.5 / 0.325, 0.55 / 0.45, 0.65 / 0.55], rel=1e-5
        )


def test_neighbourhood_is_capped_by_the_other_side() -> None:
    x, y = _cosine_space(HUB[:, :2])  # two targets: k = min(4, 2)
    mined = max_margin_pairs(x, y)
    assert {(i, j) for _, i, j in mined} == {(0, 0), (1, 1)}


def test_duplicate_sentences_dropped_as_reference_or_mapped_to_all_ids() -> None:
    source = unique_sentences(["s1", "s2", "s3"], ["Hallo Welt.", "Guten Tag.", "Hallo Welt."])
    target = unique_sentences(["t1", "t2"], ["Hello world.", "Good day."])
    assert source.texts == ("Hallo Welt.", "Guten Tag.")
    assert source.ids == (("s1", "s3"), ("s2",))
    mined = [(1.4, 0, 0), (1.2, 1, 1)]
    # utils_retrieve.read_sent2id deletes repeated sentences: their pairs vanish
    assert pairs_to_ids(mined, source, target) == [(1.2, "s2", "t2")]
    assert pairs_to_ids(mined, source, target, duplicates="all") == [
        (1.4, "s1", "t1"),
        (1.4, "s3", "t1"),
        (1.2, "s2", "t2"),
    ]


def test_each_distinct_sentence_is_embedded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    vectors = {"Hallo Welt.": [1.0, 0.0], "Guten Tag.": [0.0, 1.0]}
    vectors |= {"Hello world.": [0.9, 0.1], "Good day.": [0.1, 0.9]}
    seen: list[tuple[str, ...]] = []

    def fake_embed(encoder, tokenizer, texts, max_length, settings):  # type: ignore[no-untyped-def]
        seen.append(tuple(texts))
        return np.array([vectors[t] for t in texts], dtype=np.float32)

    monkeypatch.setattr(retrieval_bucc, "embed", fake_embed)
    pair = RetrievalPair(
        language="de",
        source_ids=("s1", "s2", "s3"),
        source=("Hallo Welt.", "Guten Tag.", "Hallo Welt."),
        target_ids=("t1", "t2"),
        target=("Hello world.", "Good day."),
    )
    mined = retrieval_bucc.mine_bucc(None, None, pair, SETTINGS, duplicates="all")  # type: ignore[arg-type]
    assert seen == [("Hallo Welt.", "Guten Tag."), ("Hello world.", "Good day.")]
    assert {(s, t) for _, s, t in mined} == {("s1", "t1"), ("s3", "t1"), ("s2", "t2")}


# --------------------------------------------------------------------------------------------
# The BUCC threshold protocol
# --------------------------------------------------------------------------------------------

DEV_CANDIDATES = [
    (1.5, "d1", "e1"),
    (1.4, "d2", "e2"),
    (1.2, "d3", "e3"),
    (1.1, "d4", "e4"),
    (1.0, "d5", "e5"),
]
DEV_GOLD = (("d1", "e1"), ("d2", "e2"), ("d4", "e4"))
TEST_CANDIDATES = [(1.3, "t1", "u1"), (1.08, "t2", "u2"), (1.02, "t3", "u3"), (0.9, "t4", "u4")]
TEST_GOLD = (("t1", "u1"), ("t3", "u3"), ("t5", "u5"))


def _pair(gold: tuple[tuple[str, str], ...], split: str) -> RetrievalPair:
    return RetrievalPair(
        language="de",
        source_ids=(split,),
        source=("x",),
        target_ids=(split,),
        target=("y",),
        gold=gold,
    )


@pytest.fixture()
def fixed_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    by_split = {"dev": DEV_CANDIDATES, "test": TEST_CANDIDATES}
    monkeypatch.setattr(
        retrieval_bucc, "mine_bucc", lambda enc, tok, pair, *args: by_split[pair.source_ids[0]]
    )


@pytest.mark.usefixtures("fixed_candidates")
def test_dev_threshold_is_applied_to_test_and_oracle_is_labelled_apart(tmp_path: Path) -> None:
    """Dev scan (bucc_optimize): F1 .5, .8, .667, .857, .75 -> cut after d4, threshold
    (1.1 + 1.0) / 2 = 1.05. On test it keeps t1, t2: P 1/2, R 1/3, F1 40. The test oracle cuts
    after t3: threshold (1.02 + 0.9) / 2 = 0.96, P = R = F1 = 2/3."""
    sets = {"dev": [_pair(DEV_GOLD, "dev")], "test": [_pair(TEST_GOLD, "test")]}
    scores = evaluate_bucc(_no_encoder(tmp_path), sets)
    assert scores[("dev", "threshold")] == pytest.approx(1.05)
    assert scores[("dev", "f1")] == pytest.approx(100 * 6 / 7)
    for metric in ("f1", "precision", "recall", "threshold"):
        assert scores[("dev", f"{metric}_oracle")] == scores[("dev", metric)]
    assert scores[("test", "threshold")] == pytest.approx(1.05)  # carried over, not re-tuned
    assert scores[("test", "precision")] == pytest.approx(50.0)
    assert scores[("test", "recall")] == pytest.approx(100 / 3)
    assert scores[("test", "f1")] == pytest.approx(40.0)
    assert scores[("test", "threshold_oracle")] == pytest.approx(0.96)
    for metric in ("f1", "precision", "recall"):
        assert scores[("test", f"{metric}_oracle")] == pytest.approx(200 / 3)
    # submission files: src_id<TAB>trg_id, best first, at the dev-tuned threshold
    assert (tmp_path / "test-de.tsv").read_text() == "t1\tu1\nt2\tu2\n"
    assert (tmp_path / "dev-de.tsv").read_text().splitlines() == [
        "d1\te1",
        "d2\te2",
        "d3\te3",
        "d4\te4",
    ]


@pytest.mark.usefixtures("fixed_candidates")
def test_hidden_test_gold_gives_predictions_only(tmp_path: Path) -> None:
    sets = {"dev": [_pair(DEV_GOLD, "dev")], "test": [_pair((), "test")]}
    scores = evaluate_bucc(_no_encoder(tmp_path), sets)
    assert {split for split, _ in scores} == {"dev"}
    assert (tmp_path / "test-de.tsv").read_text() == "t1\tu1\nt2\tu2\n"


@pytest.mark.usefixtures("fixed_candidates")
def test_without_dev_only_the_labelled_oracle_is_reported(tmp_path: Path) -> None:
    sets = {"test": [_pair(TEST_GOLD, "test")]}
    scores = evaluate_bucc(_no_encoder(tmp_path), sets)
    assert set(scores) == {
        ("test", m) for m in ("f1_oracle", "precision_oracle", "recall_oracle", "threshold_oracle")
    }
    assert not (tmp_path / "test-de.tsv").exists()


def test_bucc_fixture_with_the_tiny_encoder(retrieval_encoder: tuple, tmp_path: Path) -> None:
    """The real path on the XTREME-layout fixture (test gold deleted, as XTREME ships it)."""
    encoder, tokenizer = retrieval_encoder
    task_dir = FIXTURES / "bucc2018"
    spec = SPEC["bucc2018"]
    assert spec.evaluation_languages(task_dir, "dev", []) == ["de"]
    sets = {split: load_bucc2018(task_dir, split, "de") for split in ("dev", "test")}
    scores = evaluate_bucc(RetrievalCall(encoder, tokenizer, spec, SETTINGS, "de", tmp_path), sets)
    assert {split for split, _ in scores} == {"dev"}
    assert 0.0 <= scores[("dev", "f1")] <= 100.0
    assert scores[("dev", "f1")] == scores[("dev", "f1_oracle")]
    source_ids = set(sets["test"][0].source_ids)
    target_ids = set(sets["test"][0].target_ids)
    lines = (tmp_path / "test-de.tsv").read_text().splitlines()
    pairs = [tuple(line.split("\t")) for line in lines]
    assert all(s in source_ids and t in target_ids for s, t in pairs)
    assert len({s for s, _ in pairs}) == len(pairs) == len({t for _, t in pairs})  # 1:1


def test_original_bucc_layout_keeps_the_test_gold(tmp_path: Path) -> None:
    """BUCC's own tarballs: {src}-en/{src}-en.{sample|training}.*, training gold included."""
    folder = tmp_path / "bucc2018" / "de-en"
    folder.mkdir(parents=True)
    for ours, theirs in (("dev", "sample"), ("test", "training")):
        for suffix in ("de", "en", "gold"):
            source = FIXTURES / "bucc2018" / f"de-en.{ours}.{suffix}"
            if source.is_file():
                shutil.copy(source, folder / f"de-en.{theirs}.{suffix}")
    (folder / "de-en.training.gold").write_text("de-000000101\ten-000000102\n")
    task_dir = tmp_path / "bucc2018"
    assert bucc2018_languages_found(task_dir, "test") == ["de"]
    (pair,) = load_bucc2018(task_dir, "test", "de")
    assert pair.gold == (("de-000000101", "en-000000102"),)
    assert load_bucc2018(task_dir, "dev", "de")[0].gold[0] == ("de-000000001", "en-000000003")
