"""Figures of the analysis report, written as PNG (for the HTML report) and SVG (for papers).

Figures are built on :class:`matplotlib.figure.Figure` with an explicit Agg canvas rather than
through ``pyplot``: no global backend switch, no figure registry to leak, and the same output
whatever backend the caller's session uses. SVG output is made reproducible (fixed hash salt, no
date) so that re-running the report on the same store gives byte-identical figures.

Each ``*_figure`` function returns ``None`` when there is nothing to draw; the report then says so
instead of embedding an empty plot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from scipy import stats

from xstilts.analysis.robustness import CONFIDENCE, SOURCE_LANGUAGE
from xstilts.analysis.statistics import DISTANCES, MIN_RESIDUAL_DF, VOLUME, Analysis
from xstilts.experiments.schema import BASELINE

DPI = 100
COLORS = cast(Sequence[Any], cast(ListedColormap, matplotlib.colormaps["tab10"]).colors)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


@dataclass(frozen=True)
class FigureFile:
    """One saved figure: where its files are, and what the report should say about it."""

    name: str
    title: str
    caption: str
    png: Path
    svg: Path


def save_figure(figure: Figure, out_dir: Path, name: str) -> tuple[Path, Path]:
    """Write ``name.png`` and ``name.svg`` under ``out_dir``; returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(figure)
    png, svg = out_dir / f"{name}.png", out_dir / f"{name}.svg"
    figure.savefig(png, format="png", dpi=DPI, metadata={"Software": None})
    with matplotlib.rc_context({"svg.hashsalt": "xstilts", "svg.fonttype": "path"}):
        figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png, svg


def _new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _grid(figure: Figure, panels: int, columns: int = 3) -> list[Axes]:
    columns = max(1, min(columns, panels))
    rows = math.ceil(panels / columns)
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False).ravel())
    for extra in axes[panels:]:
        extra.set_visible(False)
    return list(axes[:panels])


