"""A task's Hub source: where its rows are and how they become the official files.

The facts are the task's (its spec holds a :class:`HubSource`, see ``xstilts.tasks``); this
package holds only what every Hub task shares (reading rows, writing files, the repository's
splits). ``data`` sits below ``tasks`` in the layering, so it receives the source as an argument
and never looks a task up by name.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from xstilts.data.hub.configs import DEFAULT_REPO, hub_splits
from xstilts.data.hub.rows import Conversion, Row
from xstilts.errors import XstiltsError

Writer = Callable[[Conversion, list[Row]], list[Path]]

# The Hub's parquet conversion of a dataset (also of a script-only one): the branch, and its
# file names per config and split (single-shard splits).
CONVERTED_BRANCH = "refs/convert/parquet"
CONVERTED_FILE_PATTERN = "{config}/{split}/0000.parquet"


@dataclass(frozen=True)
class HubSource:
    """One task on the Hub.

    ``config`` is the one config holding every language (rows are then filtered by language,
    e.g. ``XNLI``), or a pattern whose ``{language}`` is the ISO 639-1 code (``PAN-X.{language}``),
    or a map from the code to the config (``udpos.German``). ``families`` are the config
    families (the part before the first dot) whose rows ``write`` accepts: a config of another
    task is a user error, not a file in the wrong place.
    """

    task: str  # the folder written under the data directory: the task's name
    languages: tuple[str, ...]  # ISO 639-1 codes the Hub holds, in the Hub's order
    config: str | Mapping[str, str]
    families: tuple[str, ...]
    write: Writer
    description: str  # one line for ``xstilts fetch --list``: configs, splits and files
    repo: str = DEFAULT_REPO
    # A Hub commit to pin; None reads the repository's main branch. (No commit of google/xtreme
    # is pinned yet: one must be read off the Hub, and ``--revision`` pins one per fetch.)
    revision: str | None = None
    english_trained: bool = False  # trains or selects on English: English is always fetched
    squad_splits: tuple[str, ...] = ()  # SQuAD v1.1 splits fetched first (trains on SQuAD)
    note: str = ""  # where the Hub differs from the release; ``{task_dir}`` is filled in
    note_done_when: str = ""  # a file that, present in the task folder, makes the note moot
    gold_only: bool = False  # not the benchmark's data: fetched only when explicitly allowed
    # The splits of every config, for a repo other than google/xtreme (whose splits vary by
    # config: :func:`hub_splits`); empty = ask :func:`hub_splits`.
    splits: tuple[str, ...] = ()
    # Read each config/split from this parquet file of the repo (``{config}``, ``{split}`` filled
    # in) rather than through the repo's dataset card: for a repo that still ships a loading
    # script beside its parquet files, or a Hub branch such as ``refs/convert/parquet``.
    file_pattern: str = ""
    # Other repos whose rows the task's files also need, fetched into the same task folder
    # (ANLI+ also trains on MNLI and SNLI; XCOPA's English train/dev is COPA). Each has its own
    # repo, revision (None: resolved when the fetch starts) and writer.
    companions: tuple[HubSource, ...] = ()
    # Non-empty when the Hub copy is only a loading script (``datasets`` 4 runs none): the
    # fetch refuses with this text, which names the original release the reader accepts.
    script_only: str = ""

    def splits_of(self, config: str) -> tuple[str, ...]:
        """The Hub splits of ``config`` that the task's files come from."""
        return self.splits or hub_splits(config)

    def configs(self, languages: tuple[str, ...]) -> list[str]:
        """The configs holding ``languages``."""
        if not isinstance(self.config, str):
            return [self.config[language] for language in languages]
        if "{language}" not in self.config:
            return [self.config]
        return [self.config.format(language=language) for language in languages]


def select_languages(source: HubSource, languages: Collection[str] = ()) -> tuple[str, ...]:
    """Requested languages in the Hub's order (all when none is given), English added where
    the task trains or selects models on English."""
    available = source.languages
    unknown = [lang for lang in languages if lang not in available]
    if unknown:
        raise XstiltsError(
            f"{source.task} on {source.repo} has no language(s) {', '.join(unknown)}; "
            f"it has {' '.join(available)}"
        )
    wanted = set(languages) or set(available)
    if source.english_trained and "en" in available:
        wanted.add("en")
    return tuple(lang for lang in available if lang in wanted)


def hub_plan(source: HubSource, languages: Collection[str] = ()) -> list[tuple[str, str]]:
    """``(config, split)`` pairs :func:`~xstilts.data.hub.fetch` loads for the task in
    ``languages``: SQuAD first where the task trains on it, then every split of each config."""
    configs = source.configs(select_languages(source, languages))
    plan = [("SQuAD", split) for split in source.squad_splits]
    return plan + [(config, split) for config in configs for split in source.splits_of(config)]


def script_only_source(task: str, *, repo: str, script: str, release: str, files: str) -> HubSource:
    """A task whose Hub copy is only a loading script (``datasets`` 4 runs none): ``xstilts
    fetch --list`` shows it as such, and the fetch refuses with where the release is and which
    of its files the task's reader takes."""
    message = (
        f"fetch {task}: the Hub copy {repo} holds only a loading script ({script}), no data "
        f"files, and datasets 4 runs no loading scripts; download the release from {release} "
        f"and put {files} in DATA_DIR/{task}/ (docs/real-scale.md lists the layouts)"
    )
    return HubSource(
        task=task, languages=("en",), config="default", families=("default",),
        write=_script_only, description=f"not fetchable: {repo} is a loading script only "
        f"({script}); release: {release}", repo=repo, splits=("train",), script_only=message,
    )  # fmt: skip


def _script_only(job: Conversion, rows: list[Row]) -> list[Path]:
    """Never reached: :func:`~xstilts.data.hub.fetch` refuses a script-only source first."""
    raise XstiltsError(f"{job.config}: this Hub repo holds only a loading script")
