"""Lists of feature dataclasses as plain arrays: a cache format that cannot run code.

The tokenized-feature cache used to pickle its values, and unpickling a file from elsewhere runs
whatever it names. Features are frozen dataclasses of ints, floats, strings, tuples of them and
NumPy arrays, so a list of them splits into columns: one flat array per field (ragged fields as
values + lengths), described by a small JSON spec. Decoding builds only those value types; the
dataclass is looked up among already-imported modules of :data:`FEATURE_PACKAGES` (never imported
by name from a file), so the worst a crafted file can do is fail to decode.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

Arrays = dict[str, np.ndarray]
# Where feature dataclasses live; a file may name no other class.
FEATURE_PACKAGES = ("xstilts.data.", "xstilts.families.")


def encode(value: Any) -> tuple[dict[str, Any], Arrays]:
    """``value`` as (JSON spec, arrays); ``TypeError`` for what the format cannot hold."""
    arrays: Arrays = {}
    return _encode_column([value], "v", arrays), arrays


def decode(spec: dict[str, Any], arrays: Arrays) -> Any:
    """The value :func:`encode` described (``ValueError`` on any inconsistency)."""
    try:
        (value,) = _decode_column(spec, "v", arrays, 1)
    except (KeyError, TypeError, IndexError, AttributeError, RecursionError) as error:
        raise ValueError(f"inconsistent feature file ({type(error).__name__}: {error})") from None
    return value


def digest(spec_text: str, arrays: Arrays) -> str:
    """sha256 over the spec and every array (name, dtype, shape, bytes) in name order."""
    hasher = hashlib.sha256(spec_text.encode("utf-8"))
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        hasher.update(f"{name}|{array.dtype.str}|{array.shape}".encode())
        hasher.update(array.data.cast("B"))
    return hasher.hexdigest()


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _encode_column(values: Sequence[Any], name: str, arrays: Arrays) -> dict[str, Any]:
    if any(v is None for v in values):
        arrays[f"{name}.present"] = np.array([v is not None for v in values], dtype=np.bool_)
        inner = _encode_column([v for v in values if v is not None], f"{name}.some", arrays)
        return {"kind": "optional", "inner": inner}
    kinds = {_kind(v) for v in values} or {"int"}
    if len(kinds) != 1:
        raise TypeError(f"field {name} mixes {sorted(kinds)}")
    kind = kinds.pop()
    if kind in ("int", "bool", "float"):
        dtype = {"int": np.int64, "bool": np.bool_, "float": np.float64}[kind]
        arrays[name] = np.array(values, dtype=dtype)
        return {"kind": kind}
    if kind == "str":
        return {"kind": "str", "values": list(values)}
    if kind in ("tuple", "list"):
        arrays[f"{name}.len"] = np.array([len(v) for v in values], dtype=np.int64)
        items = [item for v in values for item in v]
        return {"kind": kind, "inner": _encode_column(items, f"{name}.item", arrays)}
    if kind == "ndarray":
        return _encode_arrays(values, name, arrays)
    return _encode_dataclasses(values, name, arrays)


def _kind(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if _is_int(value):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    for kind, types in (("str", str), ("tuple", tuple), ("list", list), ("ndarray", np.ndarray)):
        if isinstance(value, types):
            return kind
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        return f"dataclass:{cls.__module__}:{cls.__qualname__}"
    raise TypeError(f"cannot store a {type(value).__name__}")


def _encode_arrays(values: Sequence[np.ndarray], name: str, arrays: Arrays) -> dict[str, Any]:
    dtypes = {v.dtype.str for v in values}
    tails = {v.shape[1:] for v in values}
    if len(dtypes) > 1 or len(tails) > 1 or any(v.ndim == 0 for v in values):
        raise TypeError(f"field {name}: arrays of differing dtype or trailing shape")
    if dtypes and np.dtype(dtypes.pop()).kind not in "biuf":
        raise TypeError(f"field {name}: only numeric arrays can be stored")
    arrays[f"{name}.len"] = np.array([v.shape[0] for v in values], dtype=np.int64)
    arrays[name] = np.concatenate(values) if values else np.zeros(0, dtype=np.int64)
    return {"kind": "ndarray", "tail": list(next(iter(tails), ()))}


def _encode_dataclasses(values: Sequence[Any], name: str, arrays: Arrays) -> dict[str, Any]:
    cls = type(values[0])
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    fields = {
        field: _encode_column([getattr(v, field) for v in values], f"{name}.{field}", arrays)
        for field in names
    }
    return {"kind": "dataclass", "module": cls.__module__, "qualname": cls.__qualname__,
            "fields": fields}  # fmt: skip


def _lengths(name: str, arrays: Arrays, count: int) -> list[int]:
    lengths = arrays[f"{name}.len"]
    if lengths.shape != (count,) or (count and int(lengths.min()) < 0):
        raise ValueError(f"{name}: bad lengths")
    return [int(n) for n in lengths.tolist()]


def _split(items: list[Any], lengths: list[int]) -> list[list[Any]]:
    out, start = [], 0
    for length in lengths:
        out.append(items[start : start + length])
        start += length
    return out


def _decode_column(spec: dict[str, Any], name: str, arrays: Arrays, count: int) -> list[Any]:
    kind = spec["kind"]
    if kind == "optional":
        present = arrays[f"{name}.present"]
        if present.shape != (count,) or present.dtype != np.bool_:
            raise ValueError(f"{name}: bad presence mask")
        some = iter(_decode_column(spec["inner"], f"{name}.some", arrays, int(present.sum())))
        return [next(some) if flag else None for flag in present.tolist()]
    if kind in ("int", "bool", "float"):
        column = arrays[name]
        expected = {"int": np.int64, "bool": np.bool_, "float": np.float64}[kind]
        if column.shape != (count,) or column.dtype != expected:
            raise ValueError(f"{name}: expected {count} {kind} values")
        return column.tolist()
    if kind == "str":
        values = spec["values"]
        if len(values) != count or not all(isinstance(v, str) for v in values):
            raise ValueError(f"{name}: expected {count} strings")
        return list(values)
    if kind in ("tuple", "list"):
        lengths = _lengths(name, arrays, count)
        items = _decode_column(spec["inner"], f"{name}.item", arrays, sum(lengths))
        wrap = tuple if kind == "tuple" else list
        return [wrap(part) for part in _split(items, lengths)]
    if kind == "ndarray":
        lengths, column = _lengths(name, arrays, count), arrays[name]
        if column.shape[1:] != tuple(spec["tail"]) or column.shape[0] != sum(lengths):
            raise ValueError(f"{name}: array shape does not match its lengths")
        bounds = np.cumsum([0, *lengths])
        return [column[bounds[i] : bounds[i + 1]].copy() for i in range(count)]
    if kind == "dataclass":
        return _decode_dataclasses(spec, name, arrays, count)
    raise ValueError(f"{name}: unknown kind {kind!r}")


def _decode_dataclasses(spec: dict[str, Any], name: str, arrays: Arrays, count: int) -> list[Any]:
    module_name, qualname = str(spec["module"]), str(spec["qualname"])
    trusted = module_name.startswith(FEATURE_PACKAGES)
    module = sys.modules.get(module_name) if trusted else None
    cls: Any = module
    for part in qualname.split(".") if module is not None else ():
        cls = getattr(cls, part, None)
    if cls is None or not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise ValueError(f"{name}: {module_name}.{qualname} is not a loaded feature dataclass")
    expected = [f.name for f in dataclasses.fields(cls) if f.init]
    if sorted(spec["fields"]) != sorted(expected):
        raise ValueError(f"{name}: fields differ from {qualname}'s")
    columns = {
        field: _decode_column(spec["fields"][field], f"{name}.{field}", arrays, count)
        for field in expected
    }
    return [cls(**{field: columns[field][i] for field in expected}) for i in range(count)]


__all__ = ["decode", "digest", "encode"]
