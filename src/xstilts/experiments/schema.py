"""The results-store schema: one tidy row per score.

Shared contract between the runner (writes rows) and ``analysis/`` (reads them). The store is an
embedded DuckDB file; ``analysis`` only ever reads this table, never models.
"""

from __future__ import annotations

from typing import Any

# Column name -> DuckDB type. Order is the order of the table.
RESULT_COLUMNS: dict[str, str] = {
    "run_id": "VARCHAR",  # content hash of everything that determined the score
    "study": "VARCHAR",  # study name from the YAML
    "encoder": "VARCHAR",  # encoder name or path, e.g. "multilingual-e5-small"
    "intermediate_task": "VARCHAR",  # "none" = no-intermediate baseline; "mnli+sst2" multi-task
    "target_task": "VARCHAR",  # e.g. "xnli", "tatoeba"
    "language": "VARCHAR",  # ISO 639-1 code where one exists ("en", "sw")
    "seed": "BIGINT",  # any seed the config accepts (INTEGER refused 2**31 after training)
    "split": "VARCHAR",  # "dev" | "test"
    # tasks.recipe.Selection: en_dev | last | oracle | ckpt_avg | no_selection | layer_sweep
    "selection": "VARCHAR",
    "metric": "VARCHAR",  # official key: "accuracy", "f1", "exact_match", "map@20", ...
    "value": "DOUBLE",  # scaled x100 as in the official scripts
    "config_json": "VARCHAR",  # the full run config, JSON
    "started_at": "TIMESTAMP",
    "seconds": "DOUBLE",  # wall time of the run that produced the row
    # Added later (stores written before get them as NULL): the study configuration id
    # (experiments/provenance.config_id; rows of different ids are never averaged) and the
    # hidden_states index a retrieval score was embedded at (NULL for trained tasks).
    "config_id": "VARCHAR",
    "layer": "INTEGER",
    # Where the run's time went (experiments/timing.py says how each is measured); "seconds"
    # above is the whole run, the same on all its rows:
    "train_seconds": "DOUBLE",  # the run's target training phase (0 for retrieval)
    "intermediate_seconds": "DOUBLE",  # its intermediate phase, when trained (0 for "none")
    "eval_seconds": "DOUBLE",  # evaluating this row's split and language
    "peak_memory_mib": "DOUBLE",  # peak GPU allocation of the run, or the process's peak RSS
}

BASELINE = "none"

ITEMS_TABLE = "items"
# Per test item scores, so the analysis can resample items and pair configurations by item
# (statistics/bootstrap.py). One row per (run, split, language, selection, metric, item); the
# mean of a set's item scores is the row value for accuracy and QA F1/EM (per-sentence F1 for
# tagging, whose corpus F1 is not a mean). Written in the same transaction as the run's rows.
ITEM_COLUMNS: dict[str, str] = {
    "run_id": "VARCHAR",
    "target_task": "VARCHAR",
    "split": "VARCHAR",
    "language": "VARCHAR",
    "selection": "VARCHAR",
    "metric": "VARCHAR",
    "item_id": "VARCHAR",  # the example id of the official file (question id, sentence id ...)
    "score": "DOUBLE",  # x100, as the rows
}

RunRecords = dict[str, list[dict[str, Any]]]
"""What one target run hands to the store: ``{"rows": [...], "items": [...]}``."""
