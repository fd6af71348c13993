"""Optimizer, scheduler and RNG state as JSON + safetensors: loading it can never run code.

``torch.save`` pickles, and unpickling a file received from someone else runs whatever it names
(torch's own docs warn: "never load data that could have come from an untrusted source" —
https://pytorch.org/docs/stable/generated/torch.load.html). A state dict is a tree of dicts,
lists, tuples, numbers, strings and tensors, so it splits exactly into a JSON skeleton (each
tensor replaced by a reference) and a flat ``{reference: tensor}`` map for safetensors. Decoding
builds only those container types and tensors; anything else in the skeleton is rejected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

_TENSOR, _TUPLE, _DICT = "__tensor__", "__tuple__", "__dict__"


def flatten(tree: Any) -> tuple[Any, dict[str, torch.Tensor]]:
    """Split ``tree`` into a JSON-ready skeleton and its tensors (copied to the CPU)."""
    tensors: dict[str, torch.Tensor] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, torch.Tensor):
            key = f"t{len(tensors)}"
            tensors[key] = node.detach().to("cpu", copy=True).contiguous()
            return {_TENSOR: key}
        if isinstance(node, dict):  # keys may be ints (optimizer state is keyed by index)
            return {_DICT: [[walk(key), walk(value)] for key, value in node.items()]}
        if isinstance(node, tuple):
            return {_TUPLE: [walk(item) for item in node]}
        if isinstance(node, list):
            return [walk(item) for item in node]
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if hasattr(node, "item") and callable(node.item):  # a numpy scalar
            return walk(node.item())
        raise TypeError(f"cannot store a {type(node).__name__} in a training checkpoint")

    return walk(tree), tensors


def unflatten(skeleton: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Rebuild the tree; raise ``ValueError`` on any node :func:`flatten` does not write."""

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, dict):
            if set(node) == {_TENSOR} and isinstance(node[_TENSOR], str):
                if node[_TENSOR] not in tensors:
                    raise ValueError(f"tensor {node[_TENSOR]!r} is missing")
                return tensors[node[_TENSOR]]
            if set(node) == {_TUPLE} and isinstance(node[_TUPLE], list):
                return tuple(walk(item) for item in node[_TUPLE])
            if set(node) == {_DICT} and isinstance(node[_DICT], list):
                if not all(isinstance(pair, list) and len(pair) == 2 for pair in node[_DICT]):
                    raise ValueError("a dict entry is not a [key, value] pair")
                return {_key(walk(key)): walk(value) for key, value in node[_DICT]}
            raise ValueError(f"unexpected object with keys {sorted(node)[:3]}")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        raise ValueError(f"unexpected {type(node).__name__}")

    return walk(skeleton)


def _key(key: Any) -> Any:
    if isinstance(key, (str, int, float, bool, tuple)) or key is None:
        return key
    raise ValueError(f"unhashable dict key of type {type(key).__name__}")


def save_tree(tree: Any, json_path: Path, tensors_path: Path) -> None:
    """Write ``tree`` as a JSON skeleton and a safetensors file."""
    skeleton, tensors = flatten(tree)
    save_file(tensors, str(tensors_path))
    json_path.write_text(json.dumps(skeleton, allow_nan=True), encoding="utf-8")


def load_tree(json_path: Path, tensors_path: Path) -> Any:
    """Read what :func:`save_tree` wrote (``ValueError``/``OSError`` on damaged files)."""
    skeleton = json.loads(json_path.read_text(encoding="utf-8"))
    return unflatten(skeleton, load_file(str(tensors_path)))


__all__ = ["flatten", "load_tree", "save_tree", "unflatten"]
