"""The README's demo block is exactly what the generator renders from the committed record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xstilts.analysis import demo_readme as readme
from xstilts.errors import XstiltsError


def test_readme_block_is_generated_from_the_committed_record() -> None:
    record = json.loads(readme.RECORD.read_text(encoding="utf-8"))
    text = readme.README.read_text(encoding="utf-8")
    assert readme.replace_block(text, readme.render(record)) == text
    assert readme.main(["--check"]) == 0


def test_record_holds_every_phase_and_item_set() -> None:
    record = json.loads(readme.RECORD.read_text(encoding="utf-8"))
    study = readme.demo_study(Path("unused"))
    seeds = sorted({row["seed"] for row in record["rows"]})
    trained = [c for c in study.intermediate_tasks if c != "none"]
    to_xnli = [c for c in study.intermediate_tasks if f"{c} -> xnli" not in study.skip]
    assert record["skip"] == study.skip and len(to_xnli) < len(study.intermediate_tasks)
    phases = {(p["phase"], p["intermediate_task"], p["seed"]) for p in record["phases"]}
    assert phases == {("intermediate", c, s) for c in trained for s in seeds} | {
        ("target", c, s) for c in to_xnli for s in seeds
    }
    xnli_sets = {
        (g["run_id"], g["language"]) for g in record["items"] if g["target_task"] == "xnli"
    }
    assert len(xnli_sets) == len(to_xnli) * len(seeds) * 7


def test_block_replacement_and_staleness(tmp_path: Path) -> None:
    page = tmp_path / "README.md"
    page.write_text(f"intro\n{readme.START}\nold numbers\n{readme.END}\noutro\n", encoding="utf-8")
    assert readme.main(["--readme", str(page), "--check"]) == 1
    assert readme.main(["--readme", str(page)]) == 0
    updated = page.read_text(encoding="utf-8")
    assert updated.startswith("intro\n") and updated.endswith("\noutro\n")
    assert "old numbers" not in updated and readme.main(["--readme", str(page), "--check"]) == 0
    with pytest.raises(XstiltsError, match="marker"):
        readme.replace_block("no markers here", "block")
