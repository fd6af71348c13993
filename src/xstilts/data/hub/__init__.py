"""XTREME from the Hugging Face Hub (``google/xtreme``, parquet) → the official file layouts.

Why a converter and not a second set of loaders: every task loader in :mod:`xstilts.tasks` reads
the *official* release layout, and the data fingerprint of a run is the content of its task
folder. Writing Hub rows back into those layouts keeps one reading path, one set of format checks
and one provenance rule, whether the files came from the original releases or from the Hub.

Two entry points:

* :func:`convert_rows` — pure and offline: rows of one Hub config and split (dicts in the Hub
  schema, e.g. from ``datasets.load_dataset``) → files under ``{out_dir}/{task}/``.
* :func:`fetch` — calls ``datasets.load_dataset(repo, config, split=...)`` for every config and
  split a task needs (see :func:`hub_plan`), then :func:`convert_rows`. Only the user runs it; the
  tests never touch the network. It never asks for loading scripts (``google/xtreme`` is parquet
  since Feb 2024; no ``trust_remote_code``).

The Hub schema is that of the ``xtreme.py`` loading script the parquet files were generated from
(``huggingface/datasets`` ``datasets/xtreme/xtreme.py``, last version 91e797c, 2022; the Hub
card's ``dataset_info`` lists the same features and splits). What it implies per task:

==========  =====================================  ============================================
task        Hub config → split                     files written under ``{out_dir}/{task}/``
==========  =====================================  ============================================
xnli        ``XNLI`` validation / test             ``xnli.dev.tsv`` / ``xnli.test.tsv``
pawsx       ``PAWS-X.{l}`` train/validation/test   ``{l}/train.tsv`` (en) or
                                                   ``{l}/translated_train.tsv``,
                                                   ``{l}/dev_2k.tsv``, ``{l}/test_2k.tsv``
panx        ``PAN-X.{l}`` train/validation/test    ``{l}-train``, ``{l}-dev``, ``{l}-test``
                                                   (raw WikiANN layout, ``{l}:token<TAB>tag``)
udpos       ``udpos.{Name}`` train/validation/     ``train-{l}.tsv``, ``dev-{l}.tsv``,
            test (see :func:`hub_splits`)          ``test-{l}.tsv`` (``token<TAB>tag``)
xquad       ``SQuAD`` train/validation,            ``train-v1.1.json``, ``dev-v1.1.json``,
            ``XQuAD.{l}`` validation               ``xquad.{l}.json``
mlqa        ``SQuAD`` train,                       ``train-v1.1.json``,
            ``MLQA.{l}.{l}`` validation / test     ``dev/dev-context-{l}-question-{l}.json``,
                                                   ``test/test-context-{l}-question-{l}.json``
tydiqa      ``tydiqa`` train / validation          ``tydiqa-goldp-v1.1-train/tydiqa.{l}.train
                                                   .json``, ``tydiqa-goldp-v1.1-dev/tydiqa.{l}
                                                   .dev.json`` (language = id prefix)
bucc2018    ``bucc18.{l}`` validation / test       ``{l}-en.dev.{l,en,gold}``,
                                                   ``{l}-en.test.{l,en,gold}``
tatoeba     ``tatoeba.{xxx}`` validation           ``tatoeba.{xxx}-eng.{xxx}``,
                                                   ``tatoeba.{xxx}-eng.eng``
squad       ``SQuAD`` train / validation           ``train-v1.1.json``, ``dev-v1.1.json``
==========  =====================================  ============================================

Where the Hub differs from the official releases (read in the loading script; see the notes in
each task spec's ``hub.description`` and ``hub.note``, and what :func:`fetch` reports):

* **xnli** has no training set (the Hub config is XNLI-1.0 dev/test only) and no ``pairID``
  column; ``pairID`` is written as the row's position among its language's rows.
* **pawsx** rows have no ``id`` (written as the row position, from 1); the script parsed the tsv
  with quote handling and dropped rows that did not split into 4 fields, so the English training
  set has 49,175 rows on the Hub against 49,401 in the release (dev/test keep their 2,000).
* **udpos** is *not* XTREME's UD-POS: the script keeps the syntactic words of multiword tokens
  (XTREME fuses them), picks treebanks by the substring ``_{Name}`` of their folder (so e.g.
  ``udpos.French`` may also pool ``UD_Old_French-*``), and does not strip ZWNJ. For numbers
  comparable with XTREME, use the UD v2.5 ``.conllu`` release instead.
* **bucc2018** holds only the *gold pairs* of each split, not the two monolingual corpora: the
  mining task then has no distractors and its F1 is not BUCC's. :func:`fetch` refuses it unless
  asked explicitly (``allow_bucc_gold_only``).
* **tatoeba** sentences keep the file's line ending, which is stripped here.
* **QA**: the script strips contexts and answer texts, which can shift an ``answer_start`` by the
  stripped whitespace; offsets that no longer match are moved to the nearest occurrence of the
  answer within :data:`MAX_OFFSET_SHIFT` characters, else the answer is dropped, and so is a
  question left without answers (with a warning).

Text fields that hold a tab or a line break (impossible to write in a tsv row) have them replaced
by a space, with a warning counting them. Every file is written atomically (temporary file +
rename) and only when its content changes, so converting the same rows twice is a no-op.

Tasks from other repos: the GLUE intermediate tasks (:mod:`.glue`), ANLI+ from three repos
(:mod:`.nli`), CommonsenseQA and XCOPA/COPA (:mod:`.multiple_choice`, which also says which repos
are only loading scripts), SQuAD 2.0 (:mod:`.span_qa`). A task reading several repos names them
in its source's ``companions``; :mod:`.fetching` pins each one.

The package: this module holds the two entry points; :mod:`.configs` what the Hub holds;
:mod:`.source` the :class:`HubSource` a task spec fills in (which configs, languages, notes and
writer the task has) and the plan of configs and splits; :mod:`.rows` row access, warnings and
atomic writing; one module per
task family writes the files (:mod:`.classification`, :mod:`.tagging`, :mod:`.span_qa`,
:mod:`.retrieval`). The public names of each are re-exported here (``xstilts.data.hub`` was
one module).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path

from xstilts.data.hub.configs import (
    BUCC_HUB_LANGUAGES,
    DEFAULT_REPO,
    MLQA_HUB_LANGUAGES,
    PANX_HUB_LABELS,
    PANX_HUB_LANGUAGES,
    PAWSX_HUB_LANGUAGES,
    TATOEBA_HUB_CODES,
    TYDIQA_ID_LANGUAGES,
    UDPOS_HUB_NAMES,
    UPOS_HUB_LABELS,
    XNLI_HUB_LANGUAGES,
    XQUAD_HUB_LANGUAGES,
    hub_splits,
)
from xstilts.data.hub.fetching import SOURCE_FILE, FetchResult, LoadDataset, fetch_task
from xstilts.data.hub.resume import ResolveRevision
from xstilts.data.hub.rows import Conversion, HubConversionWarning, Row
from xstilts.data.hub.source import HubSource, hub_plan, select_languages
from xstilts.data.hub.span_qa import MAX_OFFSET_SHIFT
from xstilts.errors import XstiltsError

__all__ = [
    "BUCC_HUB_LANGUAGES",
    "DEFAULT_REPO",
    "MAX_OFFSET_SHIFT",
    "MLQA_HUB_LANGUAGES",
    "PANX_HUB_LABELS",
    "PANX_HUB_LANGUAGES",
    "PAWSX_HUB_LANGUAGES",
    "SOURCE_FILE",
    "TATOEBA_HUB_CODES",
    "TYDIQA_ID_LANGUAGES",
    "UDPOS_HUB_NAMES",
    "UPOS_HUB_LABELS",
    "XNLI_HUB_LANGUAGES",
    "XQUAD_HUB_LANGUAGES",
    "FetchResult",
    "HubConversionWarning",
    "HubSource",
    "LoadDataset",
    "Row",
    "convert_rows",
    "fetch",
    "hub_plan",
    "hub_splits",
    "select_languages",
]

# --------------------------------------------------------------------------------------------
# Rows → files
# --------------------------------------------------------------------------------------------


def convert_rows(
    source: HubSource,
    config: str,
    split: str,
    rows: Iterable[Row],
    out_dir: str | Path,
    *,
    languages: Collection[str] | None = None,
) -> list[Path]:
    """Write the rows of one Hub ``config``/``split`` of the task ``source`` describes into
    ``{out_dir}/{task}/`` (see the module table); return the files written or confirmed unchanged.

    ``out_dir`` is the study's ``data_dir``. ``languages`` restricts configs that hold several
    languages (``XNLI``, ``tydiqa``); other configs hold one language, named by the config.
    Rows are dicts in the Hub schema; ClassLabel columns may hold ids or names.
    """
    if split not in source.splits_of(config):
        raise XstiltsError(
            f"{source.repo} config {config!r} has no split {split!r}; "
            f"it has {', '.join(source.splits_of(config))}"
        )
    rows = list(rows)
    _expect_family(config, source.task, source.families)
    wanted = None if languages is None else set(languages)
    job = Conversion(config, split, Path(out_dir) / source.task, wanted)
    paths = source.write(job, rows)
    job.warn_changes()  # called from here, so that its stacklevel names our caller
    return paths


def _expect_family(config: str, task: str, families: tuple[str, ...]) -> None:
    """A config of another task is refused before anything is written for this one."""
    family = config.partition(".")[0]
    if family not in families:
        raise XstiltsError(
            f"config {config!r} does not belong to task {task!r}; "
            f"expected a config of {' or '.join(families)}"
        )


# --------------------------------------------------------------------------------------------
# Fetching (network; only when the user asks): :mod:`.fetching`
# --------------------------------------------------------------------------------------------


def fetch(
    source: HubSource,
    languages: Collection[str] = (),
    out_dir: str | Path = "data",
    repo: str | None = None,
    *,
    revision: str | None = None,
    allow_bucc_gold_only: bool = False,
    load_dataset: LoadDataset | None = None,
    resolve_revision: ResolveRevision | None = None,
    progress: bool = False,
) -> FetchResult:
    """Download the task ``source`` describes (a task spec's ``hub``) and write it in the
    official layout under ``out_dir``.

    ``languages`` are ISO 639-1 codes (all the Hub has when empty; English is added to tasks
    trained on English). ``repo`` and ``revision`` replace the source's own (not its
    companions'). ``load_dataset`` replaces ``datasets.load_dataset`` (tests pass a fake one).
    Every file is listed with its repo, config, split, commit and sha256 in
    ``{out_dir}/{task}/hub-source.json``. Without ``revision``, all splits of a repo load at the
    commit ``resolve_revision`` returns (the Hub's current one); splits fetched before at it and
    unchanged are skipped (:mod:`.resume`). A source whose Hub copy is only a loading script
    (``script_only``) is refused with where its release is.
    """
    if source.script_only:
        raise XstiltsError(source.script_only)
    hub_plan(source, languages)  # an unknown language is refused before anything else
    if source.gold_only and not allow_bucc_gold_only:
        raise XstiltsError(
            source.note + "; pass allow_bucc_gold_only (--allow-bucc-gold-only) to "
            "write these files anyway"
        )
    return fetch_task(
        source, languages, out_dir, convert_rows, repo=repo, revision=revision,
        load_dataset=load_dataset, resolve_revision=resolve_revision, progress=progress,
    )  # fmt: skip
