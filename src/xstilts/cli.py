"""The ``xstilts`` command line: argparse subcommands, one small function each.

Every error a user can cause is printed as one line (``xstilts: error: ...``) with exit status 2;
tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from xstilts.errors import XstiltsError, bounded_message
from xstilts.files import USER_FIXABLE_ERRNOS, os_error_message


def _configure_quiet_libraries() -> None:
    """Keep the console for our progress bars: no hub calls, no library chatter."""
    import os
    import warnings

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    warnings.filterwarnings("ignore", category=FutureWarning)
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def _count(number: int, noun: str) -> str:
    """``1 run``, ``2 runs``, ``0 runs``: the messages count things a user reads at a glance."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


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


def _store_file(argument: str) -> Path:
    """A store argument may name the DuckDB file or the study output folder holding it."""
    from xstilts.experiments.plan import STORE_NAME

    path = Path(argument)
    return path / STORE_NAME if path.is_dir() else path


def _add_store_argument(parser: argparse.ArgumentParser) -> None:
    """The optional ``store`` positional of the commands that read results (see ``_store_file``);
    its default is the demo's output folder, so they work right after ``xstilts demo``."""
    parser.add_argument(
        "store",
        nargs="?",
        default="xstilts-demo",
        help="store file or study output folder (default: %(default)s)",
    )


def cmd_rebuild_store(args: argparse.Namespace) -> int:
    from xstilts.experiments.plan import STORE_NAME
    from xstilts.experiments.run_rows import rebuild_store

    summary = rebuild_store(Path(args.output_dir), STORE_NAME)
    old = f", {summary.from_old_store} kept from the old store" if summary.from_old_store else ""
    backup = f"; previous file kept as {summary.backup}" if summary.backup else ""
    counts = f"{_count(summary.runs, 'run')}, {_count(summary.rows, 'row')}"
    print(f"rebuilt {summary.store_path}: {counts}{old}{backup}")
    for reason in summary.skipped:
        print(f"  left out: {reason}")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from xstilts.config import load_study
    from xstilts.experiments.plan import StudyPlan

    study = load_study(args.config)
    if study.pretraining is not None:
        from xstilts.pretraining.stage import describe_cells

        print(describe_cells(study))
        return 0
    items = StudyPlan(study).plan()
    pending = [item for item in items if item["status"] == "pending"]
    to_train = {
        (i["intermediate_task"], i["seed"]) for i in pending if i["intermediate"] != "trained"
    }
    to_train = {t for t in to_train if t[0] != "none"}
    if not args.quiet:
        print(
            f"{'seed':>4}  {'intermediate':16s} {'target':10s} {'run id':16s}  checkpoint  status"
        )
        shown: set[str] = set()
        for item in items:
            print(
                f"{item['seed']:>4}  {item['intermediate_task']:16s} {item['target_task']:10s} "
                f"{item['run_id']:16s}  {item['intermediate']:10s}  {item['status']}"
            )
            combo = item["intermediate_task"]
            if item["intermediate_settings"] is not None and combo not in shown:
                shown.add(combo)
                _print_settings(f"intermediate {combo}", item["intermediate_settings"])
            _print_settings(f"target {item['target_task']}", item["settings"])
    print(
        f"xstilts: {_count(len(items), 'run')}: {len(items) - len(pending)} done, "
        f"{len(pending)} to run; {_count(len(to_train), 'intermediate checkpoint')} to train"
    )
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
    from xstilts.demo.study import demo_study

    return _run_and_report(demo_study(Path(args.out), args.seeds), args.quiet, report=True)


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
        f"xstilts: {_count(summary.runs_done, 'run')} done, {summary.runs_skipped} already in "
        f"the store, {_count(summary.rows_written, 'row')} written in {summary.seconds:.0f} s "
        f"-> {summary.store_path}"
    )
    if not report:
        with ResultStore(summary.store_path, read_only=True) as store:
            rows = store.frame("study = ?", [study.name])
        _print_tables(rows, study.target_tasks, "test")
        return 0
    # The demo: what each phase learned, the tables, and the findings with their CIs.
    from xstilts.analysis.demo_summary import demo_summary
    from xstilts.analysis.report import write_report

    print("\n" + demo_summary(study, summary.store_path))
    markdown = write_report(summary.store_path, Path(study.output_dir) / "report",
                            study=study.name)  # fmt: skip
    print(f"\nxstilts: report: {markdown.with_suffix('.html')} (and {markdown.name})")
    return 0


def _print_tables(  # type: ignore[no-untyped-def]
    rows, targets: Sequence[str], split: str, selection: str = "en_dev"
) -> None:
    from xstilts.analysis.tables import tables_text

    text = tables_text(rows, targets, split, selection)
    if text:
        print(text)


