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
:data:`HUB_CONFIGS` and what :func:`fetch` reports):

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
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xstilts.data.classification_format import BINARY_LABELS, NLI_LABELS
from xstilts.errors import DataError, XstiltsError

DEFAULT_REPO = "google/xtreme"
Row = Mapping[str, Any]

# --------------------------------------------------------------------------------------------
# What the Hub holds (xtreme.py: _PAWSX_LANG, _PAN_X_LANG, ... and the parser classes)
# --------------------------------------------------------------------------------------------

XNLI_HUB_LANGUAGES = (
    "en", "fr", "es", "de", "el", "bg", "ru", "tr", "ar", "vi", "th", "zh", "hi", "sw", "ur",
)  # fmt: skip
PAWSX_HUB_LANGUAGES = ("de", "en", "es", "fr", "ja", "ko", "zh")
PANX_HUB_LANGUAGES = (
    "af", "ar", "bg", "bn", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi",
    "hu", "id", "it", "ja", "jv", "ka", "kk", "ko", "ml", "mr", "ms", "my", "nl", "pt", "ru",
    "sw", "ta", "te", "th", "tl", "tr", "ur", "vi", "yo", "zh",
)  # fmt: skip
XQUAD_HUB_LANGUAGES = ("ar", "de", "vi", "zh", "en", "es", "hi", "el", "ru", "th", "tr")
MLQA_HUB_LANGUAGES = ("ar", "de", "vi", "zh", "en", "es", "hi")
BUCC_HUB_LANGUAGES = ("de", "fr", "zh", "ru")

#: ``udpos.{Name}`` configs: ISO 639-1 → the English language name the Hub config uses.
UDPOS_HUB_NAMES: dict[str, str] = {
    "af": "Afrikaans", "ar": "Arabic", "eu": "Basque", "bg": "Bulgarian", "nl": "Dutch",
    "en": "English", "et": "Estonian", "fi": "Finnish", "fr": "French", "de": "German",
    "el": "Greek", "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian",
    "it": "Italian", "ja": "Japanese", "kk": "Kazakh", "ko": "Korean", "zh": "Chinese",
    "mr": "Marathi", "fa": "Persian", "pt": "Portuguese", "ru": "Russian", "es": "Spanish",
    "tl": "Tagalog", "ta": "Tamil", "te": "Telugu", "th": "Thai", "tr": "Turkish", "ur": "Urdu",
    "vi": "Vietnamese", "yo": "Yoruba",
}  # fmt: skip

#: ``tatoeba.{xxx}`` configs: ISO 639-1 → the LASER file code (the XTREME 36).
TATOEBA_HUB_CODES: dict[str, str] = {
    "af": "afr", "ar": "ara", "bn": "ben", "bg": "bul", "de": "deu", "zh": "cmn", "el": "ell",
    "et": "est", "eu": "eus", "fi": "fin", "fr": "fra", "he": "heb", "hi": "hin", "hu": "hun",
    "id": "ind", "it": "ita", "jv": "jav", "ja": "jpn", "ka": "kat", "kk": "kaz", "ko": "kor",
    "ml": "mal", "mr": "mar", "nl": "nld", "fa": "pes", "pt": "por", "ru": "rus", "es": "spa",
    "sw": "swh", "ta": "tam", "te": "tel", "tl": "tgl", "th": "tha", "tr": "tur", "ur": "urd",
    "vi": "vie",
}  # fmt: skip

#: The language names that prefix TyDiQA-GoldP question ids (``arabic-…``), → ISO 639-1.
TYDIQA_ID_LANGUAGES: dict[str, str] = {
    "arabic": "ar", "bengali": "bn", "english": "en", "finnish": "fi", "indonesian": "id",
    "korean": "ko", "russian": "ru", "swahili": "sw", "telugu": "te",
}  # fmt: skip

#: ``ner_tags`` ClassLabel names, in id order (``PanxParser.features``).
PANX_HUB_LABELS: tuple[str, ...] = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
#: ``pos_tags`` ClassLabel names, in id order (``UdposParser.features``: alphabetical).
UPOS_HUB_LABELS: tuple[str, ...] = (
    "ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN",
    "PUNCT", "SCONJ", "SYM", "VERB", "X",
)  # fmt: skip

#: How far a QA answer may have moved when the script stripped its context or its text.
MAX_OFFSET_SHIFT = 32

#: Tasks trained (and model-selected) on English: English is always fetched with them.
_ENGLISH_TRAINED = ("xnli", "pawsx", "panx", "udpos", "xquad", "mlqa", "tydiqa")

