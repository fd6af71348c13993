"""Every ``xstilts`` command line shown in the README and the docs is parsed by the real parser,
the cheap ones run, the documented study files load, Python snippets import what they name and
``make`` targets exist, so the documentation cannot drift from the program.

The documents are discovered, not listed: every Markdown file of the repository outside hidden
folders and virtual environments, so a new page under ``docs/`` is checked the day it lands.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import re
import shlex
from pathlib import Path

import pytest
import yaml

from xstilts.cli import build_parser, main
from xstilts.config import study_from_dict

ROOT = Path(__file__).resolve().parents[1]
_SKIPPED_FOLDERS = {"node_modules", "build", "dist"}


def _documents() -> list[Path]:
    """Markdown files of the repository (hidden folders such as ``.venv`` and ``.git`` skipped)."""
    found = []
    for path in sorted(ROOT.rglob("*.md")):
        parts = path.relative_to(ROOT).parts[:-1]
        if any(part.startswith(".") or part in _SKIPPED_FOLDERS for part in parts):
            continue
        if "site-packages" in parts or "venv" in parts:
            continue
        found.append(path)
    return found


DOCUMENTS = _documents()
_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
_SHELL = {"", "bash", "sh", "shell", "console", "zsh"}
_SEPARATORS = {"&&", "||", ";", "|", "&"}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _blocks(languages: set[str]) -> list[tuple[Path, str]]:
    return [
        (path, body)
        for path in DOCUMENTS
        for language, body in _FENCE.findall(path.read_text(encoding="utf-8"))
        if language in languages
    ]


def _shell_commands(block: str) -> list[list[str]]:
    """The simple commands of a shell block: continuations joined, a console ``$`` prompt
    dropped, split at ``&&``, ``||``, ``;``, ``|`` and ``&``, comments removed."""
    text = re.sub(r"\\\n", " ", block)
    commands: list[list[str]] = []
    for line in text.splitlines():
        line = re.sub(r"^\s*\$ ", "", line)
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        try:
            tokens = list(lexer)
        except ValueError:  # prose or output in a plain block ("don't"); never a command
            if re.search(r"\b(xstilts|make)\b", line):
                raise
            continue
        current: list[str] = []
        for token in tokens:
            if token in _SEPARATORS:
                commands.append(current)
                current = []
            else:
                current.append(token)
        commands.append(current)
    return [command for command in commands if command]


def _xstilts_argv(words: list[str]) -> list[str] | None:
    """The arguments after ``xstilts`` (a path ending in it, or ``-m xstilts.cli`` under any
    launcher), environment assignments in front skipped; None for other commands."""
    while words and _ASSIGNMENT.match(words[0]):
        words = words[1:]
    if "xstilts.cli" in words:
        return words[words.index("xstilts.cli") + 1 :]
    if words and Path(words[0]).name == "xstilts":
        return words[1:]
    return None


def documented_commands() -> list[tuple[str, list[str]]]:
    """``(where, argv)`` for every xstilts command of a shell block."""
    found = []
    for path, block in _blocks(_SHELL):
        for words in _shell_commands(block):
            argv = _xstilts_argv(words)
            if argv is not None:
                found.append((f"{path.relative_to(ROOT)}: xstilts {' '.join(argv)}", argv))
    return found


COMMANDS = documented_commands()


def test_documents_are_discovered_and_show_commands() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in DOCUMENTS}
    assert {"README.md", "docs/real-scale.md", "docs/official-reading.md"} <= names
    assert all(not name.startswith(".") for name in names)
    assert len(COMMANDS) >= 20
    assert {argv[0] for _, argv in COMMANDS} >= {"run", "plan", "results", "score", "fetch"}


def test_the_shell_splitter_finds_every_command() -> None:
    block = "HF_HUB_OFFLINE=1 xstilts fetch xnli \\\n  --out d && xstilts tasks | head # note\n"
    argvs = [_xstilts_argv(words) for words in _shell_commands(block)]
    assert argvs == [["fetch", "xnli", "--out", "d"], ["tasks"], None]
    assert _xstilts_argv(["torchrun", "-m", "xstilts.cli", "run", "s.yaml"]) == ["run", "s.yaml"]
    assert _xstilts_argv([".venv/bin/xstilts", "demo"]) == ["demo"]


@pytest.mark.parametrize(("where", "argv"), COMMANDS, ids=[where for where, _ in COMMANDS])
def test_documented_command_parses(where: str, argv: list[str]) -> None:
    try:
        build_parser().parse_args(argv)
    except SystemExit as exit_:
        pytest.fail(f"{where}: the CLI refuses it (exit {exit_.code})")


CHEAP = [
    argv for _, argv in COMMANDS if argv[0] in ("tasks", "langs") or argv[:2] == ["fetch", "--list"]
]


@pytest.mark.parametrize("argv", CHEAP, ids=[" ".join(argv) for argv in CHEAP])
def test_cheap_documented_commands_run(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    assert main(argv) == 0
    assert capsys.readouterr().out.strip()


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


_INLINE = re.compile(r"(?<!`)`(?:[\w./]*/)?xstilts ([a-z][a-z-]*)((?: [^`]*)?)`")


def inline_mentions() -> list[tuple[str, str, list[str]]]:
    """``(where, subcommand, options)`` for every inline code span ``xstilts CMD --opt ...``."""
    found = []
    for path in DOCUMENTS:
        for command, rest in _INLINE.findall(path.read_text(encoding="utf-8")):
            options = [word.split("=")[0] for word in rest.split() if word.startswith("--")]
            found.append((f"{path.relative_to(ROOT)}: `xstilts {command}{rest}`", command, options))
    return found


INLINE = inline_mentions()


@pytest.mark.parametrize(("where", "command", "options"), INLINE, ids=[w for w, _, _ in INLINE])
def test_inline_mentions_name_real_commands_and_options(
    where: str, command: str, options: list[str]
) -> None:
    subcommands = _subcommands()
    assert command in subcommands, f"{where}: no subcommand {command!r}"
    known = subcommands[command]._option_string_actions
    assert [option for option in options if option not in known] == [], where


def test_inline_mentions_are_found() -> None:
    assert {command for _, command, _ in INLINE} >= {"score", "plan", "results", "fetch"}


def _study_mapping(body: str) -> dict | None:
    """A YAML block that is a study file (it names target tasks), else None."""
    try:
        loaded = yaml.safe_load(body)
    except yaml.YAMLError:
        return None
    return loaded if isinstance(loaded, dict) and "target_tasks" in loaded else None


STUDIES = [(path, body) for path, body in _blocks({"yaml", "yml"}) if _study_mapping(body)]


@pytest.mark.parametrize(
    ("path", "body"), STUDIES, ids=[str(path.relative_to(ROOT)) for path, _ in STUDIES]
)
def test_documented_studies_load(path: Path, body: str) -> None:
    study = study_from_dict(yaml.safe_load(body), str(path))
    assert study.target_tasks


def test_the_real_scale_study_is_among_them() -> None:
    assert any(path.name == "real-scale.md" for path, _ in STUDIES)


SNIPPETS = _blocks({"python", "py"})


@pytest.mark.parametrize(
    ("path", "body"), SNIPPETS, ids=[str(path.relative_to(ROOT)) for path, _ in SNIPPETS]
)
def test_python_snippets_compile_and_import_what_they_name(path: Path, body: str) -> None:
    tree = ast.parse(body, filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("xstilts"):
            module = importlib.import_module(node.module or "")
            missing = [alias.name for alias in node.names if not hasattr(module, alias.name)]
            assert missing == [], f"{path.name}: {node.module} has no {missing}"


_MAKE_TARGET = re.compile(r"^([A-Za-z][\w-]*):", re.MULTILINE)


def test_documented_make_targets_exist() -> None:
    targets = set(_MAKE_TARGET.findall((ROOT / "Makefile").read_text(encoding="utf-8")))
    documented = {
        (path.name, words[1])
        for path, block in _blocks(_SHELL)
        for words in _shell_commands(block)
        if words[:1] == ["make"] and len(words) > 1
    }
    assert {"demo", "test", "lock"} <= {target for _, target in documented}
    assert sorted(item for item in documented if item[1] not in targets) == []


def test_the_quick_path_is_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Two commands", 1)[1].split("##", 1)[0]
    (block,) = [body for language, body in _FENCE.findall(quick) if language == "bash"]
    assert [line.split()[:2] for line in block.splitlines()] == [["make", "demo"], ["make", "test"]]
