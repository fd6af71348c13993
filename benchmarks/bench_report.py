"""``results.md`` and ``results.json`` of the benchmark suite: one table, then how each side runs.

Without a GPU in the run, the last ``make bench-gpu`` table (``gpu/results.md``, measured on a GPU
machine and committed) is quoted under its own heading, so the report always shows it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench_common import NOISY_SPREAD, Measurement


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "fraction of peak":
        return f"{100 * value:.0f}%"
    if unit == "min":
        return f"{value:.1f} min"
    if unit == "s":
        return f"{value:.3g} s"
    if unit.endswith("/s"):
        return f"{value:,.1f} {unit}"
    return f"{value:.3g}"


def _ratio(row: Measurement) -> str:
    if row.ratio is None:
        return "–"
    if row.unit == "fraction of peak":
        return f"{100 * row.ratio:.0f}%"
    if row.unit == "min":
        return f"{row.ratio:.1f} min"
    if row.lower_is_better and row.unit == "s" and row.reference is None:
        return f"{row.ratio:.3g} s"
    return f"{row.ratio:.2f}×"


def _met(row: Measurement) -> str:
    text = {True: "yes", False: "**no**", None: "–"}[row.met]
    return text + (" †" if row.details.get("spread", 1.0) > NOISY_SPREAD else "")


METHOD = """\
## How each side runs

- **Ratios** are xstilts speed ÷ reference speed (for times: reference seconds ÷ xstilts
  seconds), measured in this one process on the same model, data, batch size and thread count;
  the sides alternate in ABBA order over the repeats and the median is reported. > 1 means
  xstilts is faster.
- **Training** (`bench_training.py`): xstilts = `training.train_phase` with the classification
  family (featurize, with the runner's feature cache when it has one; length-grouped batches from
  `data.featurize.training_batches`, padded per batch, packed where `train.packing: auto` finds
  a batch that packs into fewer tokens; `train.loop.train`). Reference =
  tokenize with the fast tokenizer, then `transformers.Trainer` with `DataCollatorWithPadding`,
  random sampler (no `group_by_length`), its default optimizer, no eval/save/logging; the
  *padded fixed-length* variant uses `padding="max_length"` + `default_data_collator` on pairs
  that all truncate to `max_length`. Both train the same `EncoderWithHeads` (the reference wraps
  it to return `{"loss", "logits"}`) from the same weights, same lr, warm-up, weight decay,
  clipping and steps; the timed section is everything from the example list to the trained model.
  *Realistic lengths*: premises of LogNormal(ln 18, 0.6) words (MNLI-like long tail) cut from the
  demo's premises, demo hypotheses.
- **Training FLOP/s** = Σ over sequences of 6·N·T + 12·L·d·T² (T real tokens, N non-embedding
  parameters, L layers, d width: the 6·N·tokens estimate plus the attention term of PaLM's MFU
  appendix) ÷ wall time, ÷ the measured fp32 matmul peak (best of `torch.mm` at 512–2048² and
  the model's own GEMM shapes). Padding is not counted as useful work (the JSON also has the
  hardware FLOP/s, padding included).
- **Evaluation** (`bench_evaluation.py`): xstilts = the runner's pass, `families.base.predict_sets`
  (every language pooled into one `FAMILY.predict` call: sorted by length, batches of 64 padded
  to their longest, `inference_mode`, input order restored) + `FAMILY.score` per language, in
  fp32 and inside the bf16 autocast of a `precision: bf16` study. Reference = per language,
  tokenize, batches of 64 in file order under `no_grad`, argmax, accuracy; with
  `padding="max_length"` (tokenized once: the default of `run_xnli.py` and of XTREME's
  `run_classify.py`, both at max_seq_length 128 for XNLI) or `padding="longest"` per batch
  (`DataCollatorWithPadding`, a hand-tuned loop). Predictions are checked to agree. Both sides
  run the GEMMs at about the same fraction of peak (80% of the time is `addmm`), so against the
  hand-tuned loop the ratio is bounded by its padded tokens ÷ ours (in the JSON:
  `padded_token_ratio`).
- **Mining** (`bench_mining.py`): the same synthetic unit embeddings (d = 384, half the target
  side noisy copies of source sentences) mined by `retrieval_bucc.max_margin_pairs` (k = 4,
  ratio margin, max strategy, greedy 1:1; faiss or blocked torch k-NN) and by naive numpy (full
  similarity matrix + `argsort` k-NN, same margin and acceptance); mined pairs checked identical.
  FLOPs = two k-NN searches × 2·n·m·d.