_HUB_SPLITS_UDPOS_TEST_ONLY = ("Tagalog", "Thai", "Yoruba")

HUB_CONFIGS: dict[str, str] = {
    "xnli": "XNLI (validation, test) -> xnli.dev.tsv, xnli.test.tsv; the Hub has no training "
    "set: add XNLI-MT-1.0's multinli/multinli.train.en.tsv yourself",
    "pawsx": "PAWS-X.{de,en,es,fr,ja,ko,zh} (train, validation, test) -> {lang}/train.tsv or "
    "translated_train.tsv, dev_2k.tsv, test_2k.tsv; Hub en train has 49,175 of 49,401 rows",
    "panx": "PAN-X.{lang} for the 40 XTREME languages (train, validation, test) -> raw WikiANN "
    "files {lang}-train, {lang}-dev, {lang}-test (test tags included)",
    "udpos": "udpos.{LanguageName} for the 33 XTREME languages -> {split}-{lang}.tsv; NOT "
    "XTREME's UD-POS (multiword tokens split, treebanks matched by name); use UD v2.5 for "
    "comparable numbers",
    "xquad": "SQuAD (train, validation) + XQuAD.{lang} (validation) -> train-v1.1.json, "
    "dev-v1.1.json, xquad.{lang}.json",
    "mlqa": "SQuAD (train) + MLQA.{lang}.{lang} (validation, test) -> train-v1.1.json, "
    "dev/dev-context-{lang}-question-{lang}.json, test/test-context-...json",
    "tydiqa": "tydiqa (train, validation; all 9 languages, split by id prefix) -> "
    "tydiqa-goldp-v1.1-train/tydiqa.{lang}.train.json, "
    "tydiqa-goldp-v1.1-dev/tydiqa.{lang}.dev.json",
    "bucc2018": "bucc18.{de,fr,ru,zh} (validation, test) -> {lang}-en.{dev,test}.{lang,en,gold}; "
    "gold pairs ONLY (no distractor sentences): not the BUCC mining task",
    "tatoeba": "tatoeba.{xxx} for the 36 XTREME languages (validation) -> tatoeba.{xxx}-eng.{xxx}, "
    "tatoeba.{xxx}-eng.eng",
    "squad": "SQuAD (train, validation) -> train-v1.1.json, dev-v1.1.json (SQuAD v1.1)",
}

_NOTES: dict[str, str] = {
    "xnli": "the Hub's XNLI has no training set: put XNLI-MT-1.0's multinli/"
    "multinli.train.en.tsv (https://dl.fbaipublicfiles.com/XNLI/XNLI-MT-1.0.zip) into {task_dir}",
    "pawsx": "the Hub's PAWS-X training sets lost rows to the loading script's quote-aware "
    "tsv parsing (en: 49,175 of the release's 49,401)",
    "udpos": "the Hub's udpos is not XTREME's UD-POS (multiword tokens are split into words, "
    "treebanks are matched by language name, ZWNJ is kept): scores are not comparable with "
    "published XTREME POS numbers; for those, replace these files in {task_dir} by the UD v2.5 "
    ".conllu release (a split found in both layouts is refused)",
    "bucc2018": "the Hub's bucc18 holds only the gold pairs (no distractor sentences), so mining "
    "F1 on these files is NOT BUCC 2018 F1; for that, use the original tarballs from "
    "https://comparable.limsi.fr/bucc2018/",
}


class HubConversionWarning(UserWarning):
    """Something in the Hub rows had to be changed or dropped to fit the official layout."""


# --------------------------------------------------------------------------------------------
# Which configs and splits a task needs
# --------------------------------------------------------------------------------------------


def hub_splits(config: str) -> tuple[str, ...]:
    """The splits the Hub holds for ``config`` (``_split_generators`` of the loading script)."""
    family, _, rest = config.partition(".")
    if config == "XNLI":
        return ("validation", "test")
    if config in ("tydiqa", "SQuAD"):
        return ("train", "validation")
    if family in ("PAN-X", "PAWS-X"):
        return ("train", "validation", "test")
    if family in ("XQuAD", "tatoeba"):
        return ("validation",)
    if family in ("MLQA", "bucc18"):
        return ("validation", "test")
    if family == "udpos":
        if rest in _HUB_SPLITS_UDPOS_TEST_ONLY:
            return ("test",)
        if rest == "Kazakh":
            return ("train", "test")
        return ("train", "validation", "test")
    raise XstiltsError(f"unknown {DEFAULT_REPO} config {config!r}")