def cmd_results(args: argparse.Namespace) -> int:
    from xstilts.experiments.store import ResultStore

    store_path = _store_file(args.store)
    with ResultStore(store_path, read_only=True) as store:
        rows = store.frame()
        if args.export:
            out = store.export(args.export)
            print(f"xstilts: {_count(len(rows), 'row')} exported to {out}")
    if args.study:
        rows = rows[rows["study"] == args.study]
    if rows.empty:
        raise XstiltsError(
            f"{store_path}: no results" + (f" for study {args.study!r}" if args.study else "")
        )
    targets = [args.task] if args.task else sorted(rows["target_task"].unique())
    _print_tables(rows, targets, args.split, args.selection)
    return 0


def cmd_tasks(args: argparse.Namespace) -> int:
    from xstilts.tasks.registry import TASKS

    data_dir = Path(args.data_dir) if args.data_dir else None
    for spec in TASKS.values():
        count = _count(len(spec.languages), "language") if spec.languages else "from the data"
        languages = f"{count:>13s}"
        line = f"{spec.name:14s} {spec.family:15s} {spec.metric:14s} {languages}"
        if data_dir is not None and (data_dir / spec.name).is_dir():
            line += "  " + _local_sizes(spec, data_dir / spec.name)
        elif data_dir is not None:
            line += "  (no local data)"
        print(line)
    return 0


def _size(examples: object) -> int:
    """Examples in a loaded split; retrieval sets count their query sentences."""
    items = list(examples) if isinstance(examples, list) else [examples]
    total = 0
    for item in items:
        source = getattr(item, "source", None) or getattr(item, "queries", None)
        total += len(source) if source is not None else 1
    return total


def _local_sizes(spec, folder: Path) -> str:  # type: ignore[no-untyped-def]
    """``split: n examples in k languages`` for each split present locally."""
    parts = []
    for split in dict.fromkeys(s for s in (spec.train_split, spec.dev_split, spec.test_split) if s):
        languages = (
            spec.evaluation_languages(folder, split, []) if split != spec.train_split else ["en"]
        )
        try:
            sizes = {lang: _size(spec.load(folder, split, lang)) for lang in languages}
        except XstiltsError as error:
            parts.append(f"{split}: unreadable ({error})")
            continue
        if sizes:
            parts.append(
                f"{split}: {sum(sizes.values())} in {len(sizes)} lang ({', '.join(sizes)})"
            )
    return "; ".join(parts) or "(no readable splits)"


