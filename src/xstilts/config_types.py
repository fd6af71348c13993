"""Typed conversion of YAML values into the study's dataclasses, with the key path in every error.

A value is checked against the field's annotation (``int``, ``float``, ``str``, ``bool``, lists,
dicts, ``X | None`` and nested dataclasses); a YAML ``true`` is not an integer and ``1`` is not a
boolean, so a mistyped value fails here naming its key instead of training with it. A built
dataclass remembers the keys the YAML set (``_explicit_keys``, read by ``config.explicit_keys``).
Needs only ``errors``, so it sits beside ``config_yaml`` below every package.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from typing import Any

from xstilts.errors import ConfigError, short_repr


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def convert_value(value: Any, tp: Any, path: str) -> Any:
    """Check/convert one YAML value against a dataclass field type, naming ``path`` on error."""
    if tp is Any:
        return value
    origin = typing.get_origin(tp)
    if origin is dict:
        key_tp, value_tp = typing.get_args(tp)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a mapping, got {value!r}")
        return {
            convert_value(k, key_tp, path): convert_value(v, value_tp, f"{path}.{k}")
            for k, v in value.items()
        }
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return convert_value(value, inner[0], path)
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if not isinstance(value, list):
            if isinstance(value, (str, int, float)):
                value = [value]
            else:
                raise ConfigError(f"{path}: expected a list, got {short_repr(value)}")
        return [convert_value(v, item_tp, f"{path}[{i}]") for i, v in enumerate(value)]
    if dataclasses.is_dataclass(tp):
        return build_dataclass(tp, value, path)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: expected true or false, got {short_repr(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: expected an integer, got {short_repr(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{path}: expected a number, got {short_repr(value)}")
        if isinstance(value, int) and abs(value) > 2**1023:
            raise ConfigError(f"{path}: number {short_repr(value)} is out of range")
        return float(value)
    if tp is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(f"{path}: expected a string, got {short_repr(value)}")
        return str(value)
    raise ConfigError(f"{path}: unsupported type {_type_name(tp)}")


def build_dataclass(cls: Any, data: Any, path: str) -> Any:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path or 'top level'}: expected a mapping, got {short_repr(data)}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        key_path = f"{path}.{key}" if path else str(key)
        key_path = key_path if len(key_path) <= 80 else f"{key_path[:77]}..."
        if key not in names:
            close = difflib.get_close_matches(str(key)[:80], sorted(names), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(
                f"{key_path}: unknown key; {hint}expected one of {', '.join(sorted(names))}"
            )
        kwargs[key] = convert_value(value, hints[key], key_path)
    built = cls(**kwargs)
    object.__setattr__(built, "_explicit_keys", frozenset(kwargs))
    return built