def hub_languages(task: str) -> tuple[str, ...]:
    """The languages (ISO 639-1) the Hub holds for ``task``."""
    tables: dict[str, Sequence[str]] = {
        "xnli": XNLI_HUB_LANGUAGES,
        "pawsx": PAWSX_HUB_LANGUAGES,
        "panx": PANX_HUB_LANGUAGES,
        "udpos": tuple(UDPOS_HUB_NAMES),
        "xquad": XQUAD_HUB_LANGUAGES,
        "mlqa": MLQA_HUB_LANGUAGES,
        "tydiqa": tuple(TYDIQA_ID_LANGUAGES.values()),
        "bucc2018": BUCC_HUB_LANGUAGES,
        "tatoeba": tuple(TATOEBA_HUB_CODES),
        "squad": ("en",),
    }
    if task not in tables:
        raise XstiltsError(
            f"task {task!r} is not on {DEFAULT_REPO}; fetchable: {', '.join(HUB_CONFIGS)}"
        )
    return tuple(tables[task])


def select_languages(task: str, languages: Collection[str] = ()) -> tuple[str, ...]:
    """Requested languages in the Hub's order (all when none is given), English added where
    the task trains or selects models on English."""
    available = hub_languages(task)
    unknown = [lang for lang in languages if lang not in available]
    if unknown:
        raise XstiltsError(
            f"{task} on {DEFAULT_REPO} has no language(s) {', '.join(unknown)}; "
            f"it has {' '.join(available)}"
        )
    wanted = set(languages) or set(available)
    if task in _ENGLISH_TRAINED and "en" in available:
        wanted.add("en")
    return tuple(lang for lang in available if lang in wanted)


def hub_plan(task: str, languages: Collection[str] = ()) -> list[tuple[str, str]]:
    """``(config, split)`` pairs :func:`fetch` loads for ``task`` in ``languages``."""
    chosen = select_languages(task, languages)
    squad_train = [("SQuAD", "train")]
    if task == "xnli":
        configs = ["XNLI"]
    elif task == "tydiqa":
        configs = ["tydiqa"]
    elif task == "squad":
        configs = ["SQuAD"]
    elif task == "pawsx":
        configs = [f"PAWS-X.{lang}" for lang in chosen]
    elif task == "panx":
        configs = [f"PAN-X.{lang}" for lang in chosen]
    elif task == "udpos":
        configs = [f"udpos.{UDPOS_HUB_NAMES[lang]}" for lang in chosen]
    elif task == "xquad":
        plan = [*squad_train, ("SQuAD", "validation")]
        return plan + [(f"XQuAD.{lang}", "validation") for lang in chosen]
    elif task == "mlqa":
        plan = list(squad_train)
        for lang in chosen:
            plan += [(f"MLQA.{lang}.{lang}", split) for split in ("validation", "test")]
        return plan
    elif task == "bucc2018":
        configs = [f"bucc18.{lang}" for lang in chosen]
    else:  # tatoeba (hub_languages has rejected every other name)
        configs = [f"tatoeba.{TATOEBA_HUB_CODES[lang]}" for lang in chosen]
    return [(config, split) for config in configs for split in hub_splits(config)]


# --------------------------------------------------------------------------------------------
# Rows → files
# --------------------------------------------------------------------------------------------


@dataclass
class _Context:
    """Where a row comes from, for error messages (``PAN-X.de[test]:3: ...``)."""

    config: str
    split: str
    replaced: int = 0  # text fields whose tabs/line breaks became spaces
    moved: int = 0  # QA answers moved to the nearest match
    dropped: list[str] = field(default_factory=list)  # ids of questions that lost an answer
    unanswered: list[str] = field(default_factory=list)  # ids of questions dropped: no answer left

    @property
    def where(self) -> str:
        return f"{self.config}[{self.split}]"

    def error(self, index: int, message: str) -> DataError:
        return DataError(self.where, index + 1, message)


