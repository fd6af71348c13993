"""Sentence(-pair) classification releases → :class:`ClassificationExample`.

tsv files are read by header name through :func:`xstilts.data.readers.read_tsv_records`, so the
parse columns of GLUE and XNLI never leak into a text field. Labels are mapped onto one
canonical set per task so that a model trained on one release can be scored on another:

* NLI (MNLI, SNLI, ANLI, XNLI, XNLI-MT): :data:`NLI_LABELS`. ANLI's ``e``/``n``/``c`` and
  XNLI-MT's ``contradictory`` (XTREME ``utils_preprocess.py`` ``xnli_preprocess``) are mapped.
  ``-`` (no annotator majority) rows are dropped, as jiant's ``snli.py`` does.
* Binary tasks (PAWS-X, QQP, SST-2): :data:`BINARY_LABELS`, the releases' own ``0``/``1``.

Formats (first line is the header unless stated):

* PAWS-X ``x-final/{lang}/{train,dev_2k,test_2k}.tsv``: ``id sentence1 sentence2 label``.
* QQP (GLUE): ``id qid1 qid2 question1 question2 is_duplicate``; test ``id question1 question2``.
* SST-2 (GLUE): ``sentence label``; test ``index sentence``.
* MNLI (GLUE): ``index promptID pairID genre ... sentence1 sentence2 [label1 ...] gold_label``;
  test files stop after ``sentence2``.
* XNLI-1.0 ``xnli.{dev,test}.tsv``: ``language gold_label ... sentence1 sentence2 promptID
  pairID ...``, all 15 languages in one file; ``pairID`` is shared by a pair's translations.
* XNLI-MT-1.0 ``multinli/multinli.train.{lang}.tsv``: ``premise hypo label``.
* SNLI 1.0 ``snli_1.0_{split}.jsonl``: ``pairID sentence1 sentence2 gold_label ...``.
* ANLI v1.0 ``R{1,2,3}/{train,dev,test}.jsonl``: ``uid context hypothesis label ...``.

Example ids come from the release (``id``, ``pairID``, ``uid``, ``index``); SST-2 train/dev have
none, so their id is the 0-based row index.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path

from xstilts.data.examples import ClassificationExample
from xstilts.data.json_records import iter_jsonl_records, require
from xstilts.data.readers import log_skipped, open_text, read_tsv_records, shown
from xstilts.errors import DataError

NLI_LABELS: tuple[str, ...] = ("entailment", "neutral", "contradiction")
BINARY_LABELS: tuple[str, ...] = ("0", "1")

_NLI_ALIASES: dict[str, str] = {
    "entailment": "entailment",
    "neutral": "neutral",
    "contradiction": "contradiction",
    "contradictory": "contradiction",
    "e": "entailment",
    "n": "neutral",
    "c": "contradiction",
}
_NO_MAJORITY = "-"
_NO_MAJORITY_REASON = "with label '-' (no annotator majority)"


def read_pawsx_tsv(path: str | Path) -> list[ClassificationExample]:
    """Read a PAWS-X release file (``id sentence1 sentence2 label``)."""
    return _nonempty(path, list(_binary_pair_rows(path, "id", "sentence1", "sentence2", "label")))


def read_qqp_tsv(path: str | Path) -> list[ClassificationExample]:
    """Read GLUE QQP (``is_duplicate`` is the label; the test file has none)."""
    return _nonempty(
        path, list(_binary_pair_rows(path, "id", "question1", "question2", "is_duplicate"))
    )


def read_sst2_tsv(path: str | Path) -> list[ClassificationExample]:
    """Read GLUE SST-2 (single sentences; ``index`` only in the unlabelled test file)."""
    return _nonempty(
        path,
        [
            ClassificationExample(
                id=row.get("index", str(position)),
                text_a=row["sentence"],
                text_b=None,
                label=_binary(row["label"], path, line) if "label" in row else None,
            )
            for position, (line, row) in enumerate(read_tsv_records(path, ("sentence",)))
        ],
    )


def read_mnli_tsv(path: str | Path) -> list[ClassificationExample]:
    """Read GLUE MNLI (``train``, ``dev_matched``, ``test_mismatched``, ...); id is ``pairID``."""
    return _nonempty(path, list(_nli_rows(path, "pairID", "sentence1", "sentence2", "gold_label")))


def read_xnli_tsv(
    path: str | Path, language: str, languages: Collection[str] | None = None
) -> list[ClassificationExample]:
    """Read the rows of one ``language`` from XNLI-1.0 ``xnli.{dev,test}.tsv``; id is ``pairID``.

    The language is required because ``pairID`` repeats across the 15 languages of the file.
    ``languages`` is the release's code set: a row whose code is outside it (``de ``, ``DE``,
    ``deu``) is an error naming its line, never a row silently left out of every language.
    """
    seen: set[str] = set()
    examples: list[ClassificationExample] = []
    skipped = 0
    records = read_tsv_records(path, ("language", "pairID", "sentence1", "sentence2", "gold_label"))
    for line, row in records:
        row_language = xnli_row_language(row, path, line, languages)
        seen.add(row_language)
        label = _nli_label(row["gold_label"], path, line)  # every row is checked, not only ours
        if row_language != language:
            continue
        if label == _NO_MAJORITY:
            skipped += 1
            continue
        examples.append(
            ClassificationExample(
                id=row["pairID"], text_a=row["sentence1"], text_b=row["sentence2"], label=label
            )
        )
    log_skipped(path, skipped, f"{language} row", "with gold_label '-' (no annotator majority)")
    if not examples:
        found = ", ".join(sorted(seen)) or "none"
        raise DataError(path, None, f"no rows for language {language!r}; languages found: {found}")
    return examples


def xnli_row_language(
    row: dict[str, str], path: str | Path, line: int, languages: Collection[str] | None
) -> str:
    """The row's ``language`` code, checked against the release's codes when they are given."""
    code = row["language"]
    if languages is not None and code not in languages:
        raise DataError(
            path,
            line,
            f"language {shown(code)} is not a code of this release; expected one of "
            f"{', '.join(languages)} (lower-case ISO 639-1, no spaces)",
        )
    return code


def read_xnli_mt_tsv(path: str | Path) -> list[ClassificationExample]:
    """Read XNLI-MT-1.0 ``multinli.train.{lang}.tsv`` (``premise hypo label``); id = row index."""
    examples: list[ClassificationExample] = []
    skipped = 0
    for position, (line, row) in enumerate(read_tsv_records(path, ("premise", "hypo", "label"))):
        label = _nli_label(row["label"], path, line)
        if label == _NO_MAJORITY:
            skipped += 1
            continue
        examples.append(
            ClassificationExample(
                id=str(position), text_a=row["premise"], text_b=row["hypo"], label=label
            )
        )
    log_skipped(path, skipped, "row", _NO_MAJORITY_REASON)
    return _nonempty(path, examples)


def read_snli_jsonl(path: str | Path) -> list[ClassificationExample]:
    """Read SNLI 1.0 jsonl, dropping ``gold_label == "-"`` rows (no annotator majority)."""
    return _read_nli_jsonl(path, "pairID", "sentence1", "sentence2", "gold_label")


def read_anli_jsonl(path: str | Path) -> list[ClassificationExample]:
    """Read ANLI v1.0 jsonl (``context`` is the premise, labels ``e``/``n``/``c``)."""
    return _read_nli_jsonl(path, "uid", "context", "hypothesis", "label", label_optional=True)


def _read_nli_jsonl(
    path: str | Path,
    id_key: str,
    premise_key: str,
    hypothesis_key: str,
    label_key: str,
    *,
    label_optional: bool = False,
) -> list[ClassificationExample]:
    """One NLI pair per jsonl record under the dataset's own keys; a ``-`` label (no annotator
    majority) drops the record, an absent optional label leaves it unlabelled."""
    examples: list[ClassificationExample] = []
    skipped = 0
    for line, record in iter_jsonl_records(path):
        label = (
            _nli_label(require(record, label_key, str, path, line), path, line)
            if not label_optional or label_key in record
            else None
        )
        if label == _NO_MAJORITY:
            skipped += 1
            continue
        examples.append(
            ClassificationExample(
                id=require(record, id_key, str, path, line),
                text_a=require(record, premise_key, str, path, line),
                text_b=require(record, hypothesis_key, str, path, line),
                label=label,
            )
        )
    log_skipped(path, skipped, "row", _NO_MAJORITY_REASON)
    return _nonempty(path, examples)


def _nli_rows(
    path: str | Path, id_column: str, premise: str, hypothesis: str, label_column: str
) -> Iterator[ClassificationExample]:
    skipped = 0
    for line, row in read_tsv_records(path, (id_column, premise, hypothesis)):
        label = _nli_label(row[label_column], path, line) if label_column in row else None
        if label == _NO_MAJORITY:
            skipped += 1
            continue
        yield ClassificationExample(
            id=row[id_column], text_a=row[premise], text_b=row[hypothesis], label=label
        )
    log_skipped(path, skipped, "row", _NO_MAJORITY_REASON)


def _binary_pair_rows(
    path: str | Path, id_column: str, text_a: str, text_b: str, label_column: str
) -> Iterator[ClassificationExample]:
    """Sentence pairs with a 0/1 label; the label column is optional (unlabelled test files)."""
    for line, row in read_tsv_records(path, (id_column, text_a, text_b)):
        yield ClassificationExample(
            id=row[id_column],
            text_a=row[text_a],
            text_b=row[text_b],
            label=_binary(row[label_column], path, line) if label_column in row else None,
        )


def _nli_label(raw: str, path: str | Path, line: int) -> str:
    """Map a release's NLI label to :data:`NLI_LABELS`; ``-`` passes through to be dropped."""
    value = raw.strip()
    if value == _NO_MAJORITY:
        return value
    if value not in _NLI_ALIASES:
        raise DataError(
            path, line, f"label {shown(raw)} is not an NLI label (entailment/neutral/contradiction)"
        )
    return _NLI_ALIASES[value]


