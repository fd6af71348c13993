"""Per-query item scores of the retrieval targets, read back from their prediction files.

The analysis pairs configurations by item (:mod:`xstilts.analysis.statistics.bootstrap`); for
retrieval the item is the query. The protocols (:mod:`.retrieval`) write their predictions in the
submission format; the items are a pure function of those files and the gold, so they say
exactly what the submitted file scores — and the runner needs no second embedding pass:

- **Tatoeba** (``accuracy``): one item per English query, 100 if its nearest source line is its
  translation, else 0 (XTREME's accuracy is the mean of these).
- **Ranking** (LAReQA, Mewsli-X, ``map@20``): one item per gold query, 100 · AP@20
  (``metrics.average_precision_at_k``; mAP@20 is their mean; a query missing from the file
  scores 0, as officially).
- **BUCC** (``f1``): F1 = 2C / (P + G) over *sets* of pairs is a ratio, not a mean over items,
  so each source sentence s gets its *linearised* contribution (Woodruff 1971, JASA 66(334),
  "A simple method for approximating the variance of a complicated estimate";
  :func:`xstilts.families.items.linearised_ratio`):
  z_s = F + 100 · (2c_s − f · b_s) / b̄, with c_s its correct pairs, b_s its predicted plus
  gold pairs, f = F/100 and b̄ the mean of b_s. The z_s average to the official F exactly and
  their variance / n is the delta-method variance of F, so the item bootstrap, paired by source
  sentence, carries F's sampling error. Every source sentence of the set is an item (the same set
  for every configuration, which pairing needs); the dev-tuned threshold is held fixed.

A set whose gold is hidden (XTREME's Tatoeba and BUCC test, Mewsli-X test) or whose prediction
file was not written (BUCC without a dev split) gives no items.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xstilts.data.examples import RetrievalPair
from xstilts.evaluate.metrics import average_precision_at_k
from xstilts.evaluate.submission_files import read_pairs
from xstilts.families.items import linearised_ratio
from xstilts.tasks.spec import TaskSpec

RANKING_K = 20  # mAP@20 (retrieval_ranking.TOP_K)


def tatoeba_items(pair: RetrievalPair, predicted: Sequence[int]) -> list[tuple[str, float]]:
    """(English query id, 100 or 0) per query; [] without gold."""
    if not pair.gold:
        return []
    source_position = {sid: i for i, sid in enumerate(pair.source_ids)}
    gold = {target: source_position[source] for source, target in pair.gold}
    return [
        (str(target_id), 100.0 if gold.get(target_id, -1) == int(index) else 0.0)
        for target_id, index in zip(pair.target_ids, predicted, strict=True)
    ]


def bucc_items(
    pair: RetrievalPair, extracted: Sequence[tuple[str, ...]]
) -> list[tuple[str, float]]:
    """(source sentence id, linearised F1 contribution) per source sentence; [] without gold."""
    if not pair.gold:
        return []
    gold = set(pair.gold)
    predicted = {tuple(p) for p in extracted if len(p) == 2}
    correct = Counter(source for source, _ in predicted & gold)
    counts = Counter(source for source, _ in predicted) + Counter(source for source, _ in gold)
    sources = list(dict.fromkeys(pair.source_ids))
    numerators = [200.0 * correct[s] for s in sources]
    values = linearised_ratio(numerators, [float(counts[s]) for s in sources])
    return list(zip(sources, values, strict=True))


def ranking_items(ranking: Any, ranked: Mapping[str, Sequence[str]]) -> list[tuple[str, float]]:
    """(query id, 100 · AP@20) per query that has gold (``RankingSet``)."""
    return [
        (
            str(query_id),
            100.0 * average_precision_at_k(ranked.get(query_id, []), set(items), RANKING_K),
        )
        for query_id, items in zip(ranking.query_ids, ranking.relevant, strict=True)
        if items
    ]


def _set_items(spec: TaskSpec, examples: Sequence[Any], path: Path) -> list[tuple[str, float]]:
    """One set's items from its prediction file (protocol-specific); [] if it has none."""
    if len(examples) != 1 or not path.is_file():
        return []
    if spec.protocol == "tatoeba":
        lines = path.read_text(encoding="utf-8").split()
        return tatoeba_items(examples[0], [int(line) for line in lines])
    if spec.protocol == "bucc":
        return bucc_items(examples[0], read_pairs(path))
    if spec.protocol == "ranking":
        return ranking_items(examples[0], json.loads(path.read_text(encoding="utf-8")))
    return []


def retrieval_item_records(
    spec: TaskSpec,
    eval_sets: Mapping[tuple[str, str], Sequence[Any]],
    predictions_dir: Path,
    selection: str = "no_selection",
) -> list[dict[str, Any]]:
    """Records of the store's items table for every scored (split, language) of one retrieval
    run, from the prediction files in ``predictions_dir`` (the runner adds the run id)."""
    records: list[dict[str, Any]] = []
    for (split, language), examples in sorted(eval_sets.items()):
        path = predictions_dir / f"{split}-{language}.{spec.prediction_suffix}"
        shared = {"target_task": spec.name, "split": split, "language": language,
                  "selection": selection, "metric": spec.metric}  # fmt: skip
        records += [
            {**shared, "item_id": item_id, "score": value}
            for item_id, value in _set_items(spec, examples, path)
        ]
    return records
