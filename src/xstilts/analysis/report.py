"""The analysis report: Markdown for the repository, a self-contained HTML page for reading.

``write_report`` reads a results store, runs :func:`xstilts.analysis.statistics.analyse`, draws
the figures and writes ``report.md`` (figures linked as files) and ``report.html`` (figures
embedded as base64 PNG, CSS inline, a Content-Security-Policy that forbids every external
resource — the page can be mailed or archived and still show everything).

Both files are rendered from one list of blocks (heading, paragraph, bullets, table, figure), so
they never disagree. Captions are written from the numbers: they state the interval, how many
languages and seeds stand behind it, and what the data can *not* distinguish. Small data (one
seed, a handful of languages) is reported as such, never as a crash.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real
from pathlib import Path

import pandas as pd

from xstilts.analysis import robustness, statistics
from xstilts.analysis.plots import FigureFile, make_figures
from xstilts.experiments.schema import BASELINE
from xstilts.experiments.store import ResultStore

REPORT_MD = "report.md"
REPORT_HTML = "report.html"
FIGURE_DIR = "figures"

CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""No scripts, no fonts, no network: only inline CSS and data: images."""

PREDICTOR_LABELS: dict[str, str] = {
    statistics.VOLUME: "log volume",
    "syntax_distance": "syntax dist.",
    "phonology_distance": "phonology dist.",
    "inventory_distance": "inventory dist.",
    "family_distance": "family dist.",
    "geography_distance": "geography dist.",
}


# --------------------------------------------------------------------------------------------
# Document blocks


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Paragraph:
    text: str


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    frame: pd.DataFrame  # cells already formatted as strings
    caption: str = ""


@dataclass
class FigureBlock:
    figure: FigureFile


Block = Heading | Paragraph | Bullets | Table | FigureBlock


# --------------------------------------------------------------------------------------------
# Number formatting


def fmt(value: object, digits: int = 1, signed: bool = False) -> str:
    """A number for a table cell; '–' for missing (NaN/None), so a gap is visible, not 'nan'."""
    if value is None:
        return "–"
    if not isinstance(value, Real):  # numpy scalars are registered as Real
        return str(value)
    number = float(value)
    if math.isnan(number):
        return "–"
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    text = f"{number:+.{digits}f}" if signed else f"{number:.{digits}f}"
    return text.replace("-", "−")