def fit_line_with_band(
    x: np.ndarray, y: np.ndarray, grid: np.ndarray, confidence: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """OLS line over ``grid`` and the CI band of the fitted mean (None with too few points).

    Band: ŷ ± t(n-2) · s · sqrt(1/n + (x0 - x̄)² / Sxx), the interval for the regression line,
    not for a new language (that one would be wider).
    """
    n = len(x)
    slope, intercept = np.polyfit(x, y, 1)
    line = intercept + slope * grid
    if n - 2 < MIN_RESIDUAL_DF:
        return line, None, None
    residual = y - (intercept + slope * x)
    s = math.sqrt(float((residual**2).sum()) / (n - 2))
    sxx = float(((x - x.mean()) ** 2).sum())
    half = (
        stats.t.ppf(0.5 + confidence / 2, n - 2) * s * np.sqrt(1 / n + (grid - x.mean()) ** 2 / sxx)
    )
    return line, line - half, line + half


def gain_vs_volume_figure(frame: pd.DataFrame, encoder: str, volume_label: str) -> Figure | None:
    """Gain over ``none`` against log(volume), one panel per target task.

    One point per language (labelled), vertical bars = 95% CI of the gain across seeds, one line
    with its 95% band per intermediate task.
    """
    data = frame[
        (frame["encoder"] == encoder)
        & (frame["intermediate_task"] != BASELINE)
        & frame["gain"].notna()
        & frame[VOLUME].notna()
    ]
    if data.empty:
        return None
    targets = sorted(data["target_task"].unique())
    intermediates = sorted(data["intermediate_task"].unique())
    figure = _new_figure(4.2 * min(3, len(targets)), 3.4 * math.ceil(len(targets) / 3))
    for axis, target in zip(_grid(figure, len(targets)), targets, strict=True):
        panel = data[data["target_task"] == target]
        for index, intermediate in enumerate(intermediates):
            points = panel[panel["intermediate_task"] == intermediate].sort_values(VOLUME)
            if points.empty:
                continue
            color = COLORS[index % len(COLORS)]
            x, y = points[VOLUME].to_numpy(float), points["gain"].to_numpy(float)
            low = (y - points["gain_ci_low"].to_numpy(float)).clip(min=0)
            high = (points["gain_ci_high"].to_numpy(float) - y).clip(min=0)
            error = np.vstack([np.nan_to_num(low), np.nan_to_num(high)])
            axis.errorbar(
                x,
                y,
                yerr=error,
                fmt=MARKERS[index % len(MARKERS)],
                color=color,
                label=intermediate,
                markersize=5,
                capsize=2,
                linewidth=0.8,
            )
            for xi, yi, code in zip(x, y, points["language"], strict=True):
                axis.annotate(
                    str(code),
                    (xi, yi),
                    fontsize=7,
                    xytext=(3, 3),
                    textcoords="offset points",
                    color=color,
                )
            if len(points) >= 3 and np.ptp(x) > 0:
                grid = np.linspace(x.min(), x.max(), 50)
                line, band_low, band_high = fit_line_with_band(x, y, grid)
                axis.plot(grid, line, color=color, linewidth=1.2)
                if band_low is not None and band_high is not None:
                    axis.fill_between(grid, band_low, band_high, color=color, alpha=0.15)
        axis.axhline(0, color="grey", linewidth=0.6, linestyle=":")
        axis.set_title(target)
        axis.set_xlabel(f"log({volume_label}); unseen languages at the left edge")
        axis.set_ylabel("gain over none (points)")
        axis.legend(fontsize=7, title="intermediate", title_fontsize=7)
    return figure


def gain_heatmap_figure(task_gains: pd.DataFrame, encoder: str) -> Figure | None:
    """Mean gain (over languages and seeds) for every intermediate × target task."""
    data = task_gains[task_gains["encoder"] == encoder]
    if data.empty:
        return None
    table = data.pivot_table(
        index="intermediate_task", columns="target_task", values="gain", aggfunc="mean"
    ).sort_index()
    values = table.to_numpy(float)
    figure = _new_figure(3.0 + 1.0 * table.shape[1], 2.2 + 0.5 * table.shape[0])
    axis = figure.subplots()
    limit = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    limit = limit or 1.0
    image = axis.imshow(
        np.ma.masked_invalid(values), cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto"
    )
    axis.set_xticks(range(table.shape[1]), [str(c) for c in table.columns], rotation=30)
    axis.set_yticks(range(table.shape[0]), [str(i) for i in table.index])
    axis.set_xlabel("target task")
    axis.set_ylabel("intermediate task")
    for (row, column), value in np.ndenumerate(values):
        text = "–" if math.isnan(value) else f"{value:+.1f}"
        axis.text(
            column,
            row,
            text,
            ha="center",
            va="center",
            fontsize=8,
            color="white" if abs(value) > 0.6 * limit else "black",
        )
    figure.colorbar(image, ax=axis, label="mean gain (points)")
    return figure


def language_bars_figure(
    table: pd.DataFrame, encoder: str, target: str, order: Sequence[str]
) -> Figure | None:
    """Score per language, one bar per intermediate task, error bars = ±1 sd across seeds."""
    data = table[(table["encoder"] == encoder) & (table["target_task"] == target)]
    if data.empty:
        return None
    languages = [lang for lang in order if lang in set(data["language"])]
    languages += sorted(set(data["language"]) - set(languages))
    intermediates = sorted(data["intermediate_task"].unique(), key=lambda t: (t != BASELINE, t))
    width = 0.8 / len(intermediates)
    figure = _new_figure(max(5.0, 0.45 * len(languages) * max(1, len(intermediates)) / 1.5), 3.4)
    axis = figure.subplots()
    positions = np.arange(len(languages))
    for index, intermediate in enumerate(intermediates):
        rows = (
            data[data["intermediate_task"] == intermediate].set_index("language").reindex(languages)
        )
        spread = rows["seed_std"].to_numpy(float)
        axis.bar(
            positions + (index - (len(intermediates) - 1) / 2) * width,
            rows["mean"].to_numpy(float),
            width,
            yerr=np.nan_to_num(spread),
            capsize=2,
            label=intermediate,
            color=COLORS[index % len(COLORS)],
            error_kw={"linewidth": 0.8},
        )
    axis.set_xticks(positions, languages)
    metric = str(data["metric"].iloc[0])
    axis.set_ylabel(f"{metric} (mean over seeds)")
    axis.set_title(f"{target}: per-language scores ({encoder})")
    axis.legend(
        fontsize=7, title="intermediate", title_fontsize=7, ncols=min(4, len(intermediates))
    )
    return figure


def distance_vs_gain_figure(frame: pd.DataFrame, encoder: str) -> Figure | None:
    """Gain over ``none`` against each URIEL distance to English, colour = target task."""
    data = frame[
        (frame["encoder"] == encoder)
        & (frame["intermediate_task"] != BASELINE)
        & frame["gain"].notna()
        & (frame["language"] != SOURCE_LANGUAGE)
    ]
    distances = [d for d in DISTANCES if d in data and data[d].notna().any()]
    if data.empty or not distances:
        return None
    targets = sorted(data["target_task"].unique())
    intermediates = sorted(data["intermediate_task"].unique())
    figure = _new_figure(3.6 * min(3, len(distances)), 3.2 * math.ceil(len(distances) / 3))
    for axis, distance in zip(_grid(figure, len(distances)), distances, strict=True):
        for t_index, target in enumerate(targets):
            for i_index, intermediate in enumerate(intermediates):
                points = data[
                    (data["target_task"] == target) & (data["intermediate_task"] == intermediate)
                ]
                if points.empty:
                    continue
                axis.scatter(
                    points[distance],
                    points["gain"],
                    s=18,
                    color=COLORS[t_index % len(COLORS)],
                    marker=MARKERS[i_index % len(MARKERS)],
                    label=f"{target} / {intermediate}",
                )
        axis.axhline(0, color="grey", linewidth=0.6, linestyle=":")
        axis.set_xlabel(distance.replace("_", " ") + " to English")
        axis.set_ylabel("gain over none (points)")
    handles, labels = figure.axes[0].get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, fontsize=7, loc="outside lower center", ncols=4)
    return figure