def _binary(raw: str, path: str | Path, line: int) -> str:
    value = raw.strip()
    if value not in BINARY_LABELS:
        raise DataError(path, line, f"label {shown(raw)} should be 0 or 1")
    return value


def _nonempty(
    path: str | Path, examples: list[ClassificationExample]
) -> list[ClassificationExample]:
    if not examples:
        raise DataError(path, None, "no examples found after the header")
    return examples


def read_xtreme_pair_tsv(path: str | Path, nli: bool) -> list[ClassificationExample]:
    """Read XTREME's preprocessed ``{split}-{lang}.tsv`` (XNLI or PAWS-X): no header,
    ``sentence1<TAB>sentence2[<TAB>label]``; the test files carry no label column.

    Read as XTREME reads them (``transformers.DataProcessor._read_tsv``: ``csv.reader`` with
    ``delimiter="\\t"``, ``quotechar=None``, ``utf-8-sig``): quotes are literal text, so a
    sentence that ``utils_preprocess.py``'s ``csv.writer`` quoted keeps its quotes, exactly as in
    the published XTREME runs. Blank lines, on which XTREME's processors crash (``line[0]`` of an
    empty row), are skipped. Ids are the 0-based row positions (XTREME's ``guid`` suffix).
    """
    examples: list[ClassificationExample] = []
    for line_number, line in enumerate(open_text(path), start=1):
        text = line.removeprefix("\ufeff") if line_number == 1 else line
        if not text:
            continue
        fields = text.split("\t")
        if len(fields) not in (2, 3):
            raise DataError(
                path, line_number, f"expected 2 or 3 tab-separated fields, found {len(fields)}"
            )
        label = None
        if len(fields) == 3:
            label = (
                _nli_label(fields[2], path, line_number)
                if nli
                else _binary(fields[2], path, line_number)
            )
        examples.append(
            ClassificationExample(
                id=str(len(examples)), text_a=fields[0], text_b=fields[1], label=label
            )
        )
    return _nonempty(path, examples)