def fmt_ci(low: object, high: object, digits: int = 1) -> str:
    """'[low, high]' or '' when the interval could not be estimated."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (low, high)):
        return ""
    return f"[{fmt(low, digits)}, {fmt(high, digits)}]"


def fmt_estimate(value: object, low: object, high: object, digits: int = 1) -> str:
    """'+1.2 [0.3, 2.1]', or just '+1.2' without an interval."""
    interval = fmt_ci(low, high, digits)
    return f"{fmt(value, digits, signed=True)} {interval}".strip()


def fmt_p(value: object) -> str:
    """A p-value: '<0.001' below the resolution worth printing."""
    text = fmt(value, 3)
    if text == "–":
        return text
    number = float(text.replace("−", "-"))
    return "<0.001" if number < 0.001 else f"{number:.3f}"


# --------------------------------------------------------------------------------------------
# Plain-language interpretation


def describe_interval(
    low: float, high: float, n: int, what: str, unit: str = "", subject: str = "languages"
) -> str:
    """One sentence on an interval: its span, and whether the data can tell the sign apart."""
    if math.isnan(low) or math.isnan(high):
        return f"With {n} {subject}, no interval for {what} can be estimated."
    span = f"from {fmt(low, 2)} to {fmt(high, 2)}{unit}"
    if low <= 0 <= high:
        return (
            f"With {n} {subject}, the 95% CI for {what} spans {span}: it includes 0, so the data "
            "cannot distinguish a positive from a negative (or no) association."
        )
    direction = "positive" if low > 0 else "negative"
    width = (
        "" if high - low < abs(low + high) / 2 else " — a wide interval, so its size is uncertain"
    )
    return (
        f"With {n} {subject}, the 95% CI for {what} spans {span}: it excludes 0, so the "
        f"association is {direction}{width}."
    )


# --------------------------------------------------------------------------------------------
# Sections


def _provenance(store_path: Path, rows: pd.DataFrame, analysis: statistics.Analysis) -> list[Block]:
    chosen = robustness.select_rows(rows, split=analysis.split, selection=analysis.selection)
    table = analysis.robustness
    seeds = table["n_seeds"] if not table.empty else pd.Series(dtype=int)
    unit = analysis.covariates.attrs.get("volume_unit", "")
    fallback = sorted(
        f"{t} ({s})"
        for t, s in chosen[["target_task", "selection"]].drop_duplicates().itertuples(index=False)
        if s != analysis.selection
    )
    items = [
        f"Store: `{store_path.name}` — {len(rows)} rows, studies: "
        f"{', '.join(sorted(map(str, rows['study'].unique()))) or '–'}.",
        f"Split: `{analysis.split}`; checkpoint selection: `{analysis.selection}`"
        + (f"; tasks without a checkpoint choice: {', '.join(fallback)}" if fallback else "")
        + ".",
        f"Encoders: {', '.join(sorted(map(str, table['encoder'].unique()))) or '–'}; "
        f"target tasks: {', '.join(sorted(map(str, table['target_task'].unique()))) or '–'}; "
        f"intermediate tasks: "
        f"{', '.join(sorted(map(str, table['intermediate_task'].unique()))) or '–'}.",
        f"Languages: {table['language'].nunique() if not table.empty else 0}; seeds per "
        f"language: {_range_text(seeds)}.",
        f"Pretraining volume: `{analysis.pretraining}` ({unit}), used as log(1 + volume).",
        "Headline metric per task: "
        + ", ".join(
            f"{t}: {m}"
            for t, m in sorted(
                chosen[["target_task", "metric"]].drop_duplicates().itertuples(index=False)
            )
        )
        + ".",
    ]
    return [Heading("Data", 2), Bullets(items)]


def _range_text(values: pd.Series) -> str:
    if values.empty:
        return "–"
    low, high = int(values.min()), int(values.max())
    return str(low) if low == high else f"{low}–{high}"


def _limitations(analysis: statistics.Analysis) -> list[str]:
    """What cannot be estimated from this store, in plain words."""
    items: list[str] = []
    table = analysis.robustness
    if table.empty:
        return ["No rows for this split and selection: nothing can be estimated."]
    if table["n_seeds"].max() < 2:
        items.append(
            "Only one seed per configuration: the spread across seeds, the confidence intervals "
            "of gains and the seed-std analysis cannot be estimated. Run >= 3 seeds."
        )
    elif table["n_seeds"].min() < 2:
        items.append("Some languages have one seed: their spread and gain intervals are missing.")
    if (table["intermediate_task"] == BASELINE).sum() == 0:
        items.append(
            "No `none` baseline runs: gains over the baseline cannot be estimated "
            "(add `none` to the intermediate tasks)."
        )
    elif (table["intermediate_task"] != BASELINE).sum() == 0:
        items.append("Only the `none` baseline: there is no intermediate task to measure.")
    non_english = table.loc[table["language"] != robustness.SOURCE_LANGUAGE, "language"].nunique()
    if non_english < statistics.MIN_CORRELATION_N:
        items.append(
            f"{non_english} non-English language(s): correlations need "
            f">= {statistics.MIN_CORRELATION_N} for an interval."
        )
    if analysis.selection_gaps.empty:
        items.append(
            "No configuration has both `en_dev` and `oracle` rows: the cost of English-dev "
            "model selection cannot be estimated."
        )
    items.extend(analysis.notes)
    models = analysis.mixed.models
    if models.empty or (models["status"] != "fitted").all():
        languages = analysis.frame["language"].nunique() if not analysis.frame.empty else 0
        items.append(
            f"No mixed model could be fitted ({languages} non-English languages; it needs >= "
            f"{statistics.MIXED_MIN_LANGUAGES}, >= {statistics.MIXED_MIN_REPEATED_LANGUAGES} "
            "of them in several target tasks): the pooled OLS, which treats a language's tasks "
            "as independent, is the only pooled estimate, and its intervals are too narrow if "
            "languages differ systematically."
        )
    fitted = analysis.ols.models[analysis.ols.models["status"] == "fitted"]
    if fitted.empty and not analysis.frame.empty:
        items.append("No regression could be estimated: too few languages (see its table).")
    return items


def _paper_table(analysis: statistics.Analysis) -> list[Block]:
    gains = analysis.task_gains
    blocks: list[Block] = [Heading("Mean gain over the no-intermediate baseline", 2)]
    if gains.empty:
        blocks.append(Paragraph("No gains: the store needs `none` and intermediate-task runs."))
        return blocks
    for encoder, group in gains.groupby("encoder", sort=True):
        intermediates = sorted(group["intermediate_task"].unique())
        targets = sorted(group["target_task"].unique())
        metrics = analysis.robustness.groupby("target_task")["metric"].first()
        rows = []
        for target in targets:
            cells = group[group["target_task"] == target].set_index("intermediate_task")
            row = {
                "target task": target,
                "metric": str(metrics.get(target, "")),
                BASELINE: fmt(cells["baseline_mean"].iloc[0]) if not cells.empty else "–",
            }
            for intermediate in intermediates:
                if intermediate in cells.index:
                    c = cells.loc[intermediate]
                    row[intermediate] = fmt_estimate(c["gain"], c["gain_ci_low"], c["gain_ci_high"])
                else:
                    row[intermediate] = "–"
            rows.append(row)
        average = {"target task": "avg", "metric": "", BASELINE: ""}
        for intermediate in intermediates:
            values = group.loc[group["intermediate_task"] == intermediate, "gain"]
            complete = len(values) == len(targets)
            average[intermediate] = fmt(values.mean(), signed=True) if complete else "–"
        rows.append(average)
        seeds = _range_text(group["gain_n"].astype(int))
        blocks.append(
            Table(
                pd.DataFrame(rows),
                f"{encoder}: `none` = baseline score; other columns = gain in points, mean over "
                f"languages (English included, as XTREME averages) of intermediate − none, over "
                f"{seeds} seed(s) paired by seed; brackets: 95% t-interval across seeds (absent "
                "with one seed). `avg`: unweighted mean over target tasks (only where every task "
                "has the intermediate). QA tasks use F1 alone, not XTREME's (F1 + EM)/2.",
            )
        )
    return blocks


def _language_tables(analysis: statistics.Analysis) -> list[Block]:
    table = analysis.robustness
    blocks: list[Block] = [Heading("Per-language results", 2)]
    if table.empty:
        blocks.append(Paragraph("No per-language rows."))
        return blocks
    volume = analysis.covariates["volume"] if "volume" in analysis.covariates else pd.Series()
    unit = analysis.covariates.attrs.get("volume_unit", "")
    for (encoder, target), group in table.groupby(["encoder", "target_task"], sort=True):
        intermediates = sorted(
            group["intermediate_task"].unique(), key=lambda t: (t != BASELINE, t)
        )
        languages = sorted(
            group["language"].unique(),
            key=lambda c: (c != robustness.SOURCE_LANGUAGE, -float(volume.get(c, -1.0)), c),
        )
        rows = []
        for language in languages:
            row: dict[str, str] = {
                "language": language,
                f"volume ({unit})": fmt(volume.get(language, math.nan)),
            }
            for intermediate in intermediates:
                cell = group[
                    (group["intermediate_task"] == intermediate) & (group["language"] == language)
                ]
                if cell.empty:
                    row[intermediate] = "–"
                    if intermediate != BASELINE:
                        row[f"Δ {intermediate}"] = "–"
                    continue
                c = cell.iloc[0]
                spread = "" if math.isnan(c["seed_std"]) else f" ± {fmt(c['seed_std'])}"
                row[intermediate] = f"{fmt(c['mean'])}{spread}"
                if intermediate != BASELINE:
                    row[f"Δ {intermediate}"] = fmt_estimate(
                        c["gain"], c["gain_ci_low"], c["gain_ci_high"]
                    )
            for intermediate in intermediates:
                gap = group[
                    (group["intermediate_task"] == intermediate) & (group["language"] == language)
                ]["gap_to_english"]
                row[f"gap {intermediate}"] = fmt(gap.iloc[0]) if not gap.empty else "–"
            rows.append(row)
        frame = pd.DataFrame(rows).fillna("–")
        metric = str(group["metric"].iloc[0])
        seeds = _range_text(group["n_seeds"])
        blocks.append(Heading(f"{target} ({encoder}, {metric})", 3))
        blocks.append(
            Table(
                frame,
                f"Mean ± standard deviation across {seeds} seed(s) (± absent with one seed); "
                "Δ = gain over none with its 95% t-interval across seeds, paired by seed; gap = "
                "English score − language score, per intermediate task. Languages ordered by "
                "pretraining volume.",
            )
        )
    return blocks


def _robustness_section(analysis: statistics.Analysis) -> list[Block]:
    blocks: list[Block] = [Heading("Robustness across languages and seeds", 2)]
    worst = analysis.worst_languages
    if worst.empty:
        blocks.append(Paragraph("No non-English languages: no worst language or bottom quintile."))
    else:
        spread = analysis.robustness.groupby(robustness.CELL)["seed_std"].mean()
        rows = []
        for _, w in worst.iterrows():
            key = (w["encoder"], w["intermediate_task"], w["target_task"])
            rows.append(
                {
                    "encoder": w["encoder"],
                    "intermediate": w["intermediate_task"],
                    "target": w["target_task"],
                    "languages": str(int(w["n_languages"])),
                    "worst (score)": f"{w['worst_language']} ({fmt(w['worst_score'])})",
                    "bottom quintile": w["bottom_languages"],
                    "bottom mean": fmt(w["bottom_mean"]),
                    "bottom Δ vs none": fmt(w["bottom_gain"], signed=True),
                    "mean seed sd": fmt(spread.get(key, math.nan), 2),
                }
            )
        blocks.append(
            Table(
                pd.DataFrame(rows),
                "English excluded. Bottom quintile = the ceil(0.2 · n) lowest-scoring languages "
                "(at least one); bottom Δ = its mean minus the bottom-quintile mean of the `none` "
                "baseline (each over its own worst languages), i.e. whether intermediate "
                "training lifts the floor. Mean seed sd = average over languages of the standard "
                "deviation across seeds (– with one seed).",
            )
        )
    gaps = analysis.selection_gaps
    if gaps.empty:
        blocks.append(
            Paragraph(
                "English-dev vs oracle selection: not estimable — the store has no configuration "
                "with both `en_dev` and `oracle` rows."
            )
        )
    else:
        summary = gaps.groupby(robustness.CELL, as_index=False).agg(
            languages=("language", "nunique"),
            en_dev=("en_dev_mean", "mean"),
            oracle=("oracle_mean", "mean"),
            gap=("selection_gap", "mean"),
            largest=("selection_gap", "max"),
        )
        frame = pd.DataFrame(
            {
                "encoder": summary["encoder"],
                "intermediate": summary["intermediate_task"],
                "target": summary["target_task"],
                "languages": summary["languages"].astype(str),
                "en_dev": summary["en_dev"].map(fmt),
                "oracle": summary["oracle"].map(fmt),
                "oracle − en_dev": summary["gap"].map(lambda v: fmt(v, signed=True)),
                "largest (one language)": summary["largest"].map(lambda v: fmt(v, signed=True)),
            }
        )
        blocks.append(
            Table(
                frame,
                "Cost of true zero-shot model selection (Keung et al. 2020): mean over languages "
                "of the oracle (target-dev) score minus the English-dev score, paired by seed.",
            )
        )
    return blocks


def _label(predictor: str) -> str:
    return PREDICTOR_LABELS.get(predictor, predictor)


def _target_label(target: str) -> str:
    return "all targets (task FE)" if target == statistics.POOLED else target


def _pivot(
    records: pd.DataFrame,
    index: dict[str, str],
    column: str,
    cell: Callable[[pd.Series], str],
    extra: dict[str, Callable[[pd.DataFrame], str]] | None = None,
) -> pd.DataFrame:
    """One row per ``index`` combination, one column per value of ``column`` (predictors in
    :data:`PREDICTOR_LABELS` order), cells formatted by ``cell``; ``extra`` adds summary columns.

    Wide tables read like the regression tables of a paper; the tidy frames stay available in
    :class:`~xstilts.analysis.statistics.Analysis` for anyone who wants them long.
    """
    order = [p for p in PREDICTOR_LABELS if p in set(records[column])]
    order += sorted(set(records[column]) - set(order))
    rows = []
    ordered = records.sort_values(
        list(index),
        key=lambda column: column.astype(str).replace(statistics.POOLED, "\uffff"),  # last
        kind="stable",
    )
    for key, group in ordered.groupby(list(index), sort=False):
        values = key if isinstance(key, tuple) else (key,)
        row = {
            label: _target_label(str(v)) if name == "target_task" else str(v)
            for (name, label), v in zip(index.items(), values, strict=True)
        }
        by_column = group.set_index(column)
        for name in order:
            row[_label(name)] = cell(by_column.loc[name]) if name in by_column.index else ""
        for label, function in (extra or {}).items():
            row[label] = function(group)
        rows.append(row)
    return pd.DataFrame(rows)


def _reasons(group: pd.DataFrame, column: str = "reason") -> str:
    return "; ".join(sorted({str(r) for r in group[column] if str(r)}))


CELL_INDEX = {"encoder": "encoder", "intermediate_task": "intermediate", "target_task": "target"}


def _correlation_section(analysis: statistics.Analysis) -> list[Block]:
    blocks: list[Block] = [Heading("Correlations with pretraining volume and typology", 3)]
    corr = analysis.correlations
    if corr.empty:
        blocks.append(
            Paragraph("No correlations: no robustness measure could be paired with covariates.")
        )
        return blocks
    index = {"measure": "measure", **CELL_INDEX}
    extra = {"n": lambda g: _range_text(g["n"].astype(int)), "note": _reasons}
    for name, prefix in (("Pearson r", "pearson"), ("Spearman ρ", "spearman")):
        statistic = "pearson_r" if prefix == "pearson" else "spearman_rho"
        frame = _pivot(
            corr,
            index,
            "predictor",
            lambda c, p=prefix, v=statistic: fmt_estimate(
                c[v], c[f"{p}_ci_low"], c[f"{p}_ci_high"], 2
            ),
            extra,
        )
        blocks.append(
            Table(
                frame,
                f"{name} [95% CI] of each measure with each predictor; one observation per "
                "non-English language (mean over seeds). Intervals: "
                f"{statistics.CORRELATION_METHOD}. No correction for the many comparisons: read "
                "the intervals, not individual p-values.",
            )
        )
    sentences = []
    volume = corr[(corr["predictor"] == statistics.VOLUME) & (corr["measure"] == "gain")]
    for _, c in volume.iterrows():
        interval = describe_interval(
            c["pearson_ci_low"],
            c["pearson_ci_high"],
            int(c["n"]),
            "the correlation of the gain with log volume",
        )
        estimate = (
            f"Pearson r = {fmt(c['pearson_r'], 2)}."
            if not math.isnan(c["pearson_r"])
            else f"no correlation ({c['reason']})."
        )
        sentences.append(
            f"{c['intermediate_task']} → {c['target_task']} ({c['encoder']}): {estimate} {interval}"
        )
    if sentences:
        blocks.append(Paragraph("**Does the gain grow with pretraining volume?**"))
        blocks.append(Bullets(sentences))
    return blocks


def _coefficient_table(
    coefficients: pd.DataFrame, models: pd.DataFrame, with_r2: bool
) -> pd.DataFrame:
    """Wide coefficient table: one row per model, one column per predictor (coef [CI])."""
    shown = coefficients[
        ~coefficients["term"].str.startswith("task[") & (coefficients["term"] != "const")
    ]
    ids = statistics.ID_COLUMNS
    # scope is implied by the target column ("all targets (task FE)" = pooled)
    index = {"measure": "measure", **CELL_INDEX, "model": "model"}
    lookup = models.set_index(ids) if not models.empty else models

    def r2(group: pd.DataFrame) -> str:
        key = tuple(group.iloc[0][ids])
        return fmt(lookup.loc[key, "r2"], 2) if key in lookup.index else "–"

    extra: dict[str, Callable[[pd.DataFrame], str]] = {
        "n (languages)": lambda g: f"{int(g['n'].iloc[0])} ({int(g['n_languages'].iloc[0])})"
    }
    if with_r2:
        extra["R²"] = r2
    return _pivot(
        shown,
        index,
        "term",
        lambda c: fmt_estimate(c["coef"], c["ci_low"], c["ci_high"], 2),
        extra,
    )


def _skipped_frame(models: pd.DataFrame) -> pd.DataFrame:
    skipped = models[models["status"] != "fitted"]
    return pd.DataFrame(
        {
            "scope": skipped["scope"],
            "intermediate": skipped["intermediate_task"],
            "target": skipped["target_task"].map(_target_label),
            "measure": skipped["measure"],
            "model": skipped["model"],
            "why not": skipped["reason"],
        }
    )


def _regression_section(analysis: statistics.Analysis) -> list[Block]:
    ols = analysis.ols
    unit = analysis.covariates.attrs.get("volume_unit", "volume units")
    blocks: list[Block] = [Heading("Regressions (OLS)", 3)]
    if ols.coefficients.empty:
        blocks.append(Paragraph("No OLS model could be estimated (reasons below)."))
    else:
        blocks.append(
            Table(
                _coefficient_table(ols.coefficients, ols.models, with_r2=True),
                "Coefficient [95% CI] in points of the measure per unit of the predictor (log "
                f"volume: per unit of log(1 + {unit}); distances: per unit distance, 0–1); "
                "t-intervals with the model's residual df. Scope `task`: one target task, one "
                "row per language; `pooled`: all target tasks of an intermediate task with task "
                "fixed effects (not shown). Volume and the distances are collinear (see VIF), so "
                "in `volume+distances` each coefficient is the effect with the others held "
                "fixed, and its interval is wider than alone.",
            )
        )
        volume_rows = ols.coefficients[
            (ols.coefficients["term"] == statistics.VOLUME)
            & (ols.coefficients["measure"] == "gain")
        ]
        sentences = []
        for _, c in volume_rows.iterrows():
            interval = describe_interval(
                c["ci_low"], c["ci_high"], int(c["n_languages"]), "the slope", " points"
            )
            caveat = (
                " Pooled OLS counts each language once per task as if independent, so this "
                "interval is optimistic when languages differ beyond the predictors (see the "
                "mixed model)."
                if c["scope"] == "pooled"
                else ""
            )
            sentences.append(
                f"{c['intermediate_task']} → {_target_label(c['target_task'])} "
                f"({c['model']}): slope {fmt(c['coef'], 2)} points per unit "
                f"log(1 + {unit}). {interval}{caveat}"
            )
        if sentences:
            blocks.append(Paragraph("**The gain's slope on log volume, in words:**"))
            blocks.append(Bullets(sentences))
    skipped = _skipped_frame(ols.models)
    if not skipped.empty:
        blocks.append(Table(skipped, "OLS models that were not estimated, and why."))
    return blocks


def _collinearity_section(analysis: statistics.Analysis) -> list[Block]:
    blocks: list[Block] = [Heading("Collinearity (VIF) and partial effects", 3)]
    vif = analysis.vif
    if vif.empty:
        blocks.append(Paragraph("No VIF: no usable predictors."))
    else:
        frame = _pivot(
            vif,
            {"languages": "languages of"},
            "predictor",
            lambda v: fmt(v["vif"], 2),
            {"n": lambda g: str(int(g["n_languages"].iloc[0])), "note": _reasons},
        )
        finite = vif["vif"].dropna()
        if finite.empty:
            verdict = "No VIF could be computed: too few languages."
        elif (finite > 10).any():
            verdict = (
                "Some predictors are strongly collinear (VIF > 10): their separate coefficients "
                "are poorly determined; only their joint effect is."
            )
        else:
            verdict = "No VIF exceeds 10, the usual warning level."
        blocks.append(
            Table(
                frame,
                "VIF = 1/(1 − R²) of each predictor regressed on the others, one row per "
                f"language. {verdict}",
            )
        )
    partial = analysis.partial
    index = {"measure": "measure", "intermediate_task": "intermediate", "target_task": "target"}
    if not partial.empty:
        extra = {"n": lambda g: str(int(g["n"].iloc[0])), "note": _reasons}
        blocks.append(
            Table(
                _pivot(
                    partial,
                    index,
                    "predictor",
                    lambda p: fmt_estimate(
                        p["partial_r"], p["partial_ci_low"], p["partial_ci_high"], 2
                    ),
                    extra,
                ),
                "Partial r [95% CI]: correlation of the measure with one predictor after "
                "removing the other usable predictors from both (Fisher z, SE 1/sqrt(n − 3 − k) "
                "with k controls).",
            )
        )
    if not partial.empty and partial["effect_over_range"].notna().any():
        blocks.append(
            Table(
                _pivot(
                    partial,
                    index,
                    "predictor",
                    lambda p: fmt_estimate(
                        p["effect_over_range"], p["effect_ci_low"], p["effect_ci_high"]
                    ),
                    {"n": lambda g: str(int(g["n"].iloc[0]))},
                ),
                "Effect over the observed range [95% CI], in points: the full-model OLS "
                "coefficient × (max − min of the predictor) — the predicted difference between "
                "the languages lowest and highest on that predictor, the others held fixed.",
            )
        )
    return blocks


def _mixed_section(analysis: statistics.Analysis) -> list[Block]:
    mixed = analysis.mixed
    blocks: list[Block] = [Heading("Mixed model (random intercept per language)", 3)]
    blocks.append(
        Paragraph(
            "Pooled over target tasks with task fixed effects, like the pooled OLS, plus a "
            "random intercept per language, because one language in several tasks is not "
            f"several independent observations. Fitted only with >= "
            f"{statistics.MIXED_MIN_LANGUAGES} languages, >= "
            f"{statistics.MIXED_MIN_REPEATED_LANGUAGES} of them in two or more target tasks; "
            "otherwise the pooled OLS is the estimate to read. REML; Wald 95% CIs."
        )
    )
    if not mixed.coefficients.empty:
        blocks.append(
            Table(
                _coefficient_table(mixed.coefficients, mixed.models, with_r2=False),
                "Fixed-effect coefficients [95% CI]; task fixed effects and intercept not shown.",
            )
        )
    if not mixed.models.empty:
        models = mixed.models
        frame = pd.DataFrame(
            {
                "intermediate": models["intermediate_task"],
                "measure": models["measure"],
                "model": models["model"],
                "status": models["status"],
                "languages (in 2+ tasks)": [
                    f"{a} ({b})"
                    for a, b in zip(
                        models["n_languages"], models["n_repeated_languages"], strict=True
                    )
                ],
                "language var.": models["language_variance"].map(lambda v: fmt(v, 2)),
                "residual var.": models["residual_variance"].map(lambda v: fmt(v, 2)),
                "note": models["reason"],
            }
        )
        blocks.append(Table(frame, "Every mixed model, fitted or not, with the reason."))
    else:
        blocks.append(Paragraph("No data for a mixed model."))
    return blocks


def _lolo_section(analysis: statistics.Analysis) -> list[Block]:
    lolo = analysis.lolo
    blocks: list[Block] = [Heading("Leave-one-language-out prediction", 3)]
    if lolo.empty:
        blocks.append(Paragraph("No model to cross-validate."))
        return blocks
    frame = pd.DataFrame(
        {
            "scope": lolo["scope"],
            "intermediate": lolo["intermediate_task"],
            "target": lolo["target_task"].map(_target_label),
            "measure": lolo["measure"],
            "model": lolo["model"],
            "languages": lolo["n_languages"].astype(str),
            "RMSE": lolo["rmse"].map(lambda v: fmt(v, 2)),
            "RMSE (mean only)": lolo["rmse_null"].map(lambda v: fmt(v, 2)),
            "skill": lolo["skill"].map(lambda v: fmt(v, 2)),
            "note": lolo["reason"],
        }
    )
    fitted = lolo[lolo["status"] == "fitted"]
    helped = int((fitted["skill"] > 0).sum())
    verdict = (
        f"{helped} of {len(fitted)} cross-validated models have positive skill."
        if len(fitted)
        else "No model could be cross-validated (too few languages)."
    )
    blocks.append(
        Table(
            frame,
            "Each language is predicted by a model fitted on the others (all its tasks held out "
            "in the pooled scope). RMSE (mean only): the same with intercept and task effects "
            "only. Skill = 1 − RMSE/RMSE(mean only): above 0 the predictors help for an unseen "
            f"language. {verdict}",
        )
    )
    return blocks


def _method_notes(analysis: statistics.Analysis) -> list[Block]:
    items = [
        "Scores are the store's values (×100). One value per (encoder, intermediate, target, "
        "language, seed); a seed stored twice (e.g. by two studies) is averaged, not counted "
        "twice.",
        "Gain: intermediate − none, paired by seed where both exist (t-interval across the "
        "shared seeds); Welch interval when no seed is shared.",
        "Transfer gap: English mean − language mean, per configuration.",
        "English is the source language: it is excluded from worst-language, bottom-quintile, "
        "correlation and regression analyses (its distances are 0 by definition).",
        "Volume: log(1 + volume), so languages absent from pretraining (volume 0) stay in.",
        "Distances: 1 − cosine similarity of URIEL/lang2vec vectors to English (syntax, "
        "phonology, inventory: k-NN-imputed sets; family; geography).",
        f"OLS needs >= {statistics.MIN_RESIDUAL_DF} residual degrees of freedom; correlations "
        f"need >= {statistics.MIN_CORRELATION_N} languages for a Fisher-z interval.",
        f"Selection `{analysis.selection}` where a task has it; tasks without a checkpoint "
        f"choice ({', '.join(robustness.NO_CHOICE_SELECTIONS)}) are used as stored.",
    ]
    return [Heading("Method notes", 2), Bullets(items)]


# --------------------------------------------------------------------------------------------
# Rendering


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(blocks: Sequence[Block], out_dir: Path) -> str:
    """Markdown with pipe tables; figures linked (PNG shown, SVG linked) relative to the file."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            lines += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Paragraph):
            lines += [block.text, ""]
        elif isinstance(block, Bullets):
            lines += [f"- {item}" for item in block.items] + [""]
        elif isinstance(block, Table):
            columns = [str(c) for c in block.frame.columns]
            lines.append("| " + " | ".join(_md_cell(c) for c in columns) + " |")
            lines.append("|" + "|".join("---" for _ in columns) + "|")
            for row in block.frame.itertuples(index=False):
                lines.append("| " + " | ".join(_md_cell(v) for v in row) + " |")
            lines.append("")
            if block.caption:
                lines += [f"*{block.caption}*", ""]
        elif isinstance(block, FigureBlock):
            figure = block.figure
            png = figure.png.relative_to(out_dir).as_posix()
            svg = figure.svg.relative_to(out_dir).as_posix()
            lines += [
                f"![{figure.title}]({png})",
                "",
                f"*{figure.title}.* {figure.caption} ([SVG]({svg}))",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top;
         white-space: nowrap; }