def _slug(*parts: str) -> str:
    text = "-".join(parts).lower()
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)


def _seed_note(one_seed: bool) -> str:
    """The caption sentence on seed error bars."""
    return (
        " With one seed per language there are no seed error bars."
        if one_seed
        else " Error bars: 95% t-interval of the gain across seeds (none where a language has "
        "one seed)."
    )


def _language_order(analysis: Analysis) -> list[str]:
    """English first, then the other languages by pretraining volume, largest first."""
    volume_order = (
        analysis.covariates["volume"].sort_values(ascending=False).index.tolist()
        if "volume" in analysis.covariates
        else []
    )
    return [SOURCE_LANGUAGE, *[c for c in volume_order if c != SOURCE_LANGUAGE]]


def make_figures(analysis: Analysis, out_dir: Path) -> tuple[list[FigureFile], list[str]]:
    """Draw and save every figure of the report; returns the figures and what could not be drawn.

    Figures are drawn per encoder (a store may hold several). Captions state what the marks and
    bands mean and where an interval is missing because there is only one seed.
    """
    figures: list[FigureFile] = []
    missing: list[str] = []
    frame, table = analysis.frame, analysis.robustness
    unit = str(analysis.covariates.attrs.get("volume_unit", "volume units"))
    source = str(analysis.covariates.attrs.get("volume_source", analysis.pretraining))
    encoders = sorted(table["encoder"].unique()) if not table.empty else []
    one_seed = bool(table.empty or table["n_seeds"].max() < 2)
    seed_note = _seed_note(one_seed)
    order = _language_order(analysis)
    for encoder in encoders:

        def add(figure: Figure | None, name: str, title: str, caption: str) -> None:
            if figure is None:
                missing.append(f"{title}: nothing to draw")
                return
            png, svg = save_figure(figure, out_dir, name)
            figures.append(FigureFile(name, title, caption, png, svg))

        add(
            gain_vs_volume_figure(frame, encoder, unit),
            _slug("gain-vs-volume", encoder),
            f"Gain vs pretraining volume ({encoder})",
            f"Gain over the no-intermediate baseline against log({source} {unit}), one point "
            "per non-English language. Lines: OLS fit per intermediate task; shaded: 95% CI of "
            f"the fitted line (drawn only with >= {MIN_RESIDUAL_DF + 2} languages)." + seed_note,
        )
        add(
            gain_heatmap_figure(analysis.task_gains, encoder),
            _slug("gain-heatmap", encoder),
            f"Mean gain, intermediate × target ({encoder})",
            "Mean over languages (English included) and seeds of intermediate − none, in points; "
            "blue = gain, red = loss. The intervals are in the paper-style table.",
        )
        for target in sorted(table.loc[table["encoder"] == encoder, "target_task"].unique()):
            add(
                language_bars_figure(table, encoder, str(target), order),
                _slug("languages", encoder, str(target)),
                f"Per-language scores: {target} ({encoder})",
                "Mean over seeds per language and intermediate task, languages ordered by "
                f"pretraining volume ({source}), English first. Error bars: ±1 standard "
                "deviation across seeds"
                + (" (absent: one seed)." if one_seed else " (absent where one seed)."),
            )
        add(
            distance_vs_gain_figure(frame, encoder),
            _slug("distance-vs-gain", encoder),
            f"Distance to English vs gain ({encoder})",
            "Gain over none against each URIEL distance to English (1 − cosine of lang2vec "
            "vectors; larger = further). Colour: target task; marker: intermediate task.",
        )
    return figures, missing
