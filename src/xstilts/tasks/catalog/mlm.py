"""Masked-LM on multilingual plain text: the "continued multilingual MLM" baseline of Phang et al.
2020 (an intermediate task).

Phang et al. (arXiv 2005.13013) compare English intermediate training with the same training
*plus* masked-LM on multilingual text, mixed by the multi-task sampler (intermediate task
``mnli+mlm``). The text is plain: one sentence per line, UTF-8, one file (or folder of files) per
language, as jiant's ``mlm_simple`` task reads it (``jiant/tasks/lib/mlm_simple.py``: one line,
one example, truncated to the maximum length).

Layout of the task folder ``mlm/``::

    mlm/{lang}.txt           training text of one language
    mlm/{lang}/*.txt         ... or several files of one language
    mlm/dev/{lang}.txt       optional dev text (also mlm/dev/{lang}/*.txt)

- The training split is every language's lines concatenated, in a fixed order (language, then
  file path, then line), whatever language the caller asks for: masked-LM is trained on all of
  them at once, and the runner asks for "en" only.
- The dev split is per language. The runner's model selection loads ``dev`` for ``en`` only (true
  zero-shot: no target-language data is looked at), so ``mlm/dev/en.txt`` joins the English-dev
  selection and a study without it selects on the other tasks alone (``load`` returns ``[]``).
- Empty lines are skipped; bytes that are not UTF-8 are a DataError naming the file and line.
"""

from __future__ import annotations

import re
from pathlib import Path

from xstilts.data.examples import TextExample
from xstilts.errors import DataError
from xstilts.tasks.recipe import jiant_intermediate
from xstilts.tasks.spec import TaskSpec

DEV_FOLDER = "dev"
LANGUAGE_NAME = re.compile(r"[a-z]{2,3}([_-][A-Za-z0-9]+)*")


def _files_by_language(folder: Path) -> dict[str, list[Path]]:
    """``{lang}.txt`` and ``{lang}/*.txt`` under ``folder``, each language's files sorted by path.

    A language name looks like a language code (``sw``, ``pt-BR``, ``zh_Hant``); other entries,
    such as the ``dev`` or a ``translate-train`` folder or a ``notes.txt``, are not languages.
    """
    found: dict[str, list[Path]] = {}
    if not folder.is_dir():
        return found
    for entry in folder.iterdir():
        name = entry.stem if entry.is_file() else entry.name
        if name == DEV_FOLDER or not LANGUAGE_NAME.fullmatch(name):
            continue
        if entry.is_file() and entry.suffix == ".txt":
            found.setdefault(entry.stem, []).append(entry)
        elif entry.is_dir():
            files = [p for p in entry.glob("*.txt") if p.is_file() and not p.name.startswith(".")]
            if files:
                found.setdefault(entry.name, []).extend(files)
    return {
        language: sorted(files, key=lambda p: p.relative_to(folder).as_posix())
        for language, files in sorted(found.items())
    }


def read_lines(path: Path, root: Path, language: str) -> list[TextExample]:
    """Non-empty lines of one UTF-8 file; decoded line by line so an error names the exact line."""
    examples = []
    name = path.relative_to(root).as_posix()
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as error:
                raise DataError(path, number, f"not valid UTF-8 ({error.reason})") from None
            if number == 1:
                text = text.removeprefix("\ufeff")  # a byte-order mark is not text
            if text.strip():
                examples.append(TextExample(f"{name}:{number}", language, text))
    return examples


def load_mlm(task_dir: Path, split: str, language: str) -> list[TextExample]:
    """``train``: all languages' lines (``language`` is ignored); ``dev``: that language's lines."""
    if split == "train":
        files = _files_by_language(task_dir)
        if not files:
            raise DataError(
                task_dir, None, "no training text: expected {lang}.txt or {lang}/*.txt files"
            )
        return [
            example
            for lang, paths in files.items()
            for path in paths
            for example in read_lines(path, task_dir, lang)
        ]
    if split == DEV_FOLDER:
        paths = _files_by_language(task_dir / DEV_FOLDER).get(language, [])
        return [example for path in paths for example in read_lines(path, task_dir, language)]
    raise DataError(task_dir, None, f"masked-LM text has no {split!r} split (train, dev)")


def mlm_languages_found(task_dir: Path, split: str) -> list[str]:
    """Languages with text files for ``split`` (``train``: the task folder; ``dev``: ``dev/``)."""
    folder = task_dir / DEV_FOLDER if split == DEV_FOLDER else task_dir
    return list(_files_by_language(folder))


SPEC = TaskSpec(
    name="mlm",
    family="masked_lm",
    languages=(),  # whatever text is found; an intermediate task only, never a target
    load=load_mlm,
    languages_found=mlm_languages_found,
    metric="accuracy",  # masked-token accuracy x100 on the fixed-seed masked dev text
    test_split=None,
    description="masked-LM on multilingual plain text (continued MLM, Phang et al. 2020)",
    defaults={"mask_probability": 0.15},  # BERT's masking rate (Devlin et al. 2019)
    recipe=jiant_intermediate(),
    citation=(
        "Phang et al. 2020. English Intermediate-Task Training Improves Zero-Shot "
        "Cross-Lingual Transfer Too. AACL"
    ),
    source="any sentence-per-line UTF-8 text per language (e.g. CC-100 or Wikipedia samples)",
)
