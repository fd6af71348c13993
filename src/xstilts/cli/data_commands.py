"""Commands about tasks, data and languages: ``tasks``, ``fetch``, ``langs``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from xstilts.cli.common import Subparsers
from xstilts.cli.common import count as _count
from xstilts.errors import XstiltsError

if TYPE_CHECKING:  # the light commands import no task module before they need it
    from xstilts.tasks.spec import TaskSpec


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


def local_sizes(spec: TaskSpec, folder: Path) -> dict[str, dict[str, int] | str]:
    """``{split: {language: examples}}`` for each split present in ``folder`` (the error text
    for a split that does not read)."""
    found: dict[str, dict[str, int] | str] = {}
    for split in dict.fromkeys(s for s in (spec.train_split, spec.dev_split, spec.test_split) if s):
        languages = (
            spec.evaluation_languages(folder, split, []) if split != spec.train_split else ["en"]
        )
        try:
            sizes = {lang: _size(spec.load(folder, split, lang)) for lang in languages}
        except XstiltsError as error:
            found[split] = str(error)
            continue
        if sizes:
            found[split] = sizes
    return found


def _local_sizes(spec: TaskSpec, folder: Path) -> str:
    """``split: n in k lang (codes)`` for each split present locally."""
    parts = [
        f"{split}: unreadable ({sizes})"
        if isinstance(sizes, str)
        else f"{split}: {sum(sizes.values())} in {len(sizes)} lang ({', '.join(sizes)})"
        for split, sizes in local_sizes(spec, folder).items()
    ]
    return "; ".join(parts) or "(no readable splits)"


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
    if args.task in TASKS and args.task not in sources:
        raise XstiltsError(
            f"fetch: {args.task} has no Hugging Face Hub source; get its data from "
            f"{TASKS[args.task].source or 'its official release'} (see docs/tasks.md)"
        )
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
        # swh and sw name one language: each row once, in the order first asked for
        table = table.loc[list(dict.fromkeys(to_iso639_1(code) for code in args.languages))]
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


def add_fetch(sub: Subparsers) -> None:
    """The ``fetch`` command."""
    fetch = sub.add_parser(
        "fetch", help="download an XTREME task from the Hugging Face Hub into the official layout"
    )
    fetch.add_argument("task", nargs="?", help="a task name (--list: the tasks the Hub provides)")
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


def add_langs(sub: Subparsers) -> None:
    """The ``langs`` command."""
    langs = sub.add_parser("langs", help="language metadata: pretraining volume and diversity")
    langs.add_argument("languages", nargs="*", help="ISO 639-1/3 codes (default: all 50)")
    langs.add_argument("--distances", action="store_true", help="add URIEL distances")
    langs.add_argument("--source", default="en", help="distances to this language (default: en)")
    langs.add_argument("--out", help="also write the table as CSV")
    langs.set_defaults(func=cmd_langs)


def add_tasks(sub: Subparsers) -> None:
    """The ``tasks`` command."""
    tasks = sub.add_parser("tasks", help="list the registered tasks")
    tasks.add_argument("--data-dir", help="also list languages found in this data folder")
    tasks.set_defaults(func=cmd_tasks)
