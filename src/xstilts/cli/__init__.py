"""The ``xstilts`` command line: argparse subcommands, one small function each.

Every error a user can cause is printed as one line (``xstilts: error: ...``) with exit status 2;
tracebacks are for bugs only.

The commands live in modules by what they work on (``study_commands``, ``result_commands``,
``data_commands``); this module assembles the parser and maps errors to exit statuses.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from xstilts.cli import data_commands, result_commands, study_commands
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xstilts",
        description="Zero-shot cross-lingual transfer after English intermediate-task training.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    # The order here is the order of `xstilts --help`.
    study_commands.add_demo(sub)
    study_commands.add_run(sub)
    study_commands.add_plan(sub)
    result_commands.add_results(sub)
    study_commands.add_rebuild_store(sub)
    result_commands.add_score(sub)
    result_commands.add_export(sub)
    data_commands.add_fetch(sub)
    data_commands.add_langs(sub)
    result_commands.add_report(sub)
    data_commands.add_tasks(sub)
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
