"""No block of code repeats in ``src/`` (issue #17 item 5), checked on every test run.

The rule follows what a duplicate finder reports as an *identical* run: six or more consecutive
lines that stand again somewhere else, after passing over what carries no logic (blank lines,
comments, import lines, lines of lone punctuation, function signatures) and folding white space.
Such a run is logic written twice, which drifts; it belongs in one function both places call.

It does not catch runs that are alike only in shape (the same statements with other names or
values): the declarative task specs in ``tasks/catalog/`` are alike in that way by design (one
file per task). ``docs/architecture.md`` (Checks) names the tool that also reports those.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIN_LINES = 6
LONE_PUNCTUATION = re.compile(r"[()\[\]{},:;.]*")
IMPORT = re.compile(r"(import|from)\s")

Place = tuple[str, int]  # (file, 1-based line of the run's first counted line)


def signature_lines(text: str) -> set[int]:
    """Line numbers of function signatures (``def`` to the colon, decorators included): an entry
    point that takes the same parameters as the function it delegates to repeats its signature
    and nothing else (pylint's ``ignore-signatures``, on by default, passes over them too)."""
    lines: set[int] = set()
    try:
        tree = ast.parse(text)
    except SyntaxError:  # a fragment (the rule's own tests): no signatures to pass over
        return lines
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            lines.update(range(first, node.body[0].lineno))
    return lines


def counted_lines(text: str) -> list[tuple[int, str]]:
    """``(line number, folded text)`` of each line that carries code."""
    kept = []
    signatures = signature_lines(text)
    for number, line in enumerate(text.splitlines(), start=1):
        folded = " ".join(line.split())
        if not folded or folded.startswith("#") or IMPORT.match(folded) or number in signatures:
            continue
        if LONE_PUNCTUATION.fullmatch(folded):
            continue
        kept.append((number, folded))
    return kept


def repeated_runs(texts: dict[str, str], min_lines: int = MIN_LINES) -> list[tuple[Place, Place]]:
    """Pairs of places where the same ``min_lines`` (or more) counted lines stand.

    A run longer than ``min_lines`` is reported once, at its first line; two places in one file
    count when they do not overlap.
    """
    # window text -> places (file, index of its first counted line, line numbers of the file)
    seen: dict[tuple[str, ...], list[tuple[str, int]]] = defaultdict(list)
    numbers: dict[str, list[int]] = {}
    for name, text in sorted(texts.items()):
        lines = counted_lines(text)
        numbers[name] = [number for number, _ in lines]
        for start in range(len(lines) - min_lines + 1):
            places = seen[tuple(folded for _, folded in lines[start : start + min_lines])]
            if not (places and places[-1][0] == name and start < places[-1][1] + min_lines):
                places.append((name, start))
    pairs = {
        (first, other) for places in seen.values() for first in places[:1] for other in places[1:]
    }
    starts = [
        (a, b)
        for a, b in sorted(pairs)
        if ((a[0], a[1] - 1), (b[0], b[1] - 1)) not in pairs  # not the continuation of a run
    ]
    return [((a[0], numbers[a[0]][a[1]]), (b[0], numbers[b[0]][b[1]])) for a, b in starts]


def test_no_block_of_code_repeats_in_src() -> None:
    texts = {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted((ROOT / "src").rglob("*.py"))
    }
    assert repeated_runs(texts) == []


def test_the_rule_sees_a_repeated_block_and_ignores_what_carries_no_logic() -> None:
    block = "".join(f"    total = total + {i}  # step\n" for i in range(MIN_LINES))
    one = f"import os\n\ndef f(total):\n{block}    return total\n"
    two = f"from x import y\n# other\ndef g(total):\n\n{block}    return -total\n"
    assert repeated_runs({"a.py": one, "b.py": two}) == [(("a.py", 4), ("b.py", 5))]
    shorter = "".join(f"    total = total + {i}\n" for i in range(MIN_LINES - 1))
    assert repeated_runs({"a.py": f"def f(total):\n{shorter}", "b.py": shorter}) == []
    # comments, imports, blank lines and lone brackets alone never make a repeated block
    filler = "import os\n# note\n\n)\n],\n}\n" * 3
    assert repeated_runs({"a.py": filler, "b.py": filler}) == []
    # nor does a signature that a delegating entry point repeats
    signature = "def f(\n" + "".join(f"    a{i}: int = {i},\n" for i in range(8)) + ") -> int:\n"
    one, two = f"{signature}    return a0\n", f"{signature}    return g(a0, a1)\n"
    assert repeated_runs({"a.py": one, "b.py": two}) == []
    # the same block twice in one file counts; a long run is reported once
    assert repeated_runs({"a.py": f"{block}x = 1\n{block}"}) == [(("a.py", 1), ("a.py", 8))]
    longer = block + "".join(f"    total = total * {i}\n" for i in range(4))
    assert repeated_runs({"a.py": longer, "b.py": f"\n\n{longer}"}) == [(("a.py", 1), ("b.py", 3))]
