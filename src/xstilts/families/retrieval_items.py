"""Per-query item scores of the retrieval targets, read back from their prediction files by each
protocol's own ``items`` (``retrieval_tatoeba``, ``retrieval_bucc``, ``retrieval_ranking``).

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

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xstilts.families.retrieval import protocol_of
from xstilts.tasks.spec import TaskSpec


def _set_items(spec: TaskSpec, examples: Sequence[Any], path: Path) -> list[tuple[str, float]]:
    """One set's items from its prediction file (read by its protocol); [] if it has none."""
    if len(examples) != 1 or not path.is_file():
        return []
    return protocol_of(spec).items(examples[0], path)


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
