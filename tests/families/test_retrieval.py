"""BUCC mining and ranked retrieval (LAReQA, Mewsli-X): golden margin scores, the threshold
protocol, the submission files, and the whole path with a tiny XLM-R on official-format fixtures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from tiny_models import build_tiny_encoder
from xstilts.config import RetrievalConfig, study_from_dict
from xstilts.data.examples import EntityDescription, EntityMention, PoolCandidate, RetrievalPair
from xstilts.errors import DataError
from xstilts.evaluate import metrics
from xstilts.evaluate.xtreme_score import TASK_LANGUAGES
from xstilts.experiments.runner import STORE_NAME, run_study
from xstilts.experiments.store import ResultStore
from xstilts.families import knn, retrieval, retrieval_bucc, retrieval_ranking
from xstilts.families.knn import _knn_torch, knn_search, normalize_rows
from xstilts.families.retrieval_bucc import (
    evaluate_bucc,
    max_margin_pairs,
    pairs_to_ids,
    unique_sentences,
)
from xstilts.families.retrieval_ranking import evaluate_ranking, rank_pool
from xstilts.models.encoder import load_encoder
from xstilts.tasks import mewslix, more_retrieval_tasks, registry
from xstilts.tasks.mewslix import load_mewslix, mewslix_entity_text, mewslix_query_text
from xstilts.tasks.more_retrieval_tasks import (
    RankingSet,
    lareqa_candidate_text,
    load_bucc2018,
    load_lareqa,
)

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures"
SPECS = [*more_retrieval_tasks.SPECS, *mewslix.SPECS]
SPEC = {spec.name: spec for spec in SPECS}
SETTINGS = RetrievalConfig(layer=-1, max_length=64, batch_size=8)


# --------------------------------------------------------------------------------------------
# Fixtures: a tiny XLM-R whose vocabulary covers the retrieval fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus: list[str] = []
    for task in ("bucc2018", "lareqa", "mewslix"):
        for path in sorted((FIXTURES / task).rglob("*")):
            if path.is_file():
                corpus.extend(path.read_text(encoding="utf-8").splitlines())
    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-retrieval"), corpus)


@pytest.fixture(scope="module")
def tiny(encoder_dir: Path) -> tuple[object, object]:
    return load_encoder(str(encoder_dir))


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


def test_torch_knn_is_exact_and_blocking_changes_nothing() -> None:
    rng = np.random.default_rng(0)
    queries = normalize_rows(rng.normal(size=(37, 8)))
    index = normalize_rows(rng.normal(size=(53, 8)))
    brute = queries @ index.T
    cpu = torch.device("cpu")
    similarities, indices = _knn_torch(queries, index, 4, cpu)
    assert np.array_equal(indices, np.argsort(-brute, axis=1, kind="stable")[:, :4])
    assert np.allclose(similarities, np.take_along_axis(brute, indices, axis=1), atol=1e-6)
    blocked = _knn_torch(queries, index, 4, cpu, block_bytes=1)  # one query row per block
    assert np.array_equal(blocked[1], indices) and np.allclose(blocked[0], similarities)
    everything = _knn_torch(queries, index, 53, cpu)  # k = the whole index
    assert np.array_equal(everything[1][:, :4], indices)


def test_torch_fallback_equals_faiss() -> None:
    pytest.importorskip("faiss")
    rng = np.random.default_rng(1)
    x = normalize_rows(rng.normal(size=(300, 16)))
    y = normalize_rows(rng.normal(size=(400, 16)))
    faiss_sim, faiss_ids = knn_search(x, y, 4, backend="faiss")
    torch_sim, torch_ids = knn_search(x, y, 4, backend="torch")
    assert np.array_equal(faiss_ids, torch_ids)
    assert np.allclose(faiss_sim, torch_sim, atol=1e-5)
    via_faiss = max_margin_pairs(x, y, backend="faiss")
    via_torch = max_margin_pairs(x, y, backend="torch")
    assert [(i, j) for _, i, j in via_faiss] == [(i, j) for _, i, j in via_torch]
    assert [s for s, _, _ in via_faiss] == pytest.approx([s for s, _, _ in via_torch], rel=1e-5)


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
    scores = evaluate_bucc(None, None, sets, SPEC["bucc2018"], SETTINGS, "de", tmp_path)  # type: ignore[arg-type]
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
    scores = evaluate_bucc(None, None, sets, SPEC["bucc2018"], SETTINGS, "de", tmp_path)  # type: ignore[arg-type]
    assert {split for split, _ in scores} == {"dev"}
    assert (tmp_path / "test-de.tsv").read_text() == "t1\tu1\nt2\tu2\n"


@pytest.mark.usefixtures("fixed_candidates")
def test_without_dev_only_the_labelled_oracle_is_reported(tmp_path: Path) -> None:
    sets = {"test": [_pair(TEST_GOLD, "test")]}
    scores = evaluate_bucc(None, None, sets, SPEC["bucc2018"], SETTINGS, "de", tmp_path)  # type: ignore[arg-type]
    assert set(scores) == {
        ("test", m) for m in ("f1_oracle", "precision_oracle", "recall_oracle", "threshold_oracle")
    }
    assert not (tmp_path / "test-de.tsv").exists()


def test_bucc_fixture_with_the_tiny_encoder(tiny: tuple, tmp_path: Path) -> None:
    """The real path on the XTREME-layout fixture (test gold deleted, as XTREME ships it)."""
    encoder, tokenizer = tiny
    task_dir = FIXTURES / "bucc2018"
    spec = SPEC["bucc2018"]
    assert spec.evaluation_languages(task_dir, "dev", []) == ["de"]
    sets = {split: load_bucc2018(task_dir, split, "de") for split in ("dev", "test")}
    scores = evaluate_bucc(encoder, tokenizer, sets, spec, SETTINGS, "de", tmp_path)
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
    assert more_retrieval_tasks.bucc2018_languages_found(task_dir, "test") == ["de"]
    (pair,) = load_bucc2018(task_dir, "test", "de")
    assert pair.gold == (("de-000000101", "en-000000102"),)
    assert load_bucc2018(task_dir, "dev", "de")[0].gold[0] == ("de-000000001", "en-000000003")


# --------------------------------------------------------------------------------------------
# Ranking: LAReQA and Mewsli-X
# --------------------------------------------------------------------------------------------


def test_reference_text_preprocessing() -> None:
    """Golden strings of utils_mewslix.preprocess_mention / preprocess_entity_description and
    evaluate_retrieval.py's LAReQA candidate (sentence + context, no separator)."""
    (ranking,) = load_mewslix(FIXTURES / "mewslix", "dev", "en")
    assert ranking.queries[0] == (
        "Rhine: Heavy rain on Tuesday caused the { Rhine } to rise by two metres."
    )
    assert ranking.relevant == (("Q584",), ("Q365",))
    assert ranking.candidates[0] == (
        "The Rhine is a river that flows from the Alps to the North Sea. "
        "It is one of the longest rivers in Europe."
    )
    marked = EntityMention(
        id="m",
        language="en",
        document_id="d",
        text="Title\n\nThe {old} bridge over the Rhine.",
        sentence_spans=((0, 5), (7, 39)),
        mention_start=33,
        mention_end=38,
        entity_id="Q584",
    )
    assert mewslix_query_text(marked) == "Rhine: The (old) bridge over the { Rhine } ."
    crossing = EntityMention("m", "en", "d", "A b. C d.", ((0, 4), (5, 9)), 2, 6, None)
    assert mewslix_query_text(crossing) is None
    (lareqa,) = load_lareqa(FIXTURES / "lareqa", "test", "de")
    assert lareqa.candidates[0] == (
        "Der Rhein entspringt in den Schweizer Alpen."
        "Der Rhein entspringt in den Schweizer Alpen. Er erreicht die Nordsee in den "
        "Niederlanden. Er ist etwa 1.230 Kilometer lang."
    )
    candidate = PoolCandidate(id="en_1_1", language="en", sentence="B b.", context="A a.\nB b. ")
    assert lareqa_candidate_text(candidate) == "B b.A a.B b."
    entity = EntityDescription(
        entity_id="Q1",
        title="T",
        language="en",
        description="One  two.\nThree. Skipped",
        sentence_spans=((0, 9), (10, 16)),
        url="u",
    )
    assert mewslix_entity_text(entity) == "One two. Three."


