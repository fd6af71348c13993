"""The real-scale template loads with the real config loader and plans without training, and the
cost table in docs/controlled.md is the one computed from it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from xstilts.config import load_study
from xstilts.languages.table import language
from xstilts.pretraining.cost import assumed_tokens_per_second, cell_costs, cost_table
from xstilts.pretraining.stage import describe_cells, plan_cells

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "configs" / "controlled-xlmr-base-cc100.yaml"


@pytest.fixture(scope="module")
def study():
    return load_study(TEMPLATE)


def test_the_template_crosses_eight_languages_with_four_budgets(study):
    section = study.pretraining
    cells = section.designed_cells()
    assert len(section.languages) >= 8 and len(section.budgets) >= 4 and len(cells) == 4
    for code in section.languages:
        assert sorted(cell[code] for cell in cells) == sorted(section.budgets)
        assert language(code).cc100_tokens_m * 1e6 >= max(section.budgets)  # a 1B prefix exists
    assert study.encoder.name == "xlm-roberta-base"
    assert Path(section.corpus_dir).is_absolute()  # resolved beside the YAML


def test_the_template_plans_without_training(study, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    planned = plan_cells(study)
    assert [c.index for c in planned] == [0, 1, 2, 3]
    assert all(c.request is None and c.status.startswith("corpus missing") for c in planned)
    assert {sum(c.budgets.values()) for c in planned} == {2_775_000_000}
    blocks = sum(math.ceil(tokens / 510) for tokens in planned[0].budgets.values())
    assert planned[0].steps == math.ceil(blocks / 32)
    text = describe_cells(study)
    assert "4 pretraining cells (0 trained); then 75 runs on each cell's encoder" in text


def test_the_docs_table_is_computed_from_the_template(study):
    doc = (ROOT / "docs" / "controlled.md").read_text(encoding="utf-8")
    assert cost_table(study.pretraining) in doc
    rate = assumed_tokens_per_second(512)
    assert 200_000 < rate < 289_129
    assert sum(c.gpu_hours for c in cell_costs(study.pretraining)) == pytest.approx(
        4 * 2.775e9 / rate / 3600
    )


def test_the_cpu_demo_defaults_give_three_seeds_for_the_intervals():
    from xstilts.pretraining.controlled import ControlledStudy

    demo = ControlledStudy()
    assert len(demo.seeds) >= 3
    design = demo.design
    assert len(design.diversity) == 4 and design.budgets == (0, 1_000, 4_000, 16_000)
    assert design.english_budget == 16_000 and design.batch_size == 64 and design.epochs == 6.0
    assert (design.encoder.hidden_size, design.encoder.layers) == (64, 2)
