"""What the multiple-choice tasks share: labelled train/dev sets, releases with one file per
split, and the spec of an English intermediate task (SIQA, HellaSwag, Cosmos QA, CommonsenseQA).

Test splits of those intermediate tasks hide their labels, so they have no test split here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from xstilts.data.examples import MultipleChoiceExample
from xstilts.data.hub.source import HubSource
from xstilts.errors import DataError
from xstilts.tasks.layout import english_if_present, first_file, split_file
from xstilts.tasks.recipe import Recipe
from xstilts.tasks.spec import TaskSpec

ChoiceLoader = Callable[[Path, str, str], list[MultipleChoiceExample]]


def require_labels(
    path: Path, examples: list[MultipleChoiceExample], split: str
) -> list[MultipleChoiceExample]:
    """Train and dev sets must be labelled; say so when the data is read, not after training."""
    if split in ("train", "dev") and any(e.label is None for e in examples):
        raise DataError(path, None, f"the {split} split has examples without a gold label")
    return examples


def single_file_loader(
    task: str,
    files: dict[str, str],
    reader: Callable[[Path], list[MultipleChoiceExample]],
    folders: Sequence[str] = ("", "data/"),
) -> ChoiceLoader:
    """A loader for a release with one file per split, at the top or in one of ``folders``."""

    def load(task_dir: Path, split: str, language: str) -> list[MultipleChoiceExample]:
        name = split_file(task_dir, split, files)
        path = first_file(task_dir, [f"{f}{name}" for f in folders], f"{task} {split} file")
        return require_labels(path, reader(path), split)

    load.__doc__ = f"{task}: {', '.join(f'{s} = {n}' for s, n in files.items())}."
    return load


def english_intermediate(
    name: str,
    load: ChoiceLoader,
    description: str,
    source: str,
    recipe: Recipe,
    citation: str = "",
    hub: HubSource | None = None,
) -> TaskSpec:
    """The spec of an English multiple-choice intermediate task (accuracy, no test split)."""
    return TaskSpec(
        name=name,
        family="multiple_choice",
        languages=("en",),
        load=load,
        languages_found=english_if_present,
        metric="accuracy",
        test_split=None,
        description=description,
        recipe=recipe,
        source=source,
        citation=citation,
        hub=hub,
    )
