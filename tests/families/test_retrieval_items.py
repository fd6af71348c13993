"""Per-item scores of retrieval (per query) and tagging (per sentence): read from official-format
fixtures and submission-format prediction files, they average to the official score exactly, and
the linearised ratios carry the ratio's sampling variance."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from xstilts.data.examples import RetrievalPair
from xstilts.evaluate import metrics
from xstilts.families.items import item_scores, linearised_ratio, tagging_items
from xstilts.families.registry import FAMILY_OPS
from xstilts.families.retrieval_bucc import bucc_items
from xstilts.families.retrieval_items import retrieval_item_records
from xstilts.tasks.registry import get_task

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures"
TAGGING = Path(__file__).resolve().parent / "fixtures" / "tagging"


def _mean(records: list[dict[str, object]]) -> float:
    return float(np.mean([float(str(r["score"])) for r in records]))


def test_tatoeba_items_are_per_query_correct_at_1(tmp_path: Path) -> None:
    spec = get_task("tatoeba")
    (pair,) = spec.load(FIXTURES / "tatoeba", "test", "de")
    predicted = [0, 2, 2, 1]  # queries 0 and 2 retrieve their translation
    (tmp_path / "test-de.tsv").write_text("".join(f"{i}\n" for i in predicted))
    sets = {("test", "de"): [pair]}
    records = retrieval_item_records(spec, sets, tmp_path)
    assert [(r["item_id"], r["score"]) for r in records] == [
        ("0", 100.0), ("1", 0.0), ("2", 100.0), ("3", 0.0)
    ]  # fmt: skip
    assert {r["metric"] for r in records} == {"accuracy"}
    assert {r["selection"] for r in records} == {"no_selection"}
    assert _mean(records) == metrics.tatoeba_accuracy(predicted, [0, 1, 2, 3])


def test_bucc_items_average_to_the_official_f1(tmp_path: Path) -> None:
    spec = get_task("bucc2018")
    sets = {
        (split, "de"): spec.load(FIXTURES / "bucc2018", split, "de") for split in ("dev", "test")
    }
    extracted = "de-000000001\ten-000000003\nde-000000003\ten-000000002\n"  # 1 right, 1 wrong
    (tmp_path / "dev-de.tsv").write_text(extracted)
    (tmp_path / "test-de.tsv").write_text("de-000000001\ten-000000001\n")  # test gold hidden
    records = retrieval_item_records(spec, sets, tmp_path)
    assert {r["split"] for r in records} == {"dev"}
    assert [r["item_id"] for r in records] == list(sets[("dev", "de")][0].source_ids)
    official = metrics.bucc_prf(
        [tuple(line.split("\t")) for line in extracted.splitlines()],
        sets[("dev", "de")][0].gold,
    )["f1"]
    assert official == pytest.approx(40.0)  # 2·1 / (2 predicted + 3 gold)
    assert _mean(records) == pytest.approx(official, abs=1e-12)


def test_bucc_linearisation_carries_the_f1_sampling_error() -> None:
    """400 source sentences, 300 with a gold pair, noisy mining: the sd of the linearised items'
    mean equals the sd of F1 recomputed on bootstrap resamples of source sentences (±10%)."""
    rng = np.random.default_rng(7)
    sources = [f"s{i}" for i in range(400)]
    gold = [(s, f"t{i}") for i, s in enumerate(sources[:300])]
    extracted = [
        (s, f"t{i}" if rng.random() < 0.7 else f"x{i}") for i, s in enumerate(sources)
        if rng.random() < 0.8
    ]  # fmt: skip
    pair = RetrievalPair("de", tuple(sources), tuple(sources), (), (), tuple(gold))
    values = np.array([v for _, v in bucc_items(pair, extracted)])
    assert values.mean() == pytest.approx(metrics.bucc_prf(extracted, gold)["f1"], abs=1e-10)
    delta_sd = values.std() / np.sqrt(len(values))
    gold_of = {s: [p for p in gold if p[0] == s] for s in sources}
    pred_of = {s: [p for p in extracted if p[0] == s] for s in sources}
    resampled = []
    for _ in range(600):
        picked = rng.integers(0, len(sources), len(sources))
        g = [(k, *p) for k, i in enumerate(picked) for p in gold_of[sources[i]]]
        e = [(k, *p) for k, i in enumerate(picked) for p in pred_of[sources[i]]]
        resampled.append(metrics.bucc_prf(e, g)["f1"])
    assert delta_sd == pytest.approx(float(np.std(resampled)), rel=0.1)


def test_ranking_items_are_per_query_average_precision(tmp_path: Path) -> None:
    spec = get_task("lareqa")
    (ranking,) = spec.load(FIXTURES / "lareqa", "test", "de")
    pool = list(ranking.candidate_ids)
    ranked = {
        query: ([*relevant, *pool] if index % 2 else pool[::-1])[:20]
        for index, (query, relevant) in enumerate(
            zip(ranking.query_ids, ranking.relevant, strict=True)
        )
    }
    (tmp_path / "test-de.json").write_text(json.dumps(ranked))
    records = retrieval_item_records(spec, {("test", "de"): [ranking]}, tmp_path)
    gold = {q: r for q, r in zip(ranking.query_ids, ranking.relevant, strict=True) if r}
    assert [r["item_id"] for r in records] == list(gold)
    assert {r["metric"] for r in records} == {"map@20"}
    assert _mean(records) == pytest.approx(metrics.map_at_k(ranked, gold, k=20), abs=1e-12)


def test_no_items_without_gold_or_prediction_file(tmp_path: Path) -> None:
    spec = get_task("tatoeba")
    (pair,) = spec.load(FIXTURES / "tatoeba", "test", "de")
    assert retrieval_item_records(spec, {("test", "de"): [pair]}, tmp_path) == []
    hidden = RetrievalPair("de", pair.source_ids, pair.source, pair.target_ids, pair.target)
    (tmp_path / "test-de.tsv").write_text("0\n1\n2\n3\n")
    assert retrieval_item_records(spec, {("test", "de"): [hidden]}, tmp_path) == []


@pytest.mark.parametrize(("task", "folder"), [("udpos", "udpos"), ("panx", "panx")])
def test_tagging_items_average_to_seqeval(task: str, folder: str) -> None:
    """Sentences are the items of the chunk F1 and the token accuracy (POS quirks included:
    X runs, merged runs of one tag), each averaging to the official corpus figure."""
    spec = get_task(task)
    examples = spec.load(TAGGING / folder, "dev", "en")
    gold = [list(example.tags or ()) for example in examples]
    labels = sorted({tag for sentence in gold for tag in sentence} | {"X"})
    rng = np.random.default_rng(3)
    predictions = [
        [tag if rng.random() < 0.7 else str(rng.choice(labels)) for tag in sentence]
        for sentence in gold
    ]
    official = metrics.tagging_f1(predictions, gold)
    family = FAMILY_OPS["tagging"]
    scored = item_scores(family, predictions, examples, spec, "en")  # type: ignore[arg-type]
    assert [item_id for item_id, _ in scored] == [str(example.id) for example in examples]
    assert np.mean([v for _, v in scored]) == pytest.approx(official["f1"], abs=1e-9)
    accuracy = tagging_items(predictions, gold, "token_accuracy")
    assert np.mean(accuracy) == pytest.approx(official["token_accuracy"], abs=1e-9)


def test_linearised_ratio_is_exact_in_the_mean_and_zero_without_denominator() -> None:
    values = linearised_ratio([2.0, 0.0, 4.0], [2.0, 1.0, 5.0])
    assert np.mean(values) == pytest.approx(6.0 / 8.0)
    assert linearised_ratio([0.0, 0.0], [0.0, 0.0]) == [0.0, 0.0]


def test_inference_pairs_bucc_configurations_by_source_sentence() -> None:
    """Rows hold the official F1, items the linearised contributions: the analysis uses the
    items (``uncertainty = "items"``), paired by source sentence between configurations."""
    import pandas as pd

    from xstilts.analysis.statistics import inference

    rng = np.random.default_rng(11)
    sources = [f"de-{i}" for i in range(150)]
    gold = tuple((s, f"en-{i}") for i, s in enumerate(sources[:100]))
    base = {"encoder": "e", "target_task": "bucc2018", "split": "test", "metric": "f1",
            "selection": "no_selection"}  # fmt: skip
    rows, items = [], []
    for config, hit in (("none", 0.6), ("mnli", 0.7)):
        for seed in range(3):
            for language in ("en", "de"):
                extracted = [(s, f"en-{i}" if rng.random() < hit else "en-x")
                             for i, s in enumerate(sources) if rng.random() < 0.9]  # fmt: skip
                pair = RetrievalPair(language, tuple(sources), tuple(sources), (), (), gold)
                run = {**base, "run_id": f"{config}-{seed}", "language": language}
                rows.append({**run, "intermediate_task": config, "seed": seed,
                             "value": metrics.bucc_prf(extracted, gold)["f1"]})  # fmt: skip
                items += [{**run, "item_id": item, "score": value}
                          for item, value in bucc_items(pair, extracted)]  # fmt: skip
    result = inference.infer(pd.DataFrame(rows), pd.DataFrame(items), resamples=300)
    assert set(result.comparisons["uncertainty"]) == {"items"}
    gain = result.comparisons.set_index("language").loc[inference.ZERO_SHOT]
    assert gain["n_items"] == 150 and gain["n_seeds"] == 3 and gain["ci_low"] < gain["ci_high"]
