"""Commands that read results or predictions: ``results``, ``score``, ``export``, ``report``."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from xstilts.cli.common import Subparsers, add_store_argument, count, print_tables, store_file
from xstilts.errors import XstiltsError


def cmd_results(args: argparse.Namespace) -> int:
    from xstilts.experiments.store import ResultStore

    store_path = store_file(args.store)
    with ResultStore(store_path, read_only=True) as store:
        rows = store.frame()
        if args.export:
            out = store.export(args.export)
            print(f"xstilts: {count(len(rows), 'row')} exported to {out}")
    if args.study:
        rows = rows[rows["study"] == args.study]
    if rows.empty:
        raise XstiltsError(
            f"{store_path}: no results" + (f" for study {args.study!r}" if args.study else "")
        )
    targets = [args.task] if args.task else sorted(rows["target_task"].unique())
    print_tables(rows, targets, args.split, args.selection)
    return 0


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

    store_path = store_file(args.store)
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

    store_path = store_file(args.store)
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


def add_results(sub: Subparsers) -> None:
    """The ``results`` command."""
    results = sub.add_parser("results", help="per-language table from a results store")
    add_store_argument(results)
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


def add_score(sub: Subparsers) -> None:
    """The ``score`` command (folder or single-file mode)."""
    score = sub.add_parser(
        "score",
        help="score predictions against gold with the official metrics (XTREME layout or one file)",
        description="Folder mode: --pred DIR --gold DIR (one sub-folder per task, test-{lang}.*). "
        "Single-file mode: TASK --lang L --pred FILE --gold FILE. Prints JSON (scores x100).",
    )
    score.add_argument("task", nargs="?", help="single-file mode: the task (see xstilts tasks)")
    score.add_argument("--pred", help="predictions folder or file")
    score.add_argument("--gold", help="gold folder or file")
    score.add_argument("--lang", help="language of the single file")
    score.add_argument("--version", default="xtreme", choices=["xtreme", "xtreme-r"])
    score.set_defaults(func=cmd_score)


def add_export(sub: Subparsers) -> None:
    """The ``export`` command."""
    export = sub.add_parser(
        "export", help="write test predictions in the XTREME submission layout (for `score`)"
    )
    add_store_argument(export)
    export.add_argument("--run", action="append", default=[], help="run id (or prefix); repeat")
    export.add_argument(
        "--intermediate",
        default="none",
        help="without --run: every target run of this intermediate task",
    )
    export.add_argument("--seed", type=int, default=0, help="without --run: this seed")
    export.add_argument("--out", required=True, help="submission folder to write")
    export.set_defaults(func=cmd_export)


def add_report(sub: Subparsers) -> None:
    """The ``report`` command."""
    report = sub.add_parser(
        "report", help="analysis report: volume and diversity vs transfer robustness"
    )
    add_store_argument(report)
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
