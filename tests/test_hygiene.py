"""Size and hygiene rules of the code base (issue #17), checked on every test run.

- No file over 400 lines in ``src/``, ``tests/`` and ``benchmarks/``: past that a module holds more
  than one idea and a reader pages through it.
- No function over 60 lines in ``src/`` unless a ``# long: <reason>`` comment on the line above it
  (above its decorators) says why it reads better whole.
- Every test checks something: an ``assert``, ``pytest.raises``/``warns``, an ``assert_*`` or
  ``pytest.fail`` call, or a call of a function of its own module that does one of these.
- No test waits for a condition by sleeping in a loop (``time.sleep`` inside ``for``/``while``):
  slow when the condition comes early, flaky when it comes late. Wait on the event itself (a pipe,
  ``Popen.wait``, a hook in the code under test).
- mypy is strict on ``experiments/``, ``train/`` and ``tasks/``: the ``pyproject.toml`` override
  for them sets every flag ``mypy --strict`` sets (``make typecheck`` runs in CI's ``make lint``).

Each rule is a function of a file's name and text, with a test that it can fail. Repeated code is
checked in ``tests/test_duplicates.py``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
LONG_REASON = re.compile(r"#\s*long:\s*\S")
# `pytest.raises(...)`, `pytest.warns(...)` as context managers; `assert_*` and `fail` as calls.
CHECKING_CONTEXTS = {"raises", "warns", "deprecated_call"}
CHECKING_CALL = re.compile(r"^(assert\w*|fail)$")

Function = ast.FunctionDef | ast.AsyncFunctionDef


def files(*folders: str) -> dict[str, str]:
    """``{path relative to the repository: text}`` of the Python files under ``folders``."""
    paths = sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))
    return {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8") for path in paths}


def _name(call: ast.expr) -> str:
    """The called name: ``f`` of ``f(...)``, ``raises`` of ``pytest.raises(...)``."""
    function = call.func if isinstance(call, ast.Call) else call
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else ""


# ---------------------------------------------------------------------------------------------
# The rules, each a function of (name, text) -> problems
# ---------------------------------------------------------------------------------------------


def file_too_long(name: str, text: str) -> list[str]:
    lines = len(text.splitlines())
    return [f"{name}: {lines} lines"] if lines > MAX_FILE_LINES else []


def functions_too_long(name: str, text: str) -> list[str]:
    """``name:line function (n lines)`` of each function over the limit without a reason."""
    lines = text.splitlines()
    found = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, Function):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
        above = lines[first - 2] if first >= 2 else ""
        if length > MAX_FUNCTION_LINES and not LONG_REASON.search(above):
            found.append(f"{name}:{node.lineno} {node.name} ({length} lines)")
    return found


def _checks_directly(function: Function) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.With | ast.AsyncWith) and any(
            _name(item.context_expr) in CHECKING_CONTEXTS for item in node.items
        ):
            return True
        if isinstance(node, ast.Call) and CHECKING_CALL.match(_name(node)):
            return True
    return False


def checking_functions(text: str, helpers: frozenset[str] = frozenset()) -> set[str]:
    """Names of the module's functions that check: directly, or by calling (to any depth) one
    that does, of this module or one of the ``helpers`` (checking functions of other modules)."""
    functions = [n for n in ast.walk(ast.parse(text)) if isinstance(n, Function)]
    checking = {f.name for f in functions if _checks_directly(f)}
    calls = {f.name: {_name(c) for c in ast.walk(f) if isinstance(c, ast.Call)} for f in functions}
    grew = True
    while grew:
        grown = {f for f, called in calls.items() if called & (checking | helpers)} - checking
        checking |= grown
        grew = bool(grown)
    return checking


def unchecked_tests(name: str, text: str, helpers: frozenset[str] = frozenset()) -> list[str]:
    """``name:line test`` of each test function that checks nothing (see
    :func:`checking_functions`)."""
    checking = checking_functions(text, helpers)
    return [
        f"{name}:{node.lineno} {node.name}"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, Function) and node.name.startswith("test")
        and node.name not in checking
    ]  # fmt: skip


def sleep_polls(name: str, text: str) -> list[str]:
    """``name:line`` of each ``sleep`` call inside a loop."""
    found = []
    for loop in ast.walk(ast.parse(text)):
        if isinstance(loop, ast.For | ast.While | ast.AsyncFor):
            for node in ast.walk(loop):
                if isinstance(node, ast.Call) and _name(node) == "sleep":
                    found.append(f"{name}:{node.lineno}")
    return sorted(set(found))


# ---------------------------------------------------------------------------------------------
# The rules over the code base
# ---------------------------------------------------------------------------------------------


def test_no_file_over_400_lines() -> None:
    found = [p for n, t in files("src", "tests", "benchmarks").items() for p in file_too_long(n, t)]
    assert found == []


def test_no_function_over_60_lines_without_a_reason() -> None:
    found = [p for n, t in files("src").items() for p in functions_too_long(n, t)]
    assert found == []


def test_every_test_checks_something() -> None:
    modules = files("tests")
    tests = {name: text for name, text in modules.items() if Path(name).name.startswith("test_")}
    # The shared helper modules (helpers.py, tiny_models.py, conftest.py, ...): e.g. torchrun()
    # asserts the exit status of the processes it starts.
    helpers = frozenset(
        function
        for name, text in modules.items()
        if name not in tests
        for function in checking_functions(text)
    )
    assert [p for name, text in tests.items() for p in unchecked_tests(name, text, helpers)] == []


# The flags `mypy --strict` turns on, as config keys (mypy's docs, "--strict"); the global ones
# (warn_unused_configs, warn_redundant_casts) are set in [tool.mypy] itself.
STRICT_FLAGS = {
    "disallow_any_generics", "disallow_subclassing_any", "disallow_untyped_calls",
    "disallow_untyped_defs", "disallow_incomplete_defs", "check_untyped_defs",
    "disallow_untyped_decorators", "warn_unused_ignores", "warn_return_any",
    "no_implicit_reexport", "strict_equality", "extra_checks",
}  # fmt: skip
STRICT_PACKAGES = {"xstilts.experiments.*", "xstilts.train.*", "xstilts.tasks.*"}


def test_mypy_is_strict_on_experiments_train_and_tasks() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["warn_unused_configs"] and config["warn_redundant_casts"]
    strict = [o for o in config["overrides"] if set(o["module"]) >= STRICT_PACKAGES]
    assert len(strict) == 1
    assert {flag for flag in STRICT_FLAGS if strict[0].get(flag) is True} == STRICT_FLAGS


def test_no_test_polls_with_sleep() -> None:
    assert [p for n, t in files("tests").items() for p in sleep_polls(n, t)] == []


# ---------------------------------------------------------------------------------------------
# Each rule can fail
# ---------------------------------------------------------------------------------------------


def test_the_size_rules_see_a_long_file_and_an_unexcused_long_function() -> None:
    assert file_too_long("big.py", "x = 1\n" * (MAX_FILE_LINES + 1)) == ["big.py: 401 lines"]
    assert file_too_long("ok.py", "x = 1\n" * MAX_FILE_LINES) == []
    body = "".join(f"    x = {i}\n" for i in range(MAX_FUNCTION_LINES))  # 61 lines with the def
    assert functions_too_long("m.py", f"def f():\n{body}") == ["m.py:1 f (61 lines)"]
    assert functions_too_long("m.py", f"# long: a table\n@decorate\ndef f():\n{body}") == []
    assert functions_too_long("m.py", f"def f():\n{body.split(chr(10), 1)[1]}") == []


def test_the_check_rule_follows_helpers_and_sees_a_test_without_a_check() -> None:
    text = """
import pytest
def helper(x):
    assert x
def indirect(x):
    helper(x)
def test_direct(): assert 1
def test_raises():
    with pytest.raises(ValueError): int("x")
def test_frame(): pd.testing.assert_frame_equal(a, b)
def test_through_helpers(): indirect(1)
def test_nothing(): print(1 + 1)
"""
    assert unchecked_tests("t.py", text) == ["t.py:12 test_nothing"]
    assert unchecked_tests("t.py", text, frozenset({"print"})) == []


def test_the_sleep_rule_sees_a_polling_loop() -> None:
    text = """
import time
time.sleep(1)
while not done():
    time.sleep(0.05)
"""
    assert sleep_polls("t.py", text) == ["t.py:5"]