def test_lareqa_pools_every_language_and_relevance_crosses_languages() -> None:
    (german,) = load_lareqa(FIXTURES / "lareqa", "test", "de")
    (english,) = load_lareqa(FIXTURES / "lareqa", "test", "en")
    assert german.candidates is english.candidates  # one shared pool object
    assert len(german.candidate_ids) == 10 and {c[:2] for c in german.candidate_ids} == {"de", "en"}
    assert german.query_ids[0] == "56beb4343aeaaa14008c925b_de"
    assert german.relevant[0] == ("de_1_0", "en_1_0")
    spec = SPEC["lareqa"]
    assert spec.evaluation_languages(FIXTURES / "lareqa", "test", []) == ["de", "en"]


def test_missing_mewslix_mentions_name_both_layouts(tmp_path: Path) -> None:
    tried = r"expected one of: wikinews_mentions/test-sw\.jsonl, wikinews_mentions-test\.jsonl$"
    with pytest.raises(DataError, match=rf"no Mewsli-X test mentions for 'sw'; {tried}"):
        load_mewslix(tmp_path, "test", "sw")


def test_rank_pool_orders_by_cosine() -> None:
    pool = normalize_rows(np.array([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]]))
    queries = np.array([[2.0, 0.1], [-1.0, 0.2]])  # unnormalised: cosine, not dot product
    assert rank_pool(queries, pool, k=20).tolist() == [[0, 2, 1], [1, 2, 0]]
    assert rank_pool(queries, pool, k=2).tolist() == [[0, 2], [1, 2]]