def convert_rows(
    task: str,
    config: str,
    split: str,
    rows: Iterable[Row],
    out_dir: str | Path,
    *,
    languages: Collection[str] | None = None,
) -> list[Path]:
    """Write the rows of one Hub ``config``/``split`` into ``{out_dir}/{task}/`` (see the module
    table); return the files written or confirmed unchanged.

    ``out_dir`` is the study's ``data_dir``. ``languages`` restricts configs that hold several
    languages (``XNLI``, ``tydiqa``); other configs hold one language, named by the config.
    Rows are dicts in the Hub schema; ClassLabel columns may hold ids or names.
    """
    if split not in hub_splits(config):
        raise XstiltsError(
            f"{DEFAULT_REPO} config {config!r} has no split {split!r}; "
            f"it has {', '.join(hub_splits(config))}"
        )
    writer = _WRITERS.get(task)
    if writer is None:
        raise XstiltsError(
            f"task {task!r} cannot be converted from {DEFAULT_REPO}; "
            f"convertible: {', '.join(HUB_CONFIGS)}"
        )
    context = _Context(config, split)
    task_dir = Path(out_dir) / task
    wanted = None if languages is None else set(languages)
    paths = writer(context, list(rows), task_dir, wanted)
    _warn_changes(context)
    return paths


def _warn_changes(context: _Context) -> None:
    if context.replaced:
        warnings.warn(
            f"{context.where}: {context.replaced} text field(s) held tabs or line breaks, "
            "replaced by spaces",
            HubConversionWarning,
            stacklevel=3,
        )
    if context.moved:
        warnings.warn(
            f"{context.where}: {context.moved} answer offset(s) no longer matched the stripped "
            "context and were moved to the nearest occurrence of the answer",
            HubConversionWarning,
            stacklevel=3,
        )
    if context.dropped:
        warnings.warn(
            f"{context.where}: dropped {len(context.dropped)} answer(s) whose text is not in the "
            f"context near answer_start (questions {_some(context.dropped)}); "
            f"{len(context.unanswered)} question(s) left without answers were dropped too",
            HubConversionWarning,
            stacklevel=3,
        )


def _some(ids: Sequence[str]) -> str:
    return ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")


def _get(context: _Context, row: Row, index: int, name: str) -> Any:
    try:
        return row[name]
    except (KeyError, TypeError):
        found = ", ".join(sorted(row)) if isinstance(row, Mapping) else type(row).__name__
        raise context.error(index, f"row lacks field {name!r} (found: {found})") from None


def _text(context: _Context, row: Row, index: int, name: str) -> str:
    value = _get(context, row, index, name)
    if not isinstance(value, str):
        raise context.error(index, f"field {name!r} should be a string, got {value!r}")
    return value


_BREAKS = re.compile(r"[\t\r\n]")


def _one_line(context: _Context, value: str) -> str:
    """A tsv field: tabs and line breaks cannot be written, so they become spaces (counted)."""
    if _BREAKS.search(value):
        context.replaced += 1
        return _BREAKS.sub(" ", value)
    return value


def _class_names(
    context: _Context, index: int, name: str, values: Any, names: Sequence[str]
) -> list[str]:
    """A ClassLabel sequence as names; ids index ``names`` (their order on the Hub)."""
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise context.error(index, f"field {name!r} should be a list, got {values!r}")
    out: list[str] = []
    for value in values:
        if isinstance(value, bool):
            raise context.error(index, f"{name}: {value!r} is not a label")
        if isinstance(value, int):
            if not 0 <= value < len(names):
                raise context.error(index, f"{name}: id {value} outside 0..{len(names) - 1}")
            out.append(names[value])
        elif isinstance(value, str) and value in names:
            out.append(value)
        else:
            raise context.error(index, f"{name}: {value!r} is not one of {', '.join(names)}")
    return out


