"""What the SQuAD-format tasks share (``squad``, ``squad_v2``, ``xquad``, ``mlqa``, ``tydiqa``).

Every file is SQuAD-layout json read by :func:`xstilts.data.squad_format.read_squad`. XQuAD and
MLQA have no English training data of their own: XTREME trains them on SQuAD v1.1 train (and
XQuAD reports SQuAD dev, ``scripts/train_qa.sh``), so their task folders hold **a copy or symlink
of SQuAD's ``train-v1.1.json`` (and ``dev-v1.1.json``)**. The files live *in* the task folder
(not read from a sibling ``squad/``) so that the task's data fingerprint covers everything it
trains on; a symlink is hashed by content, so linking costs no disk. XTREME's
``download_data.sh`` puts SQuAD in its own ``squad/`` folder beside ``xquad/`` and ``mlqa/``; the
message for a missing copy gives the ``ln -s`` that links it in.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import SpanQAExample
from xstilts.data.squad_format import read_squad
from xstilts.errors import DataError
from xstilts.tasks.recipe import jiant_intermediate
from xstilts.tasks.spec import LanguagesFound, Loader

SQUAD_V1_FILES = {"train": "train-v1.1.json", "dev": "dev-v1.1.json"}
SQUAD_V2_FILES = {"train": "train-v2.0.json", "dev": "dev-v2.0.json"}

# The span_qa family's own knobs (xtreme scripts/train_qa.sh and run_squad.py defaults); the
# training recipes are tasks/recipe.py's xtreme_qa (targets) and jiant_intermediate (SQuAD).
QA_FAMILY_DEFAULTS = {"max_query_length": 64, "n_best": 20, "max_answer_length": 30}
QA_INTERMEDIATE_RECIPE = jiant_intermediate(max_length=384, doc_stride=128)


def english_only(task_dir: Path, task: str, split: str, language: str) -> None:
    """A split with English data only, asked for another language, is a user error."""
    if language != "en":
        raise DataError(task_dir, None, f"{task} has only English {split} data, not {language!r}")


def split_file(task_dir: Path, files: dict[str, str], task: str, split: str) -> Path:
    """The path of ``split`` in a folder with one json file per split."""
    if split not in files:
        raise DataError(task_dir, None, f"{task} has no {split!r} split; expected {sorted(files)}")
    return task_dir / files[split]


def squad_copy(task_dir: Path, task: str, split: str) -> Path:
    """SQuAD v1.1 train/dev kept inside another task's folder (see the module docstring)."""
    path = split_file(task_dir, SQUAD_V1_FILES, task, split)
    if not path.is_file():
        sibling = task_dir.parent / "squad" / path.name
        how = (
            f"ln -s ../squad/{path.name} {task_dir}/"
            if sibling.is_file()
            else f"xstilts fetch {task} --out {task_dir.parent} (writes it), or copy SQuAD's"
        )
        raise DataError(
            path, None,
            f"file not found; {task} trains on SQuAD v1.1 and reads it from its own folder "
            f"(so the run's data fingerprint covers it): {how}",
        )  # fmt: skip
    return path


def english_squad_loader(task: str, files: dict[str, str]) -> Loader:
    """The loader of an English SQuAD release with one file per split (SQuAD v1.1 and 2.0)."""

    def load(task_dir: Path, split: str, language: str) -> list[SpanQAExample]:
        english_only(task_dir, task, split, language)
        return read_squad(split_file(task_dir, files, task, split))

    load.__doc__ = f"{task}: {', '.join(f'{s} = {n}' for s, n in files.items())}."
    return load


def english_files(files: dict[str, str]) -> LanguagesFound:
    """English wherever the split's file is present (the SQuAD tasks)."""

    def found(task_dir: Path, split: str) -> list[str]:
        return ["en"] if split in files and (task_dir / files[split]).is_file() else []

    return found
