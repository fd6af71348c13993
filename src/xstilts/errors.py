"""User-facing errors.

Anything a user can cause (a bad file, a bad YAML key, an unknown task or language) raises
:class:`XstiltsError`. The CLI prints its message as one line and exits non-zero, never a traceback.
The message names *what* is wrong, *where* (file:line or YAML key path) and *what was expected*.
"""

from __future__ import annotations

import re
from pathlib import Path


class XstiltsError(Exception):
    """An error the user can fix; its message is printed as one line by the CLI."""


class DataError(XstiltsError):
    """A data file does not have the expected official format."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.line = line


class ConfigError(XstiltsError):
    """A study configuration is invalid; the message names the key path."""


def short_repr(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters: an error message never echoes a megabyte.

    Integers beyond Python's int-to-text limit (4300 digits) cannot even be repr'd; they are
    described instead of raising a second error while reporting the first.
    """
    try:
        text = repr(value)
    except ValueError:
        return f"<{type(value).__name__} too long to show>"
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


# A quoted value: the quote opens after a non-word character and closes before one, so the
# apostrophes of prose ("the study's ... don't") never pair up into a "value" that gets cut.
_LONG_QUOTED = re.compile(r"(?<!\w)(['\"])([^'\"\n]{57})[^'\"\n]{4,}\1(?!\w)")


def bounded_message(message: str, limit: int = 1000) -> str:
    """One line of bounded length: a quoted value over 60 characters is cut, newlines are
    flattened, and a message still over ``limit`` keeps its start and its end (the expectation).

    The safety net for messages built with ``{value!r}`` from user input, so that no file or
    study can make the one-line error a megabyte of echo.
    """
    text = _LONG_QUOTED.sub(lambda m: f"{m.group(1)}{m.group(2)}...{m.group(1)}", message)
    text = " ".join(text.splitlines())
    if len(text) > limit:
        text = f"{text[: limit // 2]} ... {text[-limit // 2 + 5 :]}"
    return text


def counted(number: int, noun: str) -> str:
    """``1 run``, ``2 runs``, ``0 runs``: messages and logs count things a user reads at a glance,
    and "1 runs" reads as a bug. Regular plurals only (the nouns counted here are)."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
