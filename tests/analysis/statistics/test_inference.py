"""Intervals from stored rows and items: pairing, references, families, fallbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xstilts.analysis import claims
from xstilts.analysis.statistics import inference as I
from xstilts.analysis.statistics.inference import ZERO_SHOT

BASE = {"encoder": "e", "target_task": "xnli", "split": "test", "selection": "en_dev",
        "metric": "accuracy"}  # fmt: skip


def study(effects: dict[str, float], seeds: int = 3, n_items: int = 300, drop_items: bool = False):
    """Rows and items of a constructed XNLI study: item i is correct in config c, seed s when
    ``difficulty[i] < base + effect[c] + seed noise`` — paired by item across configs."""
    rng = np.random.default_rng(7)
    difficulty = rng.random(n_items)
    rows, items = [], []
    for config, effect in effects.items():
        for seed in range(seeds):
            run_id = f"{config}-{seed}"
            for language, base in (("en", 0.8), ("de", 0.6), ("sw", 0.5)):
                correct = (difficulty < base + effect + 0.01 * seed) * 100.0
                rows.append(
                    {
                        **BASE,
                        "run_id": run_id,
                        "intermediate_task": config,
                        "language": language,
                        "seed": seed,
                        "value": correct.mean(),
                    }
                )
                items += [{**BASE, "run_id": run_id, "language": language, "item_id": str(i),
                           "score": v} for i, v in enumerate(correct)]  # fmt: skip
    item_frame = pd.DataFrame(items).drop(columns=["encoder"])
    return pd.DataFrame(rows), (item_frame.iloc[0:0] if drop_items else item_frame)


def test_gains_are_paired_by_item_and_exclude_english() -> None:
    rows, items = study({"none": 0.0, "mnli": 0.05, "mnli@shuffled": 0.0})
    result = I.infer(rows, items, resamples=500)
    table = result.comparisons.set_index(["intermediate_task", "reference", "language"])
    mean = table.loc[("mnli", "none", ZERO_SHOT)]
    assert mean["n_languages"] == 2 and mean["n_items"] == 600 and mean["n_seeds"] == 3
    expected = np.mean(
        [
            r - b
            for r, b in zip(
                rows[(rows.intermediate_task == "mnli") & (rows.language != "en")]["value"],
                rows[(rows.intermediate_task == "none") & (rows.language != "en")]["value"],
                strict=True,
            )
        ]
    )
    assert mean["estimate"] == pytest.approx(expected)
    assert mean["ci_low"] > 0 and mean["uncertainty"] == "items"
    # a control equal to none: its "gain" is 0 with a (degenerate) paired interval
    control = table.loc[("mnli@shuffled", "none", ZERO_SHOT)]
    assert (
        control["estimate"] == pytest.approx(0.0) and control["ci_high"] - control["ci_low"] < 1e-9
    )
    # every task intermediate is compared with none and with each control; controls with none
    assert set(table.index.droplevel(2)) == {
        ("mnli", "none"), ("mnli", "mnli@shuffled"), ("mnli@shuffled", "none")}  # fmt: skip
    assert "en" not in set(result.comparisons["language"])


def test_families_are_declared_and_adjusted() -> None:
    rows, items = study({"none": 0.0, "mnli": 0.05, "sst2": 0.02})
    result = I.infer(rows, items, resamples=300)
    families = result.families.set_index("kind")
    assert families.loc["confirmatory", "adjustment"] == "holm"
    assert families.loc["confirmatory", "size"] == 2
    assert families.loc["exploratory", "adjustment"] == "bh"
    assert (result.comparisons["p_adjusted"] >= result.comparisons["p_value"] - 1e-12).all()


def test_without_items_the_seeds_are_the_only_level() -> None:
    rows, items = study({"none": 0.0, "mnli": 0.05}, drop_items=True)
    result = I.infer(rows, items, resamples=300)
    assert set(result.comparisons["uncertainty"]) == {"seeds only"}
    assert any("no item scores" in note for note in result.notes)


def test_one_seed_without_items_gives_no_interval_and_a_warning() -> None:
    rows, items = study({"none": 0.0, "mnli": 0.05}, seeds=1, drop_items=True)
    result = I.infer(rows, items, resamples=200)
    assert result.comparisons["ci_low"].isna().all()
    sentences = claims.claim_sentences(result)
    assert any("not supported by these data" in s for s in sentences)
    assert any(s.startswith("WARNING xnli: 1 seed") for s in sentences)


def test_items_that_do_not_average_to_the_rows_are_not_used() -> None:
    rows, items = study({"none": 0.0, "mnli": 0.05})
    items.loc[items.index[0], "score"] = 50.0
    result = I.infer(rows, items, resamples=200)
    assert set(result.comparisons["uncertainty"]) == {"seeds only"}
    assert any("do not average" in note for note in result.notes)


def test_claims_say_not_supported_when_the_interval_includes_zero() -> None:
    row = pd.Series({
        "intermediate_task": "mnli", "target_task": "xnli", "reference": "none",
        "n_languages": 6, "n_items": 720, "n_seeds": 5, "uncertainty": "items",
        "estimate": 0.8, "ci_low": -0.4, "ci_high": 2.0, "p_adjusted": 0.3,
        "adjustment": "holm", "family_size": 3, "mde": 1.9, "power_note": "",
    })  # fmt: skip
    text = claims.claim_sentence(row)
    assert "not supported by these data" in text and "6 zero-shot languages" in text
    assert "720 test items" in text and "5 seeds" in text and "Holm-adjusted p = 0.3" in text
    supported = claims.claim_sentence(row.copy().replace({-0.4: 0.2, 0.3: 0.01}))
    assert "supported: zero-shot scores are higher." in supported  # 5 seeds: no scope note
    one_run = row.copy().replace({-0.4: 0.2, 0.3: 0.01})
    one_run["n_seeds"] = 1
    scoped = claims.claim_sentence(one_run)
    assert "supported: zero-shot scores are higher for this one trained model only" in scoped
    assert "not yet evidence about the intermediate task" in scoped
    lost = claims.claim_sentence(row.copy().replace({-0.4: 0.2}))
    assert "once adjusted" in lost
    # no variance at all (a constant difference): an interval of one point, no p-value
    constant = row.copy()
    constant[["ci_low", "ci_high", "p_adjusted"]] = [0.8, 0.8, float("nan")]
    assert "not supported by these data" in claims.claim_sentence(constant)
    assert "supported: zero-shot" not in claims.claim_sentence(constant)


def test_claims_text_for_chosen_targets() -> None:
    rows, items = study({"none": 0.0, "mnli": 0.05})
    rows["split"], rows["selection"] = "test", "en_dev"
    sentences = claims.claims_text(rows, items, ["xnli"], resamples=300)
    assert (
        sentences[0].startswith("mnli → xnli vs none:") and "2 zero-shot languages" in sentences[0]
    )
    assert claims.claims_text(rows, items, ["pawsx"], resamples=300) == []


def test_floors_rerank_languages_in_every_resample() -> None:
    """Worst language and bottom quintile of the zero-shot languages, with intervals; the
    gain over none of the floor is 0 for none itself (NaN) and positive for a uniform lift."""
    rows, items = study({"none": 0.0, "mnli": 0.1})
    floors = I.infer(rows, items, resamples=500).floors.set_index(["intermediate_task", "measure"])
    worst = floors.loc[("none", "worst language")]
    sw = rows[(rows.intermediate_task == "none") & (rows.language == "sw")]["value"].mean()
    assert worst["estimate"] == pytest.approx(sw) and worst["of_languages"] == 2
    assert worst["ci_low"] <= worst["estimate"] <= worst["ci_high"]
    lifted = floors.loc[("mnli", "worst language")]
    assert lifted["gain"] > 0 and lifted["gain_ci_low"] > 0
    assert np.isnan(floors.loc[("none", "bottom quintile"), "gain"])