def _write(path: Path, text: str) -> Path:
    """Atomic and idempotent: a temporary file renamed over ``path``, only if content differs."""
    data = text.encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _lines(lines: Iterable[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def _config_language(config: str) -> str:
    """The ISO 639-1 language of a single-language config (``PAN-X.de``, ``udpos.German``)."""
    family, _, rest = config.partition(".")
    if family == "udpos":
        by_name = {name: iso for iso, name in UDPOS_HUB_NAMES.items()}
        if rest in by_name:
            return by_name[rest]
    elif family == "tatoeba":
        by_code = {code: iso for iso, code in TATOEBA_HUB_CODES.items()}
        if rest in by_code:
            return by_code[rest]
    elif family == "MLQA":
        context_language, _, question_language = rest.partition(".")
        if context_language and context_language == question_language:
            return context_language
        raise XstiltsError(
            f"{config}: only same-language MLQA configs (MLQA.xx.xx) are read, as in XTREME"
        )
    elif rest:
        return rest
    raise XstiltsError(f"cannot tell the language of {DEFAULT_REPO} config {config!r}")


def _expect_family(config: str, task: str, *families: str) -> None:
    family = config.partition(".")[0]
    if family not in families:
        raise XstiltsError(
            f"config {config!r} does not belong to task {task!r}; "
            f"expected a config of {' or '.join(families)}"
        )


# ---- classification -------------------------------------------------------------------------

# XNLI-1.0's own column names, in its order (the Hub keeps these four; pairID is rebuilt).
_XNLI_COLUMNS = ("language", "gold_label", "sentence1", "sentence2", "pairID")


def _write_xnli(
    context: _Context, rows: list[Row], task_dir: Path, wanted: set[str] | None
) -> list[Path]:
    _expect_family(context.config, "xnli", "XNLI")
    position: dict[str, int] = {}
    lines = ["\t".join(_XNLI_COLUMNS)]
    for index, row in enumerate(rows):
        language = _text(context, row, index, "language")
        if wanted is not None and language not in wanted:
            continue
        label = _text(context, row, index, "gold_label")
        if label not in NLI_LABELS:
            raise context.error(index, f"gold_label {label!r} not in {', '.join(NLI_LABELS)}")
        position[language] = position.get(language, 0) + 1
        fields = [
            language,
            label,
            _one_line(context, _text(context, row, index, "sentence1")),
            _one_line(context, _text(context, row, index, "sentence2")),
            str(position[language]),
        ]
        lines.append("\t".join(fields))
    name = {"validation": "xnli.dev.tsv", "test": "xnli.test.tsv"}[context.split]
    return [_write(task_dir / name, _lines(lines))]


def _write_pawsx(
    context: _Context, rows: list[Row], task_dir: Path, wanted: set[str] | None
) -> list[Path]:
    _expect_family(context.config, "pawsx", "PAWS-X")
    language = _config_language(context.config)
    lines = ["id\tsentence1\tsentence2\tlabel"]
    for index, row in enumerate(rows):
        label = _get(context, row, index, "label")
        label = str(label) if isinstance(label, int) and not isinstance(label, bool) else label
        if label not in BINARY_LABELS:
            raise context.error(index, f"label {label!r} not in {', '.join(BINARY_LABELS)}")
        sentence1 = _one_line(context, _text(context, row, index, "sentence1"))
        sentence2 = _one_line(context, _text(context, row, index, "sentence2"))
        lines.append(f"{index + 1}\t{sentence1}\t{sentence2}\t{label}")
    if context.split == "train":
        name = "train.tsv" if language == "en" else "translated_train.tsv"
    else:
        name = {"validation": "dev_2k.tsv", "test": "test_2k.tsv"}[context.split]
    return [_write(task_dir / language / name, _lines(lines))]


# ---- tagging --------------------------------------------------------------------------------

_OUR_SPLIT = {"train": "train", "validation": "dev", "test": "test"}


def _tagging_lines(
    context: _Context, rows: list[Row], tag_field: str, names: Sequence[str], prefix: str
) -> list[str]:
    lines: list[str] = []
    for index, row in enumerate(rows):
        tokens = _get(context, row, index, "tokens")
        if not isinstance(tokens, Sequence) or isinstance(tokens, str):
            raise context.error(index, f"field 'tokens' should be a list, got {tokens!r}")
        tags = _class_names(context, index, tag_field, _get(context, row, index, tag_field), names)
        if len(tags) != len(tokens):
            raise context.error(index, f"{len(tokens)} tokens but {len(tags)} {tag_field}")
        if not tokens:
            continue
        for token, tag in zip(tokens, tags, strict=True):
            if not isinstance(token, str):
                raise context.error(index, f"token {token!r} is not a string")
            lines.append(f"{prefix}{_one_line(context, token)}\t{tag}")
        lines.append("")
    return lines


def _write_panx(
    context: _Context, rows: list[Row], task_dir: Path, wanted: set[str] | None
) -> list[Path]:
    """The raw WikiANN split file the Hub rows were read from: ``{lang}:token<TAB>tag``."""
    _expect_family(context.config, "panx", "PAN-X")
    language = _config_language(context.config)
    lines = _tagging_lines(context, rows, "ner_tags", PANX_HUB_LABELS, f"{language}:")
    path = task_dir / f"{language}-{_OUR_SPLIT[context.split]}"
    return [_write(path, _lines(lines))]


def _write_udpos(
    context: _Context, rows: list[Row], task_dir: Path, wanted: set[str] | None
) -> list[Path]:
    """XTREME's processed layout ``{split}-{lang}.tsv`` (``token<TAB>tag``, test tags kept)."""
    _expect_family(context.config, "udpos", "udpos")
    language = _config_language(context.config)
    lines = _tagging_lines(context, rows, "pos_tags", UPOS_HUB_LABELS, "")
    path = task_dir / f"{_OUR_SPLIT[context.split]}-{language}.tsv"
    return [_write(path, _lines(lines))]


# ---- span QA --------------------------------------------------------------------------------


def _aligned_start(context_text: str, answer: str, start: int) -> int | None:
    """``start`` if the answer is there, else its nearest occurrence within the shift window."""
    if context_text[start : start + len(answer)] == answer:
        return start
    best: int | None = None
    low = max(0, start - MAX_OFFSET_SHIFT)
    position = context_text.find(answer, low)
    while position != -1 and position <= start + MAX_OFFSET_SHIFT:
        if best is None or abs(position - start) < abs(best - start):
            best = position
        position = context_text.find(answer, position + 1)
    return best


def _squad_answers(
    context: _Context, row: Row, index: int, question_id: str, text: str
) -> list[dict[str, Any]]:
    answers = _get(context, row, index, "answers")
    if not isinstance(answers, Mapping):
        raise context.error(index, f"field 'answers' should be {{answer_start, text}}: {answers!r}")
    starts, texts = answers.get("answer_start"), answers.get("text")
    if not isinstance(starts, Sequence) or not isinstance(texts, Sequence):
        raise context.error(index, "answers should hold the lists 'answer_start' and 'text'")
    if len(starts) != len(texts):
        raise context.error(index, f"{len(starts)} answer_start values for {len(texts)} texts")
    out: list[dict[str, Any]] = []
    for start, answer in zip(starts, texts, strict=True):
        if not isinstance(start, int) or not isinstance(answer, str):
            raise context.error(index, f"answer ({start!r}, {answer!r}) is not (int, str)")
        aligned = _aligned_start(text, answer, start) if answer else start
        if aligned is None:
            context.dropped.append(question_id)
            continue
        if aligned != start:
            context.moved += 1
        out.append({"answer_start": aligned, "text": answer})
    return out


def _squad_document(context: _Context, indexed_rows: Iterable[tuple[int, Row]]) -> dict[str, Any]:
    """SQuAD v1.1 layout; consecutive rows sharing title and context share a paragraph."""
    articles: list[dict[str, Any]] = []
    last_title: str | None = None
    last_context: str | None = None
    for index, row in indexed_rows:
        title = row.get("title", "") if isinstance(row, Mapping) else ""
        text = _text(context, row, index, "context")
        question_id = _get(context, row, index, "id")
        if not isinstance(question_id, str | int) or isinstance(question_id, bool):
            raise context.error(index, f"id {question_id!r} is not a string")
        question_id = str(question_id)
        answers = _squad_answers(context, row, index, question_id, text)
        if not answers and question_id in context.dropped:
            # Training on it would teach "no answer"; scoring it would score against nothing.
            context.unanswered.append(question_id)
            continue
        qa = {
            "id": question_id,
            "question": _text(context, row, index, "question"),
            "answers": answers,
        }
        if not articles or title != last_title:
            articles.append({"title": title, "paragraphs": []})
        paragraphs = articles[-1]["paragraphs"]
        if not paragraphs or title != last_title or text != last_context:
            paragraphs.append({"context": text, "qas": []})
        paragraphs[-1]["qas"].append(qa)
        last_title, last_context = title, text
    return {"version": "1.1", "data": articles}


def _write_json(path: Path, document: dict[str, Any]) -> Path:
    return _write(path, json.dumps(document, ensure_ascii=False) + "\n")


def _write_squad_copy(context: _Context, rows: list[Row], task_dir: Path) -> list[Path]:
    name = {"train": "train-v1.1.json", "validation": "dev-v1.1.json"}[context.split]
    return [_write_json(task_dir / name, _squad_document(context, enumerate(rows)))]


def _write_squad(
    context: _Context, rows: list[Row], task_dir: Path, wanted: set[str] | None
) -> list[Path]:
    _expect_family(context.config, "squad", "SQuAD")
    return _write_squad_copy(context, rows, task_dir)


def _write_xquad(
    context: _Context, rows: list[Row], task_dir: Path, wanted: set[str] | None
) -> list[Path]:
    _expect_family(context.config, "xquad", "SQuAD", "XQuAD")
    if context.config == "SQuAD":
        return _write_squad_copy(context, rows, task_dir)
    language = _config_language(context.config)
    document = _squad_document(context, enumerate(rows))
    return [_write_json(task_dir / f"xquad.{language}.json", document)]


def _write_mlqa(
    context: _Context, rows: list[Row], task_dir: Path, wanted: set[str] | None
) -> list[Path]:
    _expect_family(context.config, "mlqa", "SQuAD", "MLQA")
    if context.config == "SQuAD":
        return _write_squad_copy(context, rows, task_dir)
    language = _config_language(context.config)
    split = _OUR_SPLIT[context.split]
    path = task_dir / split / f"{split}-context-{language}-question-{language}.json"
    return [_write_json(path, _squad_document(context, enumerate(rows)))]


def _write_tydiqa(
    context: _Context, rows: list[Row], task_dir: Path, wanted: set[str] | None
) -> list[Path]:
    """One file per language, the language read from the id prefix (XTREME's
    ``tydiqa_preprocess`` splits the training file the same way; ids are kept whole)."""
    _expect_family(context.config, "tydiqa", "tydiqa")
    by_language: dict[str, list[tuple[int, Row]]] = {}
    for index, row in enumerate(rows):
        question_id = str(_get(context, row, index, "id"))
        prefix = question_id.split("-", 1)[0]
        language = TYDIQA_ID_LANGUAGES.get(prefix)
        if language is None:
            raise context.error(
                index,
                f"id {question_id!r} does not start with a TyDiQA language name "
                f"({', '.join(TYDIQA_ID_LANGUAGES)})",
            )
        if wanted is None or language in wanted:
            by_language.setdefault(language, []).append((index, row))
    paths = []
    for language, indexed_rows in by_language.items():
        if context.split == "train":
            path = task_dir / "tydiqa-goldp-v1.1-train" / f"tydiqa.{language}.train.json"
        else:
            path = task_dir / "tydiqa-goldp-v1.1-dev" / f"tydiqa.{language}.dev.json"
        paths.append(_write_json(path, _squad_document(context, indexed_rows)))
    return paths


# ---- retrieval ------------------------------------------------------------------------------


def _sentence(context: _Context, row: Row, index: int, name: str) -> str:
    """One sentence of a line-based file: the script kept the line ending; inner breaks are
    impossible in such files, and an empty line would shift the alignment."""
    value = _text(context, row, index, name).rstrip("\r\n")
    value = _one_line(context, value)
    if not value.strip():
        raise context.error(index, f"{name} is empty; line-aligned files cannot hold it")
    return value


def _write_tatoeba(
    context: _Context, rows: list[Row], task_dir: Path, wanted: set[str] | None
) -> list[Path]:
    _expect_family(context.config, "tatoeba", "tatoeba")
    language = _config_language(context.config)
    code = TATOEBA_HUB_CODES[language]
    source = [_sentence(context, row, index, "source_sentence") for index, row in enumerate(rows)]
    target = [_sentence(context, row, index, "target_sentence") for index, row in enumerate(rows)]
    stem = task_dir / f"tatoeba.{code}-eng"
    return [
        _write(Path(f"{stem}.{code}"), _lines(source)),
        _write(Path(f"{stem}.eng"), _lines(target)),
    ]


def _write_bucc(
    context: _Context, rows: list[Row], task_dir: Path, wanted: set[str] | None
) -> list[Path]:
    """The script names the sentence *ids* ``source_lang``/``target_lang`` (``de-000000001``)."""
    _expect_family(context.config, "bucc2018", "bucc18")
    language = _config_language(context.config)
    sides: tuple[dict[str, str], dict[str, str]] = ({}, {})
    gold: list[str] = []
    for index, row in enumerate(rows):
        pair = []
        for side, (id_field, text_field) in zip(
            sides,
            (("source_lang", "source_sentence"), ("target_lang", "target_sentence")),
            strict=True,
        ):
            sentence_id = _text(context, row, index, id_field).strip()
            sentence = _sentence(context, row, index, text_field)
            if not sentence_id:
                raise context.error(index, f"{id_field} (the sentence id) is empty")
            if side.setdefault(sentence_id, sentence) != sentence:
                raise context.error(index, f"id {sentence_id!r} names two different sentences")
            pair.append(sentence_id)
        gold.append("\t".join(pair))
    split = _OUR_SPLIT[context.split]
    stem = task_dir / f"{language}-en.{split}"
    source, target = sides
    return [
        _write(Path(f"{stem}.{language}"), _lines(f"{i}\t{s}" for i, s in source.items())),
        _write(Path(f"{stem}.en"), _lines(f"{i}\t{s}" for i, s in target.items())),
        _write(Path(f"{stem}.gold"), _lines(gold)),
    ]


_Writer = Callable[[_Context, list[Row], Path, set[str] | None], list[Path]]

_WRITERS: dict[str, _Writer] = {
    "xnli": _write_xnli,
    "pawsx": _write_pawsx,
    "panx": _write_panx,
    "udpos": _write_udpos,
    "xquad": _write_xquad,
    "mlqa": _write_mlqa,
    "tydiqa": _write_tydiqa,
    "bucc2018": _write_bucc,
    "tatoeba": _write_tatoeba,
    "squad": _write_squad,
}

# --------------------------------------------------------------------------------------------
# Fetching (network; only when the user asks)
# --------------------------------------------------------------------------------------------

SOURCE_FILE = "hub-source.json"


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch` wrote, and what the user should know about it."""

    task_dir: Path
    files: tuple[Path, ...]
    notes: tuple[str, ...]


LoadDataset = Callable[..., Iterable[Row]]


def _datasets_loader() -> LoadDataset:
    try:
        import datasets
    except ImportError:
        raise XstiltsError(
            "fetching from the Hugging Face Hub needs the 'datasets' package "
            "(pip install datasets); the official releases need no extra package"
        ) from None
    return datasets.load_dataset


def fetch(
    task: str,
    languages: Collection[str] = (),
    out_dir: str | Path = "data",
    repo: str = DEFAULT_REPO,
    *,
    revision: str | None = None,
    allow_bucc_gold_only: bool = False,
    load_dataset: LoadDataset | None = None,
) -> FetchResult:
    """Download ``task`` from the Hub and write it in the official layout under ``out_dir``.

    ``languages`` are ISO 639-1 codes (all the Hub has when empty; English is added to tasks
    trained on English). ``revision`` pins a Hub commit, for a reproducible study.
    ``load_dataset`` replaces ``datasets.load_dataset`` (tests pass a fake one). Every file is
    listed with its config and split in ``{out_dir}/{task}/hub-source.json``.
    """
    plan = hub_plan(task, languages)
    if task == "bucc2018" and not allow_bucc_gold_only:
        raise XstiltsError(
            _NOTES["bucc2018"] + "; pass allow_bucc_gold_only (--allow-bucc-gold-only) to "
            "write these files anyway"
        )
    loader = load_dataset or _datasets_loader()
    chosen = select_languages(task, languages)
    task_dir = Path(out_dir) / task
    files: list[Path] = []
    sources: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for config, split in plan:
        rows = _load(loader, repo, config, split, revision)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", HubConversionWarning)
            written = convert_rows(task, config, split, rows, out_dir, languages=chosen)
        notes.extend(str(w.message) for w in caught if issubclass(w.category, HubConversionWarning))
        for path in written:
            files.append(path)
            sources[path.relative_to(task_dir).as_posix()] = {"config": config, "split": split}
    _record_sources(task_dir, repo, revision, sources)
    note = _NOTES.get(task)
    if note and not (task == "xnli" and (task_dir / "multinli.train.en.tsv").is_file()):
        notes.append(note.format(task_dir=task_dir))
    return FetchResult(task_dir=task_dir, files=tuple(files), notes=tuple(notes))


def _load(
    loader: LoadDataset, repo: str, config: str, split: str, revision: str | None
) -> Iterable[Row]:
    """``load_dataset`` with its many failure types turned into one user-facing line."""
    kwargs: dict[str, Any] = {"split": split}
    if revision is not None:
        kwargs["revision"] = revision
    try:
        return loader(repo, config, **kwargs)
    except (ConnectionError, OSError) as error:
        raise XstiltsError(
            f"could not download {repo} config {config!r} split {split!r} "
            f"({type(error).__name__}: {_first_line(error)}); fetching needs access to "
            "huggingface.co, or a filled Hugging Face cache with HF_DATASETS_OFFLINE=1"
        ) from None
    except Exception as error:
        raise XstiltsError(
            f"could not load {repo} config {config!r} split {split!r} "
            f"({type(error).__name__}: {_first_line(error)})"
        ) from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "no message"


def _record_sources(
    task_dir: Path, repo: str, revision: str | None, sources: dict[str, dict[str, Any]]
) -> None:
    """Merge this fetch into ``hub-source.json`` (no timestamps: refetching changes nothing)."""
    path = task_dir / SOURCE_FILE
    record: dict[str, Any] = {"files": {}}
    if path.is_file():
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = {"files": {}}
    files = dict(record.get("files", {}))
    for name, source in sources.items():
        files[name] = {"repo": repo, "revision": revision, **source}
    record = {"files": dict(sorted(files.items()))}
    _write(path, json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
