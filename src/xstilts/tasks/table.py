"""The documentation's task table, generated from the task specs (``docs/tasks.md``).

Every fact in the table is a field of a :class:`~xstilts.tasks.spec.TaskSpec`, so the table
cannot drift from the code: ``python -m xstilts.tasks.table docs/tasks.md`` rewrites it, and a
test fails while the committed file differs from what the specs generate.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from xstilts.tasks.spec import TaskSpec

HEADER = """# Tasks

Generated from the task specs (`src/xstilts/tasks/catalog/`, one file per task) by
`python -m xstilts.tasks.table docs/tasks.md`; do not edit by hand. A task's spec is the one
place that holds these facts: `xstilts score`, the robustness analysis, `xstilts fetch` and this
table read them from it. Tasks are grouped by family.

- **metric**: the headline metric (model selection, oracle, robustness).
- **scorer**: the official file format `xstilts score` reads (`TaskSpec.scorer`) and the file
  suffix of `test-{lang}.{suffix}`; "-" for tasks with no submission format (intermediate only).
- **Hub**: fetchable with `xstilts fetch TASK` from that Hugging Face dataset; "-" when not
  (`xstilts fetch TASK` then says where the release is).
"""

COLUMNS = ("task", "family", "splits", "languages", "metric", "scorer", "Hub", "reference")


def _splits(spec: TaskSpec) -> str:
    named = (("train", spec.train_split), ("dev", spec.dev_split), ("test", spec.test_split))
    return ", ".join(role for role, split in named if split is not None)


def _languages(spec: TaskSpec) -> str:
    if not spec.languages:
        return "any (found in the data)"
    return f"{len(spec.languages)}: {' '.join(spec.languages)}"


def task_row(spec: TaskSpec) -> list[str]:
    """One table row: the spec's facts as text (``|`` escaped for Markdown)."""
    scorer = f"{spec.scorer} (.{spec.prediction_suffix})" if spec.scorer else "-"
    hub = "-" if spec.hub is None else f"`{spec.hub.repo}`"
    if spec.hub is not None and spec.hub.script_only:
        hub = f"- (`{spec.hub.repo}` is a loading script)"
    cells = [
        f"`{spec.name}`", spec.family, _splits(spec), _languages(spec), spec.metric, scorer, hub,
        spec.citation,
    ]  # fmt: skip
    return [cell.replace("|", "\\|") for cell in cells]


def task_table(specs: Iterable[TaskSpec]) -> str:
    """``docs/tasks.md``: the header and one row per task, in registry order (by family)."""
    lines = [HEADER, "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(task_row(spec)) + " |" for spec in specs]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the table to PATH, or with ``--check`` exit 1 when PATH differs from it."""
    from xstilts.tasks.registry import TASKS

    parser = argparse.ArgumentParser(prog="python -m xstilts.tasks.table")
    parser.add_argument("path", type=Path)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = task_table(TASKS.values())
    if args.check:
        current = args.path.read_text(encoding="utf-8") if args.path.is_file() else ""
        if current != text:
            print(f"{args.path} is out of date; run python -m xstilts.tasks.table {args.path}")
            return 1
        return 0
    args.path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
