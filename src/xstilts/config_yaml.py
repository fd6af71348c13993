"""Reading a study YAML strictly: every way the file itself can be wrong is one ConfigError line.

PyYAML's ``safe_load`` lets a repeated key silently win (``seeds`` given twice keeps the last one:
the study runs something other than what its reader sees), follows any number of aliases (a
"billion laughs" file of a few hundred bytes expands to gigabytes once walked), and raises
``UnicodeDecodeError`` for a non-UTF-8 file. :func:`read_study_yaml` closes each of these: a
:class:`StrictLoader` rejects duplicate keys with their line, counts aliases and nodes, and the
file is size-checked and decoded before parsing. YAML 1.1 merge keys (``<<: *base``) stay allowed,
since their purpose is exactly to override a key of the merged mapping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node

from xstilts.errors import ConfigError
from xstilts.errors import short_repr as _short

MAX_YAML_BYTES = 1 << 20  # a study file is a few KiB; a MiB is certainly not a study
MAX_ALIASES = 200  # anchors shared between intermediate:/target: blocks stay well below
MAX_NODES = 100_000


class StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate mapping keys and bounds aliases and nodes."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_count = 0
        self.node_count = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise ConfigError(
                    f"line {mark.line + 1}: more than {MAX_ALIASES} aliases (*name); "
                    "write the values out instead"
                )
        self.node_count += 1
        if self.node_count > MAX_NODES:
            raise ConfigError(f"more than {MAX_NODES} YAML nodes; a study file is much smaller")
        return super().compose_node(parent, index)  # type: ignore[no-any-return]

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
            try:
                first = seen.get(key)
            except TypeError:
                continue  # unhashable: the base class reports it with its own message
            line = key_node.start_mark.line + 1
            if first is not None:
                raise ConfigError(
                    f"line {line}: key {_short(key)} repeats the key of line {first}; "
                    "each key may appear once"
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


def read_study_yaml(path: Path) -> Any:
    """Parse a study file; size, encoding, syntax, duplicates and aliases are checked."""
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise ConfigError(f"{path}: {size} bytes; a study file is at most {MAX_YAML_BYTES}")
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read ({error.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not valid UTF-8 ({error.reason})") from None
    loader: StrictLoader | None = None
    try:
        loader = StrictLoader(text)  # the reader checks characters already here
        return loader.get_single_data()
    except ConfigError as error:
        message = str(error)
        if message.startswith("line "):
            number, _, rest = message[len("line ") :].partition(": ")
            raise ConfigError(f"{path}:{number}: {rest}") from None
        raise ConfigError(f"{path}: {message}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", None) or getattr(error, "reason", None)
        if isinstance(error, yaml.reader.ReaderError):
            where = f"{path}:{text[: error.position].count(chr(10)) + 1}"
            problem = f"character U+{error.character:04X} is not allowed in YAML"
        raise ConfigError(f"{where}: {_clip(str(problem or 'invalid YAML'))}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to be a study file") from None
    except ValueError as error:  # e.g. an integer beyond Python's 4300-digit conversion limit
        reason = str(error).split(";")[0].split(":")[0]
        raise ConfigError(f"{path}: a value cannot be read ({reason})") from None
    finally:
        if loader is not None:
            loader.dispose()


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."
