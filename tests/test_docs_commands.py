"""Every ``xstilts`` command line shown in the README and docs/ is parsed by the real parser, and
the cheap ones run, so the documentation cannot drift from the program."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from xstilts.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BASH_BLOCK = re.compile(r"```bash\n(.*?)```", re.DOTALL)


def documented_commands() -> list[tuple[str, list[str]]]:
    """``(where, argv)`` for every line of a bash block that runs xstilts (directly or as
    ``python -m xstilts.cli`` under a launcher)."""
    found = []
    for path in DOCUMENTS:
        for block in _BASH_BLOCK.findall(path.read_text(encoding="utf-8")):
            for line in block.splitlines():
                words = shlex.split(line, comments=True)
                if "xstilts.cli" in words:
                    argv = words[words.index("xstilts.cli") + 1 :]
                elif words[:1] == ["xstilts"]:
                    argv = words[1:]
                else:
                    continue
                found.append((f"{path.name}: {line.strip()}", argv))
    return found


COMMANDS = documented_commands()


def test_the_documents_show_commands() -> None:
    assert len(COMMANDS) >= 20
    assert {argv[0] for _, argv in COMMANDS} >= {"run", "plan", "results", "score", "fetch"}


@pytest.mark.parametrize(("where", "argv"), COMMANDS, ids=[where for where, _ in COMMANDS])
def test_documented_command_parses(where: str, argv: list[str]) -> None:
    try:
        build_parser().parse_args(argv)
    except SystemExit as exit_:
        pytest.fail(f"{where}: the CLI refuses it (exit {exit_.code})")


CHEAP = [
    argv
    for _, argv in COMMANDS
    if argv[0] == "tasks" or argv[:2] == ["fetch", "--list"] or argv[0] == "langs"
]


@pytest.mark.parametrize("argv", CHEAP, ids=[" ".join(argv) for argv in CHEAP])
def test_cheap_documented_commands_run(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    assert main(argv) == 0
    assert capsys.readouterr().out.strip()


def test_the_quick_path_is_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Two commands", 1)[1].split("##", 1)[0]
    (block,) = _BASH_BLOCK.findall(quick)
    assert [line.split()[:2] for line in block.splitlines()] == [["make", "demo"], ["make", "test"]]
