"""The task registry: ``TASKS[name] -> TaskSpec``, read from the modules of ``tasks/catalog/``.

One rule instead of a hand-kept list: every module in the catalog folder is one task and
defines ``SPEC`` (see ``catalog/__init__.py``), so adding a task is adding one file, and nothing
else in the package spells a task's name. No import-time decorators and no entry points: the
registry imports the folder's modules itself, in sorted order, and checks each one's ``SPEC``;
a reader still sees every task of the study as one folder listing (and as ``docs/tasks.md``).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from xstilts.tasks import catalog
from xstilts.tasks.spec import FAMILIES, TaskSpec


def task_of(module: ModuleType) -> TaskSpec:
    """The ``SPEC`` of one catalog module; a module without one, or whose spec carries another
    name than the file, is a packaging error (raised, not skipped, so no task goes missing)."""
    name = module.__name__.rpartition(".")[2]
    spec = getattr(module, "SPEC", None)
    if not isinstance(spec, TaskSpec) or spec.name != name:
        raise TypeError(f"{module.__file__}: a task module defines SPEC = TaskSpec(name={name!r})")
    return spec


def discover(package: ModuleType = catalog) -> dict[str, TaskSpec]:
    """Every task of ``package``'s folder(s), ordered by family (``FAMILIES``), then by name.

    The order is the docs table's and ``xstilts tasks``'s: tasks of one family side by side.
    """
    names = sorted(info.name for info in pkgutil.iter_modules(package.__path__))
    specs = [task_of(importlib.import_module(f"{package.__name__}.{name}")) for name in names]
    specs.sort(key=lambda spec: (FAMILIES.index(spec.family), spec.name))
    return {spec.name: spec for spec in specs}


TASKS: dict[str, TaskSpec] = discover()


# Variants of an intermediate task, written ``task@variant`` in a study:
# - translate-train: the English training set plus machine-translated copies supplied by the user
#   in the same official format under ``<task>/translate-train/<lang>/`` (Phang et al.'s baseline).
# - shuffled / mlm-control: control intermediates (labels permuted; masked-LM on the task's own
#   English inputs for the same steps), see experiments/controls.py.
TASK_VARIANTS = ("translate-train", "shuffled", "mlm-control")


def parse_task_name(name: str) -> tuple[str, str | None]:
    """``"mnli@translate-train"`` -> ``("mnli", "translate-train")``; ``"mnli"`` -> no variant."""
    base, _, variant = name.partition("@")
    return base, (variant or None)


def get_task(name: str) -> TaskSpec:
    """Look a task up by name; an unknown name is a one-line user error listing the known ones."""
    from xstilts.errors import XstiltsError

    try:
        return TASKS[name]
    except KeyError:
        raise XstiltsError(f"unknown task {name!r}; known: {', '.join(sorted(TASKS))}") from None
