"""The language table: codes, genealogy, script and pretraining volume of every task language.

That is the 50 XTREME-R languages plus any further language a task carries (Amharic, in the
original LASER Tatoeba release): a study may only name languages this table knows.

The analysis asks "does transfer depend on how much of a language the encoder saw in pretraining,
and on how far it is from English?". The first half needs per-language volumes that can be cited,
so they live in ``languages.csv`` next to this module (sources in ``SOURCES.md``), not in code.

Codes: the table is keyed by ISO 639-1 (what XTREME file names use). ISO 639-3 codes are the
*macrolanguage* codes of the standard 639-1 → 639-3 mapping (``zho``, ``swa``, ``fas``, ``ara``,
``msa``, ``est``, ``aze``, ``que``), which is also what URIEL/lang2vec uses. Datasets often use an
individual language instead (Tatoeba: ``cmn``, ``swh``, ``pes``), so the ``iso639_3_aliases`` column
lists such codes (and ISO 639-2/B codes such as ``ger``); lookups accept them.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from xstilts.errors import DataError, XstiltsError

TABLE_FILE = "languages.csv"

COLUMNS: tuple[str, ...] = (
    "iso639_1",
    "iso639_3",
    "name",
    "family",
    "genus",
    "script",
    "cc100_gib",
    "cc100_tokens_m",
    "wiki_articles",
    "wiki_tokens_m",
    "in_mbert",
    "xtreme",
    "xtreme_r",
    "iso639_3_aliases",
)
_FLOAT_COLUMNS = ("cc100_gib", "cc100_tokens_m", "wiki_tokens_m")
_INT_COLUMNS = ("wiki_articles",)
_BOOL_COLUMNS = ("in_mbert", "xtreme", "xtreme_r")

# Built-in volume tables for ``pretraining_volume``; the Series name carries the unit so that a
# plot or a regression table can never confuse GiB with millions of tokens.
VOLUME_SOURCES: dict[str, str] = {
    "cc100": "cc100_gib",  # XLM-R's pretraining data; GiB is comparable across scripts
    "cc100_tokens": "cc100_tokens_m",  # word counts: under-count ja, zh, th (use GiB for those)
    "wikipedia": "wiki_tokens_m",  # a proxy for mBERT's pretraining data (2020 dump, not 2018)
    "wikipedia_articles": "wiki_articles",  # the size measure of the XTREME paper
}


@dataclass(frozen=True)
class LanguageInfo:
    """One row of the language table.

    ``cc100_tokens_m`` is ``None`` where the published count is unreadable (Ukrainian). Languages
    that CC-100 does not contain (ht, yo, qu, wo) have volume 0: XLM-R never saw them, which makes
    them the natural controls for "no pretraining data".
    """

    iso639_1: str
    iso639_3: str
    name: str
    family: str
    genus: str
    script: str
    cc100_gib: float
    cc100_tokens_m: float | None
    wiki_articles: int
    wiki_tokens_m: float
    in_mbert: bool
    xtreme: bool
    xtreme_r: bool
    iso639_3_aliases: tuple[str, ...]


def _table_path() -> Path:
    return Path(str(resources.files("xstilts.languages") / TABLE_FILE))


def _parse_bool(value: str, path: Path, line: int, column: str) -> bool:
    if value == "true":
        return True
    if value == "false":
        return False
    raise DataError(path, line, f"column {column!r}: expected 'true' or 'false', got {value!r}")


def _parse_number(value: str, path: Path, line: int, column: str, *, integer: bool) -> float | int:
    if value == "" and column == "cc100_tokens_m":
        return math.nan  # allowed: a published count that could not be read (see SOURCES.md)
    try:
        number = int(value) if integer else float(value)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise DataError(path, line, f"column {column!r}: expected {kind}, got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise DataError(
            path, line, f"column {column!r}: expected a finite value >= 0, got {value!r}"
        )
    return number


def read_language_table(path: str | Path) -> pd.DataFrame:
    """Read and validate a language table in the ``languages.csv`` format.

    Validation happens here, once, so that every later lookup can trust the table: codes are
    unique across 639-1, 639-3 and alias columns (otherwise a code would resolve ambiguously),
    numbers are non-negative and booleans are literal ``true``/``false``.
    """
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise DataError(path, 1, f"expected header {','.join(COLUMNS)}")
        records: list[dict[str, object]] = []
        seen: dict[str, int] = {}
        while (row := _next_row(reader, path)) is not None:
            line = reader.line_num
            record: dict[str, object] = {}
            for column in COLUMNS:
                value = (row[column] or "").strip()
                if column in _BOOL_COLUMNS:
                    record[column] = _parse_bool(value, path, line, column)
                elif column in _FLOAT_COLUMNS or column in _INT_COLUMNS:
                    record[column] = _parse_number(
                        value, path, line, column, integer=column in _INT_COLUMNS
                    )
                else:
                    record[column] = value
            iso1, iso3 = str(record["iso639_1"]), str(record["iso639_3"])
            if len(iso1) != 2 or len(iso3) != 3 or not (iso1 + iso3).isalpha():
                raise DataError(path, line, f"bad codes {iso1!r}/{iso3!r}: expected xx and xxx")
            aliases = [a for a in str(record["iso639_3_aliases"]).split(";") if a]
            for code in [iso1, iso3, *aliases]:
                if code != code.lower():
                    raise DataError(path, line, f"code {code!r} must be lower case")
                if code in seen:
                    raise DataError(path, line, f"code {code!r} already used on line {seen[code]}")
                seen[code] = line
            records.append(record)
    if not records:
        raise DataError(path, None, "the language table has no rows")
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    frame["cc100_tokens_m"] = frame["cc100_tokens_m"].astype("float64")
    return frame.set_index("iso639_1", drop=False).rename_axis("language")


@functools.cache
def _cached_table() -> pd.DataFrame:
    return read_language_table(_table_path())


def load_languages() -> pd.DataFrame:
    """The packaged language table, one row per language, indexed by ISO 639-1 code.

    Returns a copy so that callers may add columns (e.g. URIEL distances) without changing what
    the next caller sees.
    """
    return _cached_table().copy()


@functools.cache
def _code_index() -> dict[str, str]:
    """Map every accepted code (639-1, 639-3, aliases) to the 639-1 key of the table."""
    index: dict[str, str] = {}
    for iso1, row in _cached_table().iterrows():
        index[str(iso1)] = str(iso1)
        index[row["iso639_3"]] = str(iso1)
        for alias in row["iso639_3_aliases"].split(";"):
            if alias:
                index[alias] = str(iso1)
    return index


def _resolve(code: str) -> str:
    key = code.strip().lower() if isinstance(code, str) else code
    iso1 = _code_index().get(key) if isinstance(key, str) else None
    if iso1 is None:
        known = ", ".join(_cached_table().index)
        raise XstiltsError(f"unknown language {code!r}; known: {known}")
    return iso1


def is_known(code: str) -> bool:
    """Whether ``code`` (639-1, 639-3 or an alias) names a language of the table."""
    return isinstance(code, str) and code.strip().lower() in _code_index()


def language(code: str) -> LanguageInfo:
    """Look up one language by ISO 639-1, ISO 639-3 or alias code (case-insensitive).

    Raises :class:`XstiltsError` for an unknown code, listing the known ones, because a typo in a
    study file should stop the run with a message rather than silently drop a language.
    """
    row = _cached_table().loc[_resolve(code)]
    tokens = float(row["cc100_tokens_m"])
    return LanguageInfo(
        iso639_1=row["iso639_1"],
        iso639_3=row["iso639_3"],
        name=row["name"],
        family=row["family"],
        genus=row["genus"],
        script=row["script"],
        cc100_gib=float(row["cc100_gib"]),
        cc100_tokens_m=None if math.isnan(tokens) else tokens,
        wiki_articles=int(row["wiki_articles"]),
        wiki_tokens_m=float(row["wiki_tokens_m"]),
        in_mbert=bool(row["in_mbert"]),
        xtreme=bool(row["xtreme"]),
        xtreme_r=bool(row["xtreme_r"]),
        iso639_3_aliases=tuple(a for a in row["iso639_3_aliases"].split(";") if a),
    )


def to_iso639_3(code: str) -> str:
    """The table's ISO 639-3 code: the macrolanguage code (``zh`` → ``zho``, ``cmn`` → ``zho``)."""
    return str(_cached_table().at[_resolve(code), "iso639_3"])