- **Trainable word embeddings** (rows "word embeddings trained (both sides)"): the same runs with
  the 96M-parameter embedding matrix trainable; xstilts updates only the rows a batch uses (sparse
  gradients + `train.sparse_adamw.RowSparseAdamW`, its default), the Trainer runs its dense fused
  AdamW over the whole matrix, as any transformers script does.
- **Demo** (`bench_demo.py`): `make bench` does not re-run the demo: it reads the folder a
  finished `make demo` wrote (`--demo-from xstilts-demo`): minutes from the study's first log
  line to the report's last file, peak RSS the largest the log's runs report, the demo's code
  digest compared with the bench's (GNU `time -v` output of the demo, `DEMO_TIME=file`, gives the
  exact process wall time and maximum RSS instead). `--demo-variants shipped,trainable` runs
  `xstilts demo --quiet` here in a fresh process instead (wall clock and `os.wait4` peak RSS),
  as shipped and with `encoder.freeze_embeddings: false`.
- **GPU** (`bench_gpu.py`, `make bench-gpu`): xstilts' loop vs `Trainer`, both bf16 + SDPA + fused
  AdamW + compiled + pinned memory, XLM-R-base shapes at 128 and 384 tokens, batch 32, embeddings
  trained; MFU against the measured bf16 `torch.mm` peak (`gpu/results.md` says what to expect).
- **Scaling** (`bench_scaling.py`): evaluation over 1/4/16 languages (main model), one training
  phase on 1/4/16× examples and whole grids of 1/4/16 runs through `StudyRunner.run` (small
  random-init encoder), peak RSS above the start; then the finished grid is re-planned
  (`make_plan` + `run_status`), resumed (`StudyRunner.run`, nothing to do) and re-planned by
  `xstilts plan` in a fresh process.
