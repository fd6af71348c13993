"""Dose-response statistics on constructed controlled-study data with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from xstilts.analysis.dose_response import (
    item_dose_response,
    manipulation_check,
    retrieval_dose_response,
    slope_weights,
)

BUDGETS = {"x-a-b0": 0, "x-a-b1k": 1000, "x-a-b10k": 10_000, "x-a-b100k": 100_000}


def test_slope_weights_are_the_ols_slope_on_log10_budget():
    weights = slope_weights(BUDGETS)
    assert set(weights) == {"x-a-b1k", "x-a-b10k", "x-a-b100k"}  # unseen excluded
    y = {lang: 5.0 + 2.0 * math.log10(b) for lang, b in BUDGETS.items() if b}
    assert sum(weights[lang] * y[lang] for lang in weights) == pytest.approx(2.0)
    assert slope_weights({"a": 0, "b": 100}) == {}


def _design() -> pd.DataFrame:
    rows = [{"language": lang, "seed": seed, "budget": budget, "diversity": "level a"}
            for lang, budget in BUDGETS.items() for seed in (0, 1, 2)]  # fmt: skip
    rows += [{"language": "en", "seed": s, "budget": 0, "diversity": ""} for s in (0, 1, 2)]
    return pd.DataFrame(rows)


def _items(rng: np.random.Generator) -> pd.DataFrame:
    """0/100 item scores whose accuracy rises 10 points per tenfold budget with the task."""
    records = []
    for lang, budget in {**BUDGETS, "en": 10**6}.items():
        for config in ("none", "synth_nli"):
            accuracy = 0.30 + (0.1 * math.log10(budget) if budget else 0.0)
            accuracy += 0.1 if config == "synth_nli" else 0.0
            for seed in (0, 1, 2):
                for item in range(400):
                    score = 100.0 * (rng.random() < min(accuracy, 0.95))
                    records.append({"target_task": "t", "split": "test", "language": lang,
                                    "intermediate_task": config, "seed": seed,
                                    "item_id": str(item), "score": score})  # fmt: skip
    return pd.DataFrame(records)


def test_a_planted_dose_response_is_found_and_a_null_gain_is_not():
    table = pd.DataFrame(item_dose_response(_items(np.random.default_rng(0)), _design(), "t",
                                            "synth_nli", resamples=1000))  # fmt: skip
    slope = table[(table["measure"] == "zero-shot score")
                  & (table["effect"] == "slope per 10x budget")].iloc[0]  # fmt: skip
    assert slope["ci_low"] < 10.0 < slope["ci_high"] and slope["ci_low"] > 0
    assert slope["n_languages"] == 3 and slope["n_seeds"] == 3 and slope["n_items"] == 1200
    gain = table[(table["measure"] == "gain over none")
                 & (table["effect"] == "slope per 10x budget")].iloc[0]  # fmt: skip
    assert gain["ci_low"] < 0 < gain["ci_high"]  # the gain is flat in budget by construction


def test_manipulation_check_flags_non_monotone_cells():
    design = _design()
    design["held_out_loss"] = design["budget"].map({0: 6.0, 1000: 5.0, 10_000: 4.0,
                                                    100_000: 3.0})  # fmt: skip
    design.loc[(design["seed"] == 2) & (design["budget"] == 100_000), "held_out_loss"] = 4.5
    check = manipulation_check(design[design["language"] != "en"])
    assert check.set_index("seed")["monotone"].to_dict() == {0: True, 1: True, 2: False}


def test_retrieval_uses_its_query_items_and_falls_back_to_seeds_without_them():
    items = _items(np.random.default_rng(1)).assign(target_task="synth_tatoeba")
    per_seed = items.groupby(["language", "intermediate_task", "seed"], as_index=False)["score"]
    rows = per_seed.mean().rename(columns={"score": "value"})
    rows = rows.assign(target_task="synth_tatoeba", split="test")
    with_items = pd.DataFrame(
        retrieval_dose_response(items, rows, _design(), "synth_tatoeba", "synth_nli")
    )
    assert (with_items["n_items"] > 0).all()
    slope = with_items[(with_items["measure"] == "zero-shot score")
                       & (with_items["effect"] == "slope per 10x budget")].iloc[0]  # fmt: skip
    assert slope["n_items"] == 1200 and slope["ci_low"] > 0
    no_items = items.iloc[0:0]
    seeds_only = pd.DataFrame(
        retrieval_dose_response(no_items, rows, _design(), "synth_tatoeba", "synth_nli")
    )
    assert (seeds_only["n_items"] == 0).all() and (seeds_only["n_seeds"] == 3).all()
    same = seeds_only[(seeds_only["measure"] == "zero-shot score")
                      & (seeds_only["effect"] == "slope per 10x budget")].iloc[0]  # fmt: skip
    assert same["estimate"] == pytest.approx(slope["estimate"])  # same data, other interval
