"""The import layering of ``docs/architecture.md`` holds: no package imports a higher line or a
sibling on its own line, counting imports inside functions (a lazy import is still an arrow);
and no modules import each other in a circle, inside a package either (``runner`` hands
``executors`` functions; ``executors`` never imports ``runner``).

The layers are read from the document's ``layers`` block, so the written contract and the
checked one are the same text.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "xstilts"


def layers(block_name: str = "layers") -> dict[str, int]:
    """``{name: line}`` of a block of ``docs/architecture.md`` (``layers``: the packages;
    ``experiments-layers``: the modules of ``experiments``)."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = re.search(rf"```{block_name}\n(.*?)```", text, re.S)
    assert block, f"docs/architecture.md has no ```{block_name} block"
    table: dict[str, int] = {}
    for line in block.group(1).splitlines():
        level, *names = line.split()
        table.update(dict.fromkeys(names, int(level)))
    return table


def imports_of(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every absolute ``xstilts.*`` import in the file; ``from package
    import module`` counts as an import of the module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                is_module = module_path(submodule) is not None
                found.append((node.lineno, submodule if is_module else node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return [(line, name) for line, name in found if name.startswith("xstilts.")]


def module_path(module: str) -> Path | None:
    """The file of ``xstilts.a.b`` (a module or a package's ``__init__``), if there is one."""
    base = PACKAGE.joinpath(*module.split(".")[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the ``xstilts`` modules it imports (anywhere in the file)."""
    return {
        module_name(path): {name for _, name in imports_of(path) if module_path(name)}
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle through each module that is on one (depth-first search, colours)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for other in sorted(graph.get(module, ())):
            if state.get(other) == 1:
                found.append([*path[path.index(other) :], other])
            elif other not in state:
                visit(other)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return found


def violations(table: dict[str, int]) -> list[str]:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative == Path("__init__.py"):
            continue
        own = relative.parts[0].removesuffix(".py")
        if own not in table:
            problems.append(f"{relative}: package {own!r} has no layer in docs/architecture.md")
            continue
        for line, module in imports_of(path):
            other = module.split(".")[1]
            if other == own:
                continue
            if other not in table:
                problems.append(f"{relative}:{line}: imports {module}, which has no layer")
            elif table[other] >= table[own]:
                problems.append(
                    f"{relative}:{line}: {own} (layer {table[own]}) imports {module} "
                    f"(layer {table[other]})"
                )
    return problems


def module_violations(package: str, table: dict[str, int]) -> list[str]:
    """The same rule between the modules of one package."""
    problems = []
    for path in sorted((PACKAGE / package).glob("*.py")):
        own, where = path.stem, f"{package}/{path.name}"
        if own == "__init__":
            continue
        if own not in table:
            problems.append(f"{where}: module {own!r} has no line in the block")
            continue
        for line, module in imports_of(path):
            parts = module.split(".")
            if parts[1] != package or len(parts) < 3:
                continue
            if parts[2] not in table:
                problems.append(f"{where}:{line}: imports {module}, which has no line")
            elif table[parts[2]] >= table[own]:
                problems.append(
                    f"{where}:{line}: {own} (line {table[own]}) imports {module} "
                    f"(line {table[parts[2]]})"
                )
    return problems


def test_every_import_goes_down_a_layer() -> None:
    assert violations(layers()) == []


def test_inside_experiments_every_import_goes_down_a_line() -> None:
    assert module_violations("experiments", layers("experiments-layers")) == []


def test_the_module_check_sees_an_upward_import() -> None:
    """With the executors below the plan, their import of ``plan.Unit`` goes up."""
    table = {**layers("experiments-layers"), "executors": 3}
    problems = module_violations("experiments", table)
    assert any(p.startswith("experiments/executors.py:") and "plan" in p for p in problems)


def test_the_check_sees_an_upward_import() -> None:
    """The contract can fail: with ``tasks`` placed above ``evaluate``, the scorer's import of
    the task registry is an upward arrow and is reported with its file and line."""
    table = {**layers(), "tasks": 5}
    problems = violations(table)
    assert any(
        p.startswith("evaluate/score.py:") and "imports xstilts.tasks" in p for p in problems
    )


def test_every_package_has_a_layer() -> None:
    table = layers()
    packages = {p.name.removesuffix(".py") for p in PACKAGE.iterdir()}
    packages -= {"__init__", "__pycache__"}
    assert packages <= set(table), sorted(packages - set(table))


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert cycles(import_graph()) == []


def test_the_check_sees_a_circle() -> None:
    """The contract can fail: an import of the runner from the executors closes a circle."""
    graph = import_graph()
    assert "xstilts.experiments.executors" in graph["xstilts.experiments.runner"]
    graph["xstilts.experiments.executors"].add("xstilts.experiments.runner")
    found = cycles(graph)
    assert [sorted(set(circle)) for circle in found] == [
        ["xstilts.experiments.executors", "xstilts.experiments.runner"]
    ]