"""


_SETTINGS = ("variant", "batch_size", "max_length", "epochs", "examples")


def _sources(rows: list[Measurement], raw: dict[str, Any]) -> list[str]:
    """Where each ratio comes from: its settings, the ABBA pairs, each pair's own ratio, the load
    average when its section started (another process on the cores slows both sides of a pair)."""
    lines = [
        "",
        "Where each ratio comes from (settings; pairs = ABBA repeats, median reported; the "
        "ratio of each pair, lowest–highest; 1-min load average when the section started):",
        "",
        "| measurement | settings | pairs | pair ratios | load |",
        "|---|---|---|---|---|",
    ]
    loads = raw.get("load", {})
    for row in rows:
        pairs = row.details.get("pair_ratios")
        if not pairs:
            continue
        settings = ", ".join(f"{k} {row.details[k]}" for k in _SETTINGS if k in row.details)
        load = loads.get(row.section)
        lines.append(
            f"| {row.name.split(' (')[0]} | {settings or '–'} | {len(pairs)} "
            f"| {min(pairs):.2f}–{max(pairs):.2f}× | {f'{load[0]:.1f}' if load else '?'} |"
        )
    if len(lines) == 5:  # no row with pairs
        lines = []
    demo = raw.get("demo", {}).get("read")
    if demo and "source" in demo:
        lines += ["", f"Demo: {demo['source']}; study code {', '.join(demo['demo_code'])}, "
                  f"bench code {demo['bench_code']}."]  # fmt: skip
    return lines


def _scaling_table(scaling: dict[str, Any] | None) -> list[str]:
    """Time and memory at each growth step (peak RSS above the start / absolute, MiB)."""
    if not scaling:
        return []
    lines = [
        "",
        "Cost growth (time; peak RSS above the start of the step / absolute peak RSS):",
        "",
    ]
    for key, label, unit in (
        ("languages", "languages (evaluation)", "examples"),
        ("examples", "training examples (one phase)", "examples"),
        ("grid", "grid runs (whole study)", "runs"),
    ):
        table = {int(k): v for k, v in scaling[key].items()}
        steps = sorted(table)
        if key == "languages":
            header = [f"{s} language{'s' * (s > 1)}" for s in steps]
        else:
            header = [
                f"{table[s][unit]} {unit[:-1] if table[s][unit] == 1 else unit}" for s in steps
            ]
        lines += [f"| {label} | " + " | ".join(header) + " |", "|---" * (len(steps) + 1) + "|"]
        lines.append("| time | " + " | ".join(f"{table[s]['seconds']:.2f} s" for s in steps) + " |")
        lines.append(
            "| memory | "
            + " | ".join(
                f"+{table[s]['peak_mib']:.0f} / {table[s].get('peak_rss_mib', 0):.0f} MiB"
                for s in steps
            )
            + " |"
        )
        lines.append("")
    grid = {int(k): v for k, v in scaling["grid"].items()}
    lines.append(
        "Re-planning the finished grid: "
        + ", ".join(
            f"{g} run{'s' * (g > 1)}: plan {grid[g]['replan_seconds']:.3f} s, resume "
            f"{grid[g]['resume_seconds']:.3f} s, `xstilts plan` {grid[g]['cli_plan_seconds']:.2f} s"
            for g in sorted(grid)
        )
        + " (the CLI figure includes starting Python)."
    )
    return lines


def write_report(out: Path, meta: dict[str, Any], rows: list[Measurement], raw: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# xstilts benchmark results",
        "",
        f"`{meta['command']}` — {meta['date']}, {meta['seconds']:.0f} s in all, at commit "
        f"{meta.get('commit', '?')}.",
        "",
        f"Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, "
        f"{meta['machine']['torch_threads']} torch threads, torch {meta['machine']['torch']}, "
        f"transformers {meta['machine']['transformers']}; GPU: "
        f"{meta['machine']['cuda'] or 'none'}. Load average (1 min) "
        f"{meta['machine']['load_average_start'][0]:.1f} at the start, "
        f"{meta['machine']['load_average_end'][0]:.1f} at the end "
        "(other processes share the machine; ratios are alternated to cancel that).",
        "",
        f"Model: {meta.get('model', '?')}. Measured fp32 matmul peak: "
        f"{meta.get('peak_gflops', float('nan')):.1f} GFLOP/s. Repeats (ABBA pairs, median "
        f"reported): {meta['repeats']}"
        f"{' — **quick smoke mode: not a measurement**' if meta['quick'] else ''}.",
        "",
        "| measurement | xstilts | reference | ratio | target | met? |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        reference = _format(row.reference, row.unit)
        name = row.reference_name if reference == "–" else f"{reference} ({row.reference_name})"
        lines.append(
            f"| {row.name} | {_format(row.xstilts, row.unit)} | {name} | {_ratio(row)} "
            f"| {row.target or '–'} | {_met(row)} |"
        )
    lines += _sources(rows, raw)
    lines += _scaling_table(raw.get("scaling"))
    if any(row.details.get("spread", 1.0) > NOISY_SPREAD for row in rows):
        lines += [
            "",
            f"† noisy: a side's slowest repeat was > {NOISY_SPREAD:.2f}× its fastest "
            "(another process competed for the cores); `results.json` has every repeat "
            "and the ratio of the best repeats (`ratio_of_best`).",
        ]
    if "gpu" in raw and raw["gpu"].get("skipped"):
        lines += ["", f"GPU section skipped: {raw['gpu']['skipped']}."]
        lines += _last_gpu_table(Path(__file__).resolve().parent / "gpu" / "results.md")
    elif "gpu" in raw:
        gpu = raw["gpu"]
        lines += [
            "",
            f"GPU section: {gpu['device']}, torch {gpu['torch']}; measured bf16 matmul peak "
            f"{gpu['bf16_peak']['peak_gflops'] / 1e3:.0f} TFLOP/s; XLM-R-base shapes, random init, "
            "word embeddings trained on both sides.",
        ]
    lines += ["", METHOD]
    (out / "results.md").write_text("\n".join(lines), encoding="utf-8")
    payload = {"meta": meta, "rows": [row.to_json() for row in rows], "raw": raw}
    (out / "results.json").write_text(
        json.dumps(payload, indent=1, default=_json_default), encoding="utf-8"
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, tuple)):
        return list(value)
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _last_gpu_table(path: Path) -> list[str]:
    """The committed ``make bench-gpu`` result, its headings one level down."""
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8").replace("\n## ", "\n### ")
    body = text.split("\n", 1)[1] if text.startswith("# ") else text
    return ["", f"## GPU (last `make bench-gpu`, from `{path.parent.name}/{path.name}`)", body]
