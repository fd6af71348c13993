"""Commands that run or inspect a study: ``demo``, ``run``, ``plan``, ``rebuild-store``."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path

from xstilts.cli.common import Subparsers, count, print_tables
from xstilts.errors import XstiltsError


def cmd_run(args: argparse.Namespace) -> int:
    from xstilts.config import load_study

    study = load_study(args.config)
    options: dict = {}
    if args.executor == "slurm":
        options = {"cluster": args.slurm_cluster, "slurm_parameters": _slurm_parameters(args)}
    if args.executor == "ray":
        options = {"address": args.ray_address, "cpus_per_run": args.cpus_per_run,
                   "gpus_per_run": args.gpus_per_run}  # fmt: skip
    if study.pretraining is not None:  # cells first, then the grid on each cell's encoder
        from xstilts.pretraining.stage import run_cells

        studies = run_cells(study, progress=not args.quiet)
        return max(_run_and_report(s, args.quiet, args.executor, options) for s in studies)
    return _run_and_report(study, args.quiet, args.executor, options)


def _slurm_parameters(args: argparse.Namespace) -> dict[str, object]:
    """``--slurm KEY=VALUE`` pairs; numbers become ints/floats as submitit expects."""
    parameters: dict[str, object] = {}
    for item in args.slurm:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise XstiltsError(f"--slurm {item!r}: expected KEY=VALUE")
        for convert in (int, float):
            try:
                parameters[key] = convert(value)
                break
            except ValueError:
                continue
        else:
            parameters[key] = value
    return parameters


def cmd_rebuild_store(args: argparse.Namespace) -> int:
    from xstilts.experiments.plan import STORE_NAME
    from xstilts.experiments.run_rows import rebuild_store

    summary = rebuild_store(Path(args.output_dir), STORE_NAME)
    old = f", {summary.from_old_store} kept from the old store" if summary.from_old_store else ""
    backup = f"; previous file kept as {summary.backup}" if summary.backup else ""
    counts = f"{count(summary.runs, 'run')}, {count(summary.rows, 'row')}"
    print(f"rebuilt {summary.store_path}: {counts}{old}{backup}")
    for reason in summary.skipped:
        print(f"  left out: {reason}")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from xstilts.config import load_study
    from xstilts.experiments.plan import make_plan, run_status, summarize

    study = load_study(args.config)
    if study.pretraining is not None:
        from xstilts.pretraining.stage import describe_cells

        print(describe_cells(study))
        return 0
    plan = make_plan(study)
    if args.json:
        print(json.dumps(plan.to_dict(), indent=2, sort_keys=True))
        return 0
    statuses = run_status(plan)
    if not args.quiet:
        print(
            f"{'seed':>4}  {'intermediate':16s} {'target':10s} {'run id':16s}  checkpoint  status"
        )
        shown: set[str] = set()  # a combination's settings are the same for every seed
        for status in statuses:
            unit = status.unit
            print(
                f"{unit.seed:>4}  {unit.intermediate_task:16s} {unit.target_task:10s} "
                f"{unit.run_id:16s}  {status.checkpoint:10s}  "
                f"{'done' if status.done else 'pending'}"
            )
            combo = unit.intermediate_task
            if combo != "none" and combo not in shown:
                shown.add(combo)
                shared = plan.intermediate(combo, unit.seed).settings
                _print_settings(f"intermediate {combo}", shared)
            _print_settings(f"target {unit.target_task}", plan.target_settings[unit.target_task])
    summary = summarize(statuses)
    print(
        f"xstilts: {count(summary.runs, 'run')}: {summary.done} done, {summary.to_run} to run; "
        f"{count(summary.checkpoints_to_train, 'intermediate checkpoint')} to train"
    )
    if study.skip:
        print(f"xstilts: not run (skip): {', '.join(study.skip)}")
    return 0


# Keys `plan` always shows; any other key is shown when something other than a default set it.
PLAN_KEYS = (
    "learning_rate", "epochs", "batch_size", "max_length", "doc_stride", "warmup_ratio",
    "warmup_steps", "weight_decay", "selection", "layer",
)  # fmt: skip


def _print_settings(title: str, effective) -> None:  # type: ignore[no-untyped-def]
    """One phase's effective settings and the origin of each (recipe, study, tasks.x, default)."""
    from xstilts.experiments.settings import DEFAULT

    lines = [
        (key, value, source)
        for key, value, source in effective.lines()
        if key in PLAN_KEYS or source != DEFAULT
    ]
    print(f"        {title}:")
    for key, value, source in lines:
        print(f"          {key:15s} {value!s:10s} {source}")