td.prose { white-space: normal; min-width: 18em; }
th { background: #f2f2f2; }
p.caption { font-size: 0.85em; color: #555; margin-top: 0.2em; max-width: 1100px; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; max-width: 1100px; }
code { background: #f5f5f5; padding: 0 0.2em; }
.table-wrap { overflow-x: auto; }
"""


def _inline(text: str) -> str:
    """Escape, then turn `code` and **bold** (the only Markdown used in blocks) into HTML."""
    escaped = html.escape(text)
    parts = escaped.split("`")
    escaped = "".join(
        f"<code>{part}</code>" if index % 2 else part for index, part in enumerate(parts)
    )
    parts = escaped.split("**")
    return "".join(f"<b>{part}</b>" if index % 2 else part for index, part in enumerate(parts))


def _html_cell(value: object) -> str:
    """Numbers and intervals stay on one line (a wrapped "[0.60, 0.95]" is hard to read); long
    prose cells wrap."""
    text = str(value)
    css = ' class="prose"' if len(text) > 40 else ""
    return f"<td{css}>{_inline(text)}</td>"


def render_html(blocks: Sequence[Block], title: str) -> str:
    """One self-contained page: inline CSS, figures as base64 PNG, a CSP forbidding the rest."""
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{_inline(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            body.append(f"<p>{_inline(block.text)}</p>")
        elif isinstance(block, Bullets):
            items = "".join(f"<li>{_inline(item)}</li>" for item in block.items)
            body.append(f"<ul>{items}</ul>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{_inline(str(c))}</th>" for c in block.frame.columns)
            rows = "".join(
                "<tr>" + "".join(_html_cell(v) for v in row) + "</tr>"
                for row in block.frame.itertuples(index=False)
            )
            # the caption follows the table as a paragraph: a <caption> would be squeezed to the
            # width of a narrow table
            caption = f'<p class="caption">{_inline(block.caption)}</p>' if block.caption else ""
            body.append(
                f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
                f"<tbody>{rows}</tbody></table></div>{caption}"
            )
        elif isinstance(block, FigureBlock):
            figure = block.figure
            data = base64.b64encode(figure.png.read_bytes()).decode("ascii")
            body.append(
                f'<figure class="report-figure" id="{html.escape(figure.name)}">'
                f'<img src="data:image/png;base64,{data}" alt="{html.escape(figure.title)}">'
                f"<figcaption><b>{_inline(figure.title)}.</b> {_inline(figure.caption)}"
                "</figcaption></figure>"
            )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------------------------
# Entry point


def build_blocks(
    store_path: Path,
    rows: pd.DataFrame,
    analysis: statistics.Analysis,
    figures: list[FigureFile],
    missing_figures: list[str],
) -> list[Block]:
    """The whole report as blocks, in reading order."""
    blocks: list[Block] = [
        Heading("X-STILTs analysis: pretraining volume, typology and transfer robustness", 1)
    ]
    blocks += _provenance(store_path, rows, analysis)
    limitations = _limitations(analysis)
    if limitations:
        blocks += [Heading("What this data can and cannot tell", 2), Bullets(limitations)]
    blocks += _paper_table(analysis)
    blocks += _language_tables(analysis)
    blocks += _robustness_section(analysis)
    blocks.append(Heading("Figures", 2))
    if figures:
        blocks += [FigureBlock(f) for f in figures]
    else:
        blocks.append(Paragraph("No figures: nothing to plot."))
    if missing_figures:
        blocks.append(Bullets(missing_figures))
    blocks.append(Heading("Pretraining volume, typology and robustness", 2))
    blocks.append(
        Paragraph(
            "Measures: "
            + "; ".join(f"`{name}` = {text}" for name, text in statistics.MEASURES.items())
            + ". Predictors: log(1 + pretraining volume) and the five URIEL distances to "
            "English (Lauscher et al. 2020)."
        )
    )
    blocks += _correlation_section(analysis)
    blocks += _regression_section(analysis)
    blocks += _collinearity_section(analysis)
    blocks += _mixed_section(analysis)
    blocks += _lolo_section(analysis)
    blocks += _method_notes(analysis)
    return blocks


def write_report(
    store_path: str | Path,
    out_dir: str | Path,
    pretraining: str | Path = "cc100",
    selection: str = "en_dev",
    *,
    split: str = "test",
    study: str | None = None,
) -> Path:
    """Analyse a results store and write ``report.md``, ``report.html`` and ``figures/``.

    ``pretraining``: a volume table of :func:`xstilts.languages.table.pretraining_volume`
    (``"cc100"``, ``"wikipedia"``, ...) or a ``language,volume`` CSV. ``selection``: ``"en_dev"``
    (true zero-shot) or ``"oracle"``. ``study`` restricts the rows to one study of the store.
    Returns the path of ``report.md``; ``report.html`` is written next to it.
    """
    store_path = Path(store_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with ResultStore(store_path, read_only=True) as store:
        rows = store.frame("study = ?", [study]) if study else store.frame()
    analysis = statistics.analyse(rows, pretraining=pretraining, selection=selection, split=split)
    figures, missing = make_figures(analysis, out / FIGURE_DIR)
    blocks = build_blocks(store_path, rows, analysis, figures, missing)
    markdown_path = out / REPORT_MD
    markdown_path.write_text(render_markdown(blocks, out), encoding="utf-8")
    title = f"X-STILTs analysis — {store_path.name}"
    (out / REPORT_HTML).write_text(render_html(blocks, title), encoding="utf-8")
    return markdown_path
