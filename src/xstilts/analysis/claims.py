"""Finding sentences written by the statistics, never by hand.

Every sentence states the effect, its 95% interval, what stands behind it (zero-shot languages,
test items, seeds) and its multiplicity-adjusted p-value, and reads "not supported by these data"
whenever the interval includes 0 — or when it excludes 0 only before adjusting for the other
tests of its family. A supported difference from fewer than 3 seeds is stated for the trained
models only (:func:`_few_seeds`). Transfer claims average over the zero-shot languages only:
English, the language the target task was trained on, is not transfer. The README's demo block
and the report both call :func:`claim_sentences` / :func:`render_claims`, so the two cannot
disagree.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from xstilts.analysis import robustness
from xstilts.analysis.statistics import inference
from xstilts.analysis.statistics.inference import FEW_SEEDS, ZERO_SHOT, Inference

ALPHA = 0.05


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _number(value: float) -> str:
    return f"{value:+.1f}"


def claim_sentence(row: pd.Series) -> str:
    """One finding about one zero-shot-mean comparison (a row of ``Inference.comparisons``)."""
    versus = "none" if row["reference"] == "none" else f"the control {row['reference']}"
    subject = f"{row['intermediate_task']} → {row['target_task']} vs {versus}"
    counts = ", ".join([
        _plural(int(row["n_languages"]), "zero-shot language"),
        _plural(int(row["n_items"]), "test item") if row["uncertainty"] == "items" else
        "no item scores (seeds only)",
        _plural(int(row["n_seeds"]), "seed"),
    ])  # fmt: skip
    low, high, adjusted = row["ci_low"], row["ci_high"], row["p_adjusted"]
    if math.isnan(low):
        return (
            f"{subject}: {_number(row['estimate'])} points ({counts}); no interval can be "
            "given, so the difference is not supported by these data."
        )
    interval = f"95% CI {_number(low)} to {_number(high)}"
    method = "BH" if row["adjustment"] == "bh" else "Holm"
    adjusted_text = (
        f"{method}-adjusted p = {adjusted:.3g} of {int(row['family_size'])} tests"
        if not math.isnan(adjusted)
        else "no p-value: no variance between seeds or items"
    )
    numbers = f"{_number(row['estimate'])} points ({interval}; {counts}; {adjusted_text})"
    if low <= 0.0 <= high:
        verdict = "the interval includes 0: not supported by these data"
    elif math.isnan(adjusted):
        verdict = "no test is possible without variance: not supported by these data"
    elif adjusted >= ALPHA:
        verdict = "not supported by these data once adjusted for the other tests of its family"
    else:
        direction = "higher" if row["estimate"] > 0 else "lower"
        verdict = f"supported: zero-shot scores are {direction}" + _few_seeds(int(row["n_seeds"]))
    sentence = f"{subject}: {numbers} — {verdict}."
    if isinstance(row.get("power_note"), str) and row["power_note"]:
        sentence += f" This comparison {row['power_note']}."
    elif not math.isnan(row.get("mde", math.nan)):
        sentence += f" Minimum detectable effect at 80% power: {row['mde']:.1f} points."
    return sentence


def _few_seeds(seeds: int) -> str:
    """The scope of a supported difference from fewer than :data:`FEW_SEEDS` seeds.

    Its interval resamples test items (and the few seeds), not the training runs a method would
    produce: in the demo, training the same grid in fp32 instead of bf16 moved mnli -> xnli vs
    none from +1.9 (95% CI -1.6 to +5.4) to +4.7 (+0.9 to +8.6). So such a difference is stated
    for the trained models, not for the intermediate task."""
    if seeds >= FEW_SEEDS:
        return ""
    models = "this one trained model" if seeds == 1 else f"these {seeds} trained models"
    return (
        f" for {models} only: with fewer than {FEW_SEEDS} seeds the interval leaves out "
        "run-to-run variation, so it is not yet evidence about the intermediate task"
    )


def claim_sentences(result: Inference) -> list[str]:
    """The confirmatory findings (zero-shot means), then the seed warnings."""
    table = result.comparisons
    sentences = []
    if not table.empty:
        chosen = table[table["language"] == ZERO_SHOT]
        sentences = [claim_sentence(row) for _, row in chosen.iterrows()]
    sentences += [note for note in result.notes if note.startswith("WARNING")]
    return sentences


def store_inference(
    store_path: str | Path, selection: str = "en_dev", split: str = "test", resamples: int = 10_000
) -> Inference:
    """:func:`~xstilts.analysis.statistics.inference.infer` on a results store."""
    from xstilts.experiments.store import ResultStore

    with ResultStore(store_path, read_only=True) as store:
        rows, items = store.frame(), store.items()
    chosen = robustness.select_rows(rows, split=split, selection=selection)
    return inference.infer(chosen, items, resamples=resamples)


def render_claims(
    store_path: str | Path, selection: str = "en_dev", resamples: int = 10_000
) -> str:
    """The findings of a store as Markdown bullets (for the README's demo block and the CLI)."""
    result = store_inference(store_path, selection, resamples=resamples)
    sentences = claim_sentences(result)
    if result.comparisons.empty:
        sentences.insert(
            0, "No comparison to report: the store has no intermediate next to `none`."
        )
    return "".join(f"- {sentence}\n" for sentence in sentences)


def claims_text(
    rows: pd.DataFrame,
    items: pd.DataFrame,
    targets: list[str] | None = None,
    resamples: int = 10_000,
) -> list[str]:
    """The finding sentences of ``targets`` (all when None) from store rows and items — the
    entry point for the demo printout and the README's generated block."""
    chosen = robustness.select_rows(rows, split="test", selection="en_dev")
    if targets is not None:
        chosen = chosen[chosen["target_task"].isin(targets)]
    result = inference.infer(chosen, items, resamples=resamples)
    sentences = claim_sentences(result)
    for note in result.notes:
        if not note.startswith("WARNING") and "no item scores" in note:
            sentences.append(f"{note}: its intervals rest on seeds alone.")
    return sentences