def cmd_demo_controlled(args: argparse.Namespace) -> int:
    """The controlled experiment's CPU demo: pretrain, run the X-STILTs grid, write the report."""
    from xstilts.analysis.controlled_report import write_controlled_report
    from xstilts.pretraining.controlled import ControlledStudy, run_controlled

    out = Path("xstilts-controlled" if args.out == "xstilts-demo" else args.out).resolve()
    controlled = ControlledStudy()
    if args.seeds:
        controlled = dataclasses.replace(controlled, seeds=tuple(range(args.seeds)))
    print(f"xstilts: controlled experiment, seeds {', '.join(map(str, controlled.seeds))} -> {out}")
    design_table = run_controlled(out, controlled, progress=not args.quiet)
    report = write_controlled_report(out)
    print(f"xstilts: design table {design_table}")
    print(report.read_text(encoding="utf-8"))
    print(f"xstilts: report: {report.with_suffix('.html')} (and {report.name})")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    if args.controlled:
        return cmd_demo_controlled(args)
    from xstilts.demo.study import FP32_NOTE, demo_study

    study = demo_study(Path(args.out), args.seeds)
    if study.target.precision == "fp32":
        print(f"xstilts: {FP32_NOTE}")
    return _run_and_report(study, args.quiet, report=True)


def _run_and_report(  # type: ignore[no-untyped-def]
    study, quiet: bool, executor: str = "local", options: dict | None = None, report: bool = False
) -> int:
    from xstilts.experiments.runner import run_study
    from xstilts.experiments.store import ResultStore

    # Under `accelerate launch`/torchrun every process runs the study; only rank 0 reports.
    main_process = os.environ.get("RANK", "0") == "0"
    quiet = quiet or not main_process
    if main_process:
        print(
            f"xstilts: study {study.name!r}: encoder {study.encoder.name}, intermediate tasks "
            f"{', '.join(study.intermediate_tasks)}, targets {', '.join(study.target_tasks)}, "
            f"seeds {', '.join(map(str, study.seeds))}"
        )
    summary = run_study(study, progress=not quiet, executor=executor, **(options or {}))
    if not main_process:
        return 0
    print(
        f"xstilts: {count(summary.runs_done, 'run')} done, {summary.runs_skipped} already in "
        f"the store, {count(summary.rows_written, 'row')} written in {summary.seconds:.0f} s "
        f"-> {summary.store_path}"
    )
    if not report:
        with ResultStore(summary.store_path, read_only=True) as store:
            rows = store.frame("study = ?", [study.name])
        print_tables(rows, study.target_tasks, "test")
        return 0
    # The demo: what each phase learned, the tables, and the findings with their CIs.
    from xstilts.analysis.demo_summary import demo_summary
    from xstilts.analysis.report import write_report

    print("\n" + demo_summary(study, summary.store_path))
    markdown = write_report(summary.store_path, Path(study.output_dir) / "report",
                            study=study.name)  # fmt: skip
    print(f"\nxstilts: report: {markdown.with_suffix('.html')} (and {markdown.name})")
    return 0


def add_demo(sub: Subparsers) -> None:
    """The ``demo`` command (``--controlled``: the controlled experiment)."""
    demo = sub.add_parser("demo", help="run the embedded demo study (offline, CPU, minutes)")
    demo.add_argument("--out", default="xstilts-demo", help="output folder (default: %(default)s)")
    demo.add_argument("--seeds", type=int, default=0, help="number of seeds (default: the demo's)")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.add_argument(
        "--controlled", action="store_true",
        help="run the controlled experiment instead: synthetic languages with designed "
        "pretraining budgets (default out: xstilts-controlled)",
    )  # fmt: skip
    demo.set_defaults(func=cmd_demo)


def add_run(sub: Subparsers) -> None:
    """The ``run`` command and its executor options."""
    run = sub.add_parser("run", help="run or resume a study described in YAML")
    run.add_argument("config", help="study YAML file")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.add_argument(
        "--executor",
        default="local",
        choices=["local", "ray", "slurm"],
        help="local: in this process; ray: spread runs over a Ray cluster; "
        "slurm: submitit job arrays",
    )
    run.add_argument("--ray-address", default=None, help="Ray cluster address (default: local)")
    run.add_argument("--cpus-per-run", type=float, default=1, help="Ray resources per run")
    run.add_argument("--gpus-per-run", type=float, default=0, help="Ray resources per run")
    run.add_argument(
        "--slurm",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="submitit parameter for --executor slurm (repeat), e.g. timeout_min=720",
    )
    run.add_argument(
        "--slurm-cluster",
        default=None,
        help="submitit cluster: slurm (default: detected), local or debug",
    )
    run.set_defaults(func=cmd_run)


def add_plan(sub: Subparsers) -> None:
    """The ``plan`` command."""
    plan = sub.add_parser("plan", help="show what `run` would do and what is already done")
    plan.add_argument("config", help="study YAML file")
    plan.add_argument("--quiet", action="store_true", help="only the summary line")
    plan.add_argument("--json", action="store_true", help="the plan (tasks, phases, runs) as JSON")
    plan.set_defaults(func=cmd_plan)


def add_rebuild_store(sub: Subparsers) -> None:
    """The ``rebuild-store`` command."""
    rebuild = sub.add_parser(
        "rebuild-store", help="rebuild results.duckdb from the run folders (runs/*/rows.json)"
    )
    rebuild.add_argument("output_dir", help="the study's output folder")
    rebuild.set_defaults(func=cmd_rebuild_store)