def cmd_score(args: argparse.Namespace) -> int:
    import json

    from xstilts.evaluate.score import outside_version, score_file, score_folder

    if args.task is not None:
        if not (args.pred and args.gold and args.lang):
            raise XstiltsError("score TASK needs --lang, --pred and --gold (single-file mode)")
        scores: dict[str, object] = dict(score_file(args.task, args.lang, args.pred, args.gold))
    else:
        if not (args.pred and args.gold):
            raise XstiltsError("score needs --pred DIR and --gold DIR (or TASK --lang L ...)")
        scores = score_folder(args.pred, args.gold, args.version)
    print(json.dumps(scores, indent=2, sort_keys=False))
    for task, entry in scores.items():
        if isinstance(entry, dict) and entry.get("missing_languages"):
            print(
                f"xstilts: {task}: no files for {', '.join(entry['missing_languages'])}; its "
                "average covers the other languages and is left out of the group averages",
                file=sys.stderr,
            )
    for task, extra in ({} if args.task else outside_version(args.pred, args.version)).items():
        print(f"xstilts: {task}: outside the {args.version} languages, not scored here: "
              f"{', '.join(extra)} (score one with: xstilts score {task} --lang L ...)",
              file=sys.stderr)  # fmt: skip
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from xstilts.analysis.report import write_report

    store_path = _store_file(args.store)
    out = Path(args.out) if args.out else store_path.parent / "report"
    markdown = write_report(
        store_path, out, pretraining=args.pretraining, selection=args.selection,
        split=args.split, study=args.study,
    )  # fmt: skip
    print(f"xstilts: report written: {markdown} and {markdown.with_suffix('.html')}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Copy test predictions of chosen runs into the XTREME submission layout."""
    import json
    import shutil

    from xstilts.experiments.store import ResultStore

    store_path = _store_file(args.store)
    with ResultStore(store_path, read_only=True) as store:
        rows = store.frame()
    if args.run:
        chosen = rows[rows["run_id"].map(lambda r: any(r.startswith(p) for p in args.run))]
    else:
        chosen = rows[
            (rows["intermediate_task"] == args.intermediate) & (rows["seed"] == args.seed)
        ]
    runs = chosen.drop_duplicates("run_id")[["run_id", "target_task"]].itertuples(index=False)
    out = Path(args.out)
    written = 0
    seen: dict[str, str] = {}
    for run_id, target in runs:
        _check_stored_name("run_id", run_id)
        _check_stored_name("target_task", target)
        if target in seen:
            raise XstiltsError(f"runs {seen[target]} and {run_id} both predict {target}; pick one")
        seen[target] = run_id
        predictions = store_path.parent / "runs" / run_id / "predictions"
        files = sorted(predictions.glob("test-*.*"))
        if not files:
            raise XstiltsError(f"{predictions}: no test predictions for run {run_id}")
        (out / target).mkdir(parents=True, exist_ok=True)
        for path in files:
            shutil.copyfile(path, out / target / path.name)
            written += 1
    if not seen:
        raise XstiltsError("no run matches; give --run RUN_ID (prefix) or --intermediate/--seed")
    (out / "xstilts-export.json").write_text(json.dumps(seen, indent=2), encoding="utf-8")
    print(f"xstilts: {written} prediction files for {', '.join(sorted(seen))} written to {out}")
    return 0


_SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _check_stored_name(column: str, value: object) -> None:
    """Store values become folder names on export: one read from a foreign or tampered store
    must not escape the output folder (``../``, ``/etc``) or name a device."""
    if not isinstance(value, str) or not _SAFE_NAME.fullmatch(value):
        raise XstiltsError(
            f"store value {column}={str(value)[:60]!r} is not a safe name "
            "(expected lower-case letters, digits, '_' or '-'); refusing to build a path from it"
        )


def cmd_fetch(args: argparse.Namespace) -> int:
    from xstilts.data import hub
    from xstilts.languages.table import task_key
    from xstilts.tasks.registry import TASKS

    sources = {name: spec.hub for name, spec in TASKS.items() if spec.hub is not None}
    if args.list:
        for task, source in sources.items():
            print(f"{task:10s} {source.description}")
        return 0
    if not args.task or not args.out:
        raise XstiltsError("fetch needs TASK and --out DATA_DIR (or --list)")
    if args.task not in sources:
        raise XstiltsError(f"fetch: unknown task {args.task!r}; known: {', '.join(sources)}")
    languages = [task_key(code) for code in args.lang]  # swh, deu ... name the same languages
    result = hub.fetch(
        sources[args.task], languages, args.out, args.repo, revision=args.revision,
        allow_bucc_gold_only=args.allow_bucc_gold_only, progress=True,
    )  # fmt: skip
    revisions = {entry.get("revision") for entry in _fetch_record(result.task_dir).values()}
    pinned = ", ".join(sorted(str(r) for r in revisions)) or "none"
    written = _count(len(result.files), "file")
    print(f"xstilts: wrote {written} under {result.task_dir} (revision {pinned})")
    for note in result.notes:
        print(f"note: {note}")
    return 0


def _fetch_record(task_dir: Path) -> dict:
    """The files recorded in a task folder's ``hub-source.json``."""
    import json

    from xstilts.data.hub import SOURCE_FILE

    try:
        return json.loads((task_dir / SOURCE_FILE).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError):
        return {}


def cmd_langs(args: argparse.Namespace) -> int:
    import pandas as pd

    from xstilts.languages.table import load_languages, to_iso639_1
    from xstilts.languages.typology import distances_to

    table = load_languages()
    if args.languages:
        table = table.loc[[to_iso639_1(code) for code in args.languages]]
    columns = ["iso639_3", "name", "family", "script", "cc100_gib", "wiki_articles", "in_mbert"]
    shown = table[columns]
    if args.distances:
        distances = distances_to(args.source, list(shown.index))
        shown = shown.join(distances.round(3))
    with pd.option_context(
        "display.width", 200, "display.max_columns", 40, "display.max_rows", 200
    ):
        print(shown.sort_values("cc100_gib", ascending=False).to_string())
    if args.out:
        out = Path(args.out)
        shown.to_csv(out)
        print(f"xstilts: {_count(len(shown), 'language')} written to {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xstilts",
        description="Zero-shot cross-lingual transfer after English intermediate-task training.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

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

    plan = sub.add_parser("plan", help="show what `run` would do and what is already done")
    plan.add_argument("config", help="study YAML file")
    plan.add_argument("--quiet", action="store_true", help="only the summary line")
    plan.set_defaults(func=cmd_plan)

    results = sub.add_parser("results", help="per-language table from a results store")
    _add_store_argument(results)
    results.add_argument("--task", help="only this target task")
    results.add_argument("--split", default="test", choices=["dev", "test"])
    results.add_argument("--study", help="only this study name")
    results.add_argument(
        "--selection",
        default="en_dev",
        choices=["en_dev", "last", "oracle", "ckpt_avg"],
        help="checkpoint selection: English dev (zero-shot, default; tasks whose recipe keeps the "
        "last checkpoint and retrieval show as stored), last, target-dev oracle, or ckpt_avg",
    )
    results.add_argument("--export", metavar="FILE", help="also write all rows to .parquet/.csv")
    results.set_defaults(func=cmd_results)

    rebuild = sub.add_parser(
        "rebuild-store", help="rebuild results.duckdb from the run folders (runs/*/rows.json)"
    )
    rebuild.add_argument("output_dir", help="the study's output folder")
    rebuild.set_defaults(func=cmd_rebuild_store)

    score = sub.add_parser(
        "score",
        help="score predictions against gold with the official metrics (XTREME layout or one file)",
        description="Folder mode: --pred DIR --gold DIR (one sub-folder per task, test-{lang}.*). "
        "Single-file mode: TASK --lang L --pred FILE --gold FILE. Prints JSON (scores x100).",
    )
    score.add_argument("task", nargs="?", help="task name for single-file mode (e.g. xnli, mlqa)")
    score.add_argument("--pred", help="predictions folder or file")
    score.add_argument("--gold", help="gold folder or file")
    score.add_argument("--lang", help="language of the single file")
    score.add_argument("--version", default="xtreme", choices=["xtreme", "xtreme-r"])
    score.set_defaults(func=cmd_score)

    export = sub.add_parser(
        "export", help="write test predictions in the XTREME submission layout (for `score`)"
    )
    _add_store_argument(export)
    export.add_argument("--run", action="append", default=[], help="run id (or prefix); repeat")
    export.add_argument(
        "--intermediate",
        default="none",
        help="without --run: every target run of this intermediate task",
    )
    export.add_argument("--seed", type=int, default=0, help="without --run: this seed")
    export.add_argument("--out", required=True, help="submission folder to write")
    export.set_defaults(func=cmd_export)

    fetch = sub.add_parser(
        "fetch", help="download an XTREME task from the Hugging Face Hub into the official layout"
    )
    fetch.add_argument("task", nargs="?", help="xnli, pawsx, panx, udpos, xquad, mlqa, ...")
    fetch.add_argument("--lang", nargs="*", default=[], help="languages (default: all)")
    fetch.add_argument("--out", type=Path, metavar="DATA_DIR", help="the study's data_dir")
    fetch.add_argument("--repo", help="dataset repo (default: the task's own, google/xtreme)")
    fetch.add_argument(
        "--revision",
        default=None,
        help="dataset commit (default: the Hub's current one; recorded in hub-source.json)",
    )
    fetch.add_argument(
        "--allow-bucc-gold-only",
        action="store_true",
        help="accept the Hub's BUCC, which lacks the distractor sentences",
    )
    fetch.add_argument("--list", action="store_true", help="list the tasks the Hub provides")
    fetch.set_defaults(func=cmd_fetch)

    langs = sub.add_parser("langs", help="language metadata: pretraining volume and diversity")
    langs.add_argument("languages", nargs="*", help="ISO 639-1/3 codes (default: all 50)")
    langs.add_argument("--distances", action="store_true", help="add URIEL distances")
    langs.add_argument("--source", default="en", help="distances to this language (default: en)")
    langs.add_argument("--out", help="also write the table as CSV")
    langs.set_defaults(func=cmd_langs)

    report = sub.add_parser(
        "report", help="analysis report: volume and diversity vs transfer robustness"
    )
    _add_store_argument(report)
    report.add_argument("--out", help="report folder (default: <store folder>/report)")
    report.add_argument(
        "--pretraining",
        default="cc100",
        help="volume table: cc100, cc100_tokens, wikipedia, wikipedia_articles, "
        "or a CSV with language,volume",
    )
    report.add_argument("--selection", default="en_dev", choices=["en_dev", "oracle", "ckpt_avg"])
    report.add_argument("--split", default="test", choices=["dev", "test"])
    report.add_argument("--study", help="only this study name")
    report.set_defaults(func=cmd_report)

    tasks = sub.add_parser("tasks", help="list the registered tasks")
    tasks.add_argument("--data-dir", help="also list languages found in this data folder")
    tasks.set_defaults(func=cmd_tasks)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    light = ("plan", "results", "score", "langs", "tasks", "report", "export", "fetch",
             "rebuild-store")  # fmt: skip
    if args.command not in light:
        _configure_quiet_libraries()  # imports transformers: only where a model is used
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except XstiltsError as error:
        print(f"xstilts: error: {bounded_message(str(error))}", file=sys.stderr)
        return 2
    except OSError as error:
        if error.errno not in USER_FIXABLE_ERRNOS:
            raise
        print(f"xstilts: error: {bounded_message(os_error_message(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "xstilts: interrupted; finished runs are in the store, re-run to resume",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
