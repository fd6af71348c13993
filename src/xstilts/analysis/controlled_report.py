"""The controlled experiment's report: manipulation check, dose-response curves and claims.

Every sentence that states a finding is written from the dose-response table with its estimate,
95% CI, n (languages, items, seeds) and BH-adjusted p; a CI that includes 0 is written as "not
supported by these data". The report is the analysis report's blocks (one list, rendered to
Markdown and to self-contained HTML), so the two files never disagree.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from xstilts.analysis.dose_response import SOURCE, dose_response, load_design, manipulation_check
from xstilts.analysis.plots import FigureFile, save_figure
from xstilts.analysis.report.blocks import Block, Bullets, FigureBlock, Heading, Paragraph, Table
from xstilts.analysis.report.html_page import render_html
from xstilts.analysis.report.markdown import render_markdown
from xstilts.experiments.store import ResultStore

REPORT_DIR = "report"
NAME = "controlled"


def claim(row: pd.Series) -> str:
    """One finding sentence from one dose-response row."""
    if row["n_items"]:
        n = f"n = {row['n_languages']} languages, {row['n_items']} items, {row['n_seeds']} seeds"
    else:
        n = f"n = {row['n_seeds']} seeds (no per-item scores for this task)"
    numbers = (
        f"{row['estimate']:+.1f} points [95% CI {row['ci_low']:+.1f}, {row['ci_high']:+.1f}], "
        f"{n}, BH-adjusted p = {row['p_adjusted']:.3g}"
    )
    subject = f"{row['target_task']}, {row['diversity']}: {row['measure']}, {row['effect']}"
    if row["verdict"] == "supported":
        return f"{subject}: {numbers}."
    if row["verdict"] == "not supported by these data":
        return f"{subject}: {numbers}; not supported by these data (the CI includes 0)."
    return f"{subject}: {row['estimate']:+.1f} points, {n}; {row['verdict']}."


def curves_figure(rows: pd.DataFrame, design: pd.DataFrame, out_dir: Path) -> FigureFile:
    """Test score vs budget, one line per (diversity level, intermediate task) and target."""
    test = rows[(rows["split"] == "test") & (rows["language"] != SOURCE)]
    keys = ["language", "seed"]
    joined = test.merge(design[[*keys, "budget", "diversity"]], on=keys)
    targets = sorted(joined["target_task"].unique())
    figure = Figure(figsize=(5.5 * len(targets), 4.2), layout="constrained")
    axes = figure.subplots(1, len(targets), squeeze=False)[0]
    for axis, target in zip(axes, targets, strict=True):
        lines = joined[joined["target_task"] == target].groupby(
            ["diversity", "intermediate_task"], sort=True
        )
        for (level, config), group in lines:
            by_budget = group.groupby("budget")["value"]
            x = [max(b, 100) for b in by_budget.mean().index]  # budget 0 drawn at 10^2
            axis.errorbar(x, by_budget.mean(), yerr=by_budget.std().fillna(0), capsize=3,
                          marker="o", linestyle=":" if config == "none" else "-",
                          label=f"{level} ({config})")  # fmt: skip
        axis.set_xscale("log")
        axis.set_xlabel("pretraining tokens of the language (0 drawn at 100)")
        axis.set_ylabel(f"{target} test score")
        axis.set_title(target)
        axis.legend(fontsize=6)
    png, svg = save_figure(figure, out_dir, "dose_response")
    caption = (
        "Mean over replicate encoders ± their SD; dotted: no intermediate task. The budget is set "
        "by design; the x axis is the exact token count of the language in pretraining."
    )
    return FigureFile("dose_response", "Zero-shot score by designed budget", caption, png, svg)


def report_blocks(output: Path, out_dir: Path) -> tuple[list[Block], pd.DataFrame]:
    """The report's blocks and the dose-response table they were written from."""
    design = load_design(output)
    check = manipulation_check(design)
    table = dose_response(output)
    with ResultStore(output / "results.duckdb", read_only=True) as store:
        rows = store.frame("study = ?", ["controlled"])
    seeds = sorted(design["seed"].unique())
    held = int(check["monotone"].sum())
    blocks: list[Block] = [
        Heading("Controlled experiment: transfer robustness by designed pretraining budget", 1),
        Paragraph(
            f"{len(seeds)} replicate from-scratch MLM encoders (seeds {', '.join(map(str, seeds))})"
            "; each synthetic language's budget is set by design and counted exactly in the "
            "encoder's tokens (design.csv). English is the source language and is never counted "
            "in a transfer claim."
        ),
        Heading("Manipulation check"),
        Paragraph(
            f"Held-out masked-LM loss falls monotonically with the budget in {held} of "
            f"{len(check)} (diversity level, seed) cells."
        ),
        Table(check.astype(str)),
        Heading("Dose-response"),
        FigureBlock(curves_figure(rows, design, out_dir / "figures")),
        Paragraph(
            "One exploratory family of tests (Benjamini-Hochberg): hierarchical item-and-seed "
            "bootstrap, paired by item and seed (retrieval items: one per query, correct at rank "
            "1); a target without stored items: t interval over the per-seed statistics."
        ),
        Bullets([claim(row) for _, row in table.iterrows()]),
        Table(table.round(3).astype(str)),
    ]
    return blocks, table


def write_controlled_report(output: Path) -> Path:
    """``report/controlled.md`` and ``.html`` (+ figures) under ``output``; returns the .md."""
    out_dir = output / REPORT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    blocks, table = report_blocks(output, out_dir)
    table.to_csv(output / "dose_response.csv", index=False)
    markdown = out_dir / f"{NAME}.md"
    markdown.write_text(render_markdown(blocks, out_dir), encoding="utf-8")
    title = "xstilts controlled experiment"
    (out_dir / f"{NAME}.html").write_text(render_html(blocks, title), encoding="utf-8")
    return markdown
