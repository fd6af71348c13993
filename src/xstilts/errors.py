"""User-facing errors.

Anything a user can cause (a bad file, a bad YAML key, an unknown task or language) raises
:class:`XstiltsError`. The CLI prints its message as one line and exits non-zero, never a traceback.
The message names *what* is wrong, *where* (file:line or YAML key path) and *what was expected*.
"""

from __future__ import annotations

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