def to_iso639_1(code: str) -> str:
    """The ISO 639-1 code that keys results and XTREME file names (``swh`` → ``sw``)."""
    return _resolve(code)


def task_key(code: str) -> str:
    """The key tasks use for a language a user typed (``swh``, ``deu``, ``SW`` → ``sw``); a code
    the table does not know is returned as given, so the caller's error can name it."""
    return to_iso639_1(code) if is_known(code) else code


def pretraining_volume(source: str | Path = "cc100") -> pd.Series:
    """Pretraining volume per language, as a float Series indexed by ISO 639-1 code.

    ``source`` is one of :data:`VOLUME_SOURCES` (``"cc100"`` GiB, ``"cc100_tokens"``,
    ``"wikipedia"`` millions of tokens, ``"wikipedia_articles"``) or the path of a user CSV with the
    header ``language,volume``. The table is pluggable because the right volume depends on the
    encoder: CC-100 for XLM-R, Wikipedia for mBERT, something else for a new model. Codes in a user
    file are normalised to 639-1 when the table knows them and kept (lower-cased) otherwise, so a
    study may add languages outside XTREME-R.
    """
    if isinstance(source, str) and source in VOLUME_SOURCES:
        column = VOLUME_SOURCES[source]
        series = _cached_table()[column].astype("float64").copy()
        series.name = column
        return series
    path = Path(source)
    if path.suffix.lower() != ".csv" and not path.exists():
        choices = ", ".join(VOLUME_SOURCES)
        raise XstiltsError(
            f"unknown pretraining-volume source {str(source)!r}; expected one of {choices} "
            "or the path of a CSV file with columns language,volume"
        )
    return read_volume_csv(path)


