"""Ranked retrieval, LAReQA and Mewsli-X (``families/retrieval_ranking.py``): the reference text
preprocessing, the shared pool, cosine ranking and mAP@20 with a tiny XLM-R on the fixtures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from retrieval_data import FIXTURES, SETTINGS, SPEC
from xstilts.data.examples import EntityDescription, EntityMention, PoolCandidate, RankingSet
from xstilts.errors import DataError
from xstilts.evaluate import metrics
from xstilts.families import retrieval_ranking
from xstilts.families.knn import normalize_rows
from xstilts.families.retrieval_call import RetrievalCall
from xstilts.families.retrieval_ranking import evaluate_ranking, rank_pool
from xstilts.tasks.catalog.lareqa import lareqa_candidate_text, load_lareqa
from xstilts.tasks.catalog.mewslix import load_mewslix, mewslix_entity_text, mewslix_query_text


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
    retrieval_encoder: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder, tokenizer = retrieval_encoder
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
        call = RetrievalCall(encoder, tokenizer, spec, SETTINGS, language, tmp_path)
        scores = evaluate_ranking(call, sets)
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
    call = RetrievalCall(encoder, tokenizer, spec, SETTINGS, "de", tmp_path)
    scores = evaluate_ranking(call, sets)
    assert set(scores) == {("dev", "map@20")}
    assert 100 / 3 <= scores[("dev", "map@20")] <= 100  # one gold among 3 candidates
    predicted = json.loads((tmp_path / "test-de.json").read_text())
    assert list(predicted) == [record["mentions"][0]["example_id"]]
    assert sorted(predicted[record["mentions"][0]["example_id"]]) == ["Q365", "Q584", "Q78"]