def test_ranking_protocol_end_to_end_with_the_tiny_encoder(
    tiny: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder, tokenizer = tiny
    calls: list[int] = []
    real_embed = retrieval_ranking.embed

    def counting_embed(enc, tok, texts, max_length, settings):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return real_embed(enc, tok, texts, max_length, settings)

    monkeypatch.setattr(retrieval_ranking, "embed", counting_embed)
    retrieval_ranking.clear_pool_cache()
    spec = SPEC["lareqa"]
    for language in ("de", "en"):
        sets = {"test": load_lareqa(FIXTURES / "lareqa", "test", language)}
        scores = evaluate_ranking(encoder, tokenizer, sets, spec, SETTINGS, language, tmp_path)
        ranked = json.loads((tmp_path / f"test-{language}.json").read_text())
        (ranking,) = sets["test"]
        assert isinstance(ranking, RankingSet)
        assert list(ranked) == list(ranking.query_ids)
        assert all(
            len(ids) == 10 and set(ids) == set(ranking.candidate_ids) for ids in ranked.values()
        )
        relevant = dict(zip(ranking.query_ids, ranking.relevant, strict=True))
        assert scores[("test", "map@20")] == pytest.approx(metrics.map_at_k(ranked, relevant, 20))
    assert calls == [10, 3, 3]  # the 10-sentence pool is embedded once for both languages

    # Mewsli-X: dev from the release file, test from an XTREME shard with blanked labels
    task_dir = tmp_path / "mewslix"
    shutil.copytree(FIXTURES / "mewslix", task_dir)
    shard = task_dir / "wikinews_mentions" / "test-de.jsonl"
    shard.parent.mkdir()
    lines = (task_dir / "wikinews_mentions-dev.jsonl").read_text().splitlines()
    record = next(r for r in map(json.loads, lines) if r["context"]["language"] == "de")
    for mention in record["mentions"]:
        mention["entity_id"] = ""
    shard.write_text(json.dumps(record) + "\n")
    spec = SPEC["mewslix"]
    assert spec.evaluation_languages(task_dir, "test", []) == ["de"]
    assert spec.evaluation_languages(task_dir, "dev", []) == ["de", "en"]
    sets = {split: load_mewslix(task_dir, split, "de") for split in ("dev", "test")}
    scores = evaluate_ranking(encoder, tokenizer, sets, spec, SETTINGS, "de", tmp_path)
    assert set(scores) == {("dev", "map@20")}
    assert 100 / 3 <= scores[("dev", "map@20")] <= 100  # one gold among 3 candidates
    predicted = json.loads((tmp_path / "test-de.json").read_text())
    assert list(predicted) == [record["mentions"][0]["example_id"]]
    assert sorted(predicted[record["mentions"][0]["example_id"]]) == ["Q365", "Q584", "Q78"]


# --------------------------------------------------------------------------------------------
# Specs and the runner
# --------------------------------------------------------------------------------------------


def test_specs_follow_the_reference() -> None:
    bucc, lareqa, mewslix = SPEC["bucc2018"], SPEC["lareqa"], SPEC["mewslix"]
    assert bucc.languages == TASK_LANGUAGES["xtreme"]["bucc2018"] == ("de", "fr", "ru", "zh")
    assert (bucc.protocol, bucc.metric, bucc.dev_split, bucc.test_split) == (
        "bucc",
        "f1",
        "dev",
        "test",
    )
    assert lareqa.languages == TASK_LANGUAGES["xtreme-r"]["lareqa"]
    assert mewslix.languages == TASK_LANGUAGES["xtreme-r"]["mewslix"]
    for spec in (bucc, lareqa, mewslix):
        assert spec.family == "retrieval" and spec.train_split is None
    assert (lareqa.protocol, lareqa.metric, lareqa.dev_split) == ("ranking", "map@20", None)
    assert (mewslix.protocol, mewslix.metric, mewslix.dev_split) == ("ranking", "map@20", "dev")


def test_runner_scores_all_three_tasks(
    encoder_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for spec in SPECS:
        monkeypatch.setitem(registry.TASKS, spec.name, spec)
    monkeypatch.setitem(retrieval.PROTOCOLS, "bucc", retrieval_bucc.evaluate_bucc)
    monkeypatch.setitem(retrieval.PROTOCOLS, "ranking", retrieval_ranking.evaluate_ranking)
    data = tmp_path / "data"
    for task in ("bucc2018", "lareqa", "mewslix"):
        shutil.copytree(FIXTURES / task, data / task)
    study = study_from_dict(
        {
            "name": "retrieval",
            "encoder": {"name": str(encoder_dir)},
            "intermediate_tasks": ["none"],
            "target_tasks": ["bucc2018", "lareqa", "mewslix"],
            "data_dir": str(data),
            "output_dir": str(tmp_path / "out"),
            "threads": 1,
            "retrieval": {"layer": 2, "max_length": 48},
        }
    )
    summary = run_study(study, progress=False)
    assert summary.runs_done == 3
    with ResultStore(tmp_path / "out" / STORE_NAME, read_only=True) as store:
        rows, items = store.frame(), store.items()
    means = items.groupby(["target_task", "split", "language", "metric"])["score"].mean()
    for row in rows[rows["selection"] == "no_selection"].itertuples():  # per-query items
        key = (row.target_task, row.split, row.language, row.metric)
        assert key in means or row.metric not in ("f1", "map@20")
        assert key not in means or means[key] == pytest.approx(row.value, abs=1e-9)
    assert ("bucc2018", "dev", "de", "f1") in means and ("lareqa", "test", "de", "map@20") in means
    got = {(r.target_task, r.split, r.language, r.metric) for r in rows.itertuples()}
    assert ("bucc2018", "dev", "de", "f1") in got and ("bucc2018", "dev", "de", "f1_oracle") in got
    assert not any(task == "bucc2018" and split == "test" for task, split, _, _ in got)
    assert {("lareqa", "test", lang, "map@20") for lang in ("de", "en")} <= got
    assert {("mewslix", "dev", lang, "map@20") for lang in ("de", "en")} <= got
    predictions = {p.name for p in (tmp_path / "out" / "runs").glob("*/predictions/*")}
    assert {"dev-de.tsv", "test-de.tsv", "test-en.json", "dev-en.json"} <= predictions