_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]{1,3})?")


def _next_row(reader: Any, path: Path) -> Any:
    """The next row of a ``csv.reader``/``DictReader`` (None at the end); csv errors name a line."""
    try:
        return next(reader, None)
    except csv.Error as error:
        raise DataError(path, reader.line_num + 1, f"malformed csv ({error})") from None


def read_volume_csv(path: str | Path) -> pd.Series:
    """Read a user volume table (``language,volume``); errors name the file and line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, "pretraining-volume file not found")
    volumes: dict[str, float] = {}
    lines: dict[str, int] = {}
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(path, line, f"not valid UTF-8 ({error.reason})") from None
    with io.StringIO(text, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header] != ["language", "volume"]:
            raise DataError(path, 1, f"expected header 'language,volume', got {header!r:.80}")
        while (row := _next_row(reader, path)) is not None:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != 2:
                raise DataError(path, line, f"expected 2 fields (language,volume), got {len(row)}")
            raw_code, raw_volume = row[0].strip(), row[1].strip()
            if not raw_code:
                raise DataError(path, line, "empty language code")
            if not _DECIMAL.fullmatch(raw_volume):  # float() also takes '١', '1_0', 'nan'
                raise DataError(path, line, f"volume {raw_volume!r:.40} is not a number")
            volume = float(raw_volume)
            if not math.isfinite(volume) or volume < 0:
                raise DataError(path, line, f"volume {raw_volume!r}: expected a finite value >= 0")
            code = to_iso639_1(raw_code) if is_known(raw_code) else raw_code.lower()
            if code in volumes:
                raise DataError(
                    path, line, f"language {code!r} already given on line {lines[code]}"
                )
            volumes[code] = volume
            lines[code] = line
    if not volumes:
        raise DataError(path, None, "no volume rows")
    series = pd.Series(volumes, dtype="float64", name="volume")
    series.index.name = "language"
    return series
