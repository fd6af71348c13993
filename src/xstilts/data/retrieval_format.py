"""Retrieval releases: BUCC 2018, Tatoeba, LAReQA (XQuAD-R) and Mewsli-X.

* **BUCC 2018** (``comparable.limsi.fr/bucc2018``; XTREME ``scripts/download_data.sh``
  ``download_bucc18`` renames ``training``→``test`` and ``sample``→``dev``): per language
  ``{src}-en.{split}.{src}`` and ``{src}-en.{split}.en`` with ``id<TAB>sentence`` lines
  (``de-000000001``), and ``{src}-en.{split}.gold`` with ``src_id<TAB>en_id`` lines. XTREME
  deletes the test gold; a missing gold file gives ``gold=()``.
* **Tatoeba** (``facebookresearch/LASER`` ``data/tatoeba/v1``): ``tatoeba.{xxx}-eng.{xxx}`` and
  ``tatoeba.{xxx}-eng.eng``, line *i* of one translating line *i* of the other (ISO 639-3 codes).
  XTREME's preprocessing sorts the English side to hide this; we read the aligned originals.
* **LAReQA / XQuAD-R** (``google-research-datasets/lareqa`` ``xquad-r/{lang}.json``): XQuAD in
  SQuAD layout plus ``sentence_breaks`` per paragraph. :func:`read_lareqa` builds the pool as
  XTREME's ``third_party/utils_lareqa.py`` ``load_data`` does (ids included).
* **Mewsli-X** (``google-research/google-research`` ``dense_representations_for_entity_retrieval/
  mel``, ``mewsli-x.md`` and ``mewsli_x/schema.py``): ``wikinews_mentions-{dev,test}.jsonl``
  (XTREME shards them to ``wikinews_mentions/{split}-{lang}.jsonl``), ``candidate_set_entities
  .jsonl`` and ``wikipedia_pairs-{train,dev}.jsonl``. Spans are ``{start, end}`` character
  offsets; mention spans also carry their ``text``, which must match the context.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from xstilts.data.examples import (
    AnswerPool,
    EntityDescription,
    EntityMention,
    MentionEntityPair,
    PoolCandidate,
    PoolQuestion,
    RetrievalPair,
)
from xstilts.data.json_records import iter_jsonl_records, read_json_document, require
from xstilts.data.readers import clipped, open_text, shown
from xstilts.errors import DataError

# --------------------------------------------------------------------------------------------
# BUCC 2018
# --------------------------------------------------------------------------------------------


def read_bucc2018(directory: str | Path, language: str, split: str) -> RetrievalPair:
    """Read one BUCC 2018 language pair from XTREME's download folder (``split``: dev/test)."""
    directory = Path(directory)
    stem = directory / f"{language}-en.{split}"
    gold = Path(f"{stem}.gold")
    return read_bucc2018_files(
        Path(f"{stem}.{language}"),
        Path(f"{stem}.en"),
        gold if gold.is_file() else None,
        language=language,
    )


#: What a blank line of a BUCC gold file is to the official scorer: ``bucc_eval`` reads the gold
#: as ``{line.strip() for line in open(gold_file)}``, so blank lines add one ``""`` entry, which
#: no mined pair matches but which counts in the recall denominator. It is kept as this pair.
BUCC_BLANK_GOLD = ("", "")


def read_bucc2018_files(
    source_path: str | Path,
    target_path: str | Path,
    gold_path: str | Path | None,
    *,
    language: str,
) -> RetrievalPair:
    """Read BUCC's ``id<TAB>sentence`` files and optional gold pairs into a :class:`RetrievalPair`.

    Gold ids must exist on their side: a gold file from another split would otherwise score as
    plain misses. Read as XTREME's ``scripts/run_bucc2018.sh`` and ``third_party/utils_retrieve.py``
    read them: ids are ``cut -f1`` and sentences ``cut -f2`` of each line, both stripped; a gold
    line is stripped as a whole (whitespace *inside* it is kept, so such a pair names an unknown
    id), and blank gold lines count as :data:`BUCC_BLANK_GOLD`.
    """
    source_ids, source = _read_id_sentences(Path(source_path))
    target_ids, target = _read_id_sentences(Path(target_path))
    gold: list[tuple[str, str]] = []
    if gold_path is not None:
        known_source, known_target = set(source_ids), set(target_ids)
        for line_number, line in enumerate(open_text(gold_path), start=1):
            if not line.strip():
                gold.append(BUCC_BLANK_GOLD)
                continue
            fields = line.strip().split("\t")
            if len(fields) != 2:
                raise DataError(gold_path, line_number, "expected source_id<TAB>en_id")
            if fields[0] not in known_source or fields[1] not in known_target:
                raise DataError(
                    gold_path,
                    line_number,
                    f"gold pair {clipped(fields[0])}/{clipped(fields[1])} names an unknown id",
                )
            gold.append((fields[0], fields[1]))
        if not [pair for pair in gold if pair != BUCC_BLANK_GOLD]:
            raise DataError(gold_path, None, "empty file; expected source_id<TAB>en_id lines")
    return RetrievalPair(
        language=language,
        source_ids=tuple(source_ids),
        source=tuple(source),
        target_ids=tuple(target_ids),
        target=tuple(target),
        gold=tuple(gold),
    )


def _read_id_sentences(path: Path) -> tuple[list[str], list[str]]:
    ids: list[str] = []
    sentences: list[str] = []
    seen: set[str] = set()
    for line_number, line in enumerate(open_text(path), start=1):
        if not line.strip():
            continue
        sentence_id, tab, sentence = line.partition("\t")
        sentence_id = sentence_id.strip()  # run_bucc2018.sh: cut -f1, read back stripped
        if not tab or not sentence_id:
            raise DataError(path, line_number, "expected id<TAB>sentence")
        if sentence_id in seen:
            raise DataError(path, line_number, f"id {shown(sentence_id)} appears twice")
        seen.add(sentence_id)
        ids.append(sentence_id)
        sentences.append(sentence.split("\t")[0].strip())  # cut -f2, read back stripped
    if not ids:
        raise DataError(path, None, "empty file; expected id<TAB>sentence lines")
    return ids, sentences


# --------------------------------------------------------------------------------------------
# LAReQA (XQuAD-R)
# --------------------------------------------------------------------------------------------


def read_lareqa(directory: str | Path, languages: list[str] | None = None) -> AnswerPool:
    """Read XQuAD-R ``{lang}.json`` files into one multilingual question/answer pool.

    As in XTREME's ``utils_lareqa.load_data``: question ids are ``{qas id}_{lang}`` (the qas id
    is the cross-language ``xling_id``); every sentence of a paragraph that has at least one
    usable question is a candidate with id ``{lang}_{paragraph number from 1}_{sentence index}``;
    each question must have exactly one answer, and the candidates whose text equals the
    sentence holding ``answer_start`` are its gold answers. A question whose answer starts in no
    sentence (a sentence-break error) is skipped with a warning, as XTREME does. Files are read
    in sorted language order, so the pool order is deterministic.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(directory, None, "directory not found; expected xquad-r/{lang}.json")
    files = sorted(directory.glob("*.json"))
    if languages is not None:
        wanted = set(languages)
        missing = wanted - {file.stem for file in files}
        if missing:
            raise DataError(
                directory, None, f"no file for language(s) {', '.join(sorted(missing))}"
            )
        files = [file for file in files if file.stem in wanted]
    if not files:
        raise DataError(directory, None, "no {lang}.json files found")
    questions: list[PoolQuestion] = []
    candidates: list[PoolCandidate] = []
    gold: list[tuple[str, str]] = []
    seen_questions: set[str] = set()
    for file in files:
        _read_lareqa_file(file, file.stem, questions, candidates, gold, seen_questions)
    return AnswerPool(questions=tuple(questions), candidates=tuple(candidates), gold=tuple(gold))


def _read_lareqa_file(
    path: Path,
    language: str,
    questions: list[PoolQuestion],
    candidates: list[PoolCandidate],
    gold: list[tuple[str, str]],
    seen_questions: set[str],
) -> None:
    document = read_json_document(path)
    if not isinstance(document, dict):
        raise DataError(path, None, "expected a json object with a 'data' list")
    paragraph_number = 0
    for article_index, article in enumerate(require(document, "data", list, path, None)):
        where = f"data[{article_index}]"
        for paragraph in require(article, "paragraphs", list, path, None, where):
            paragraph_number += 1
            context_id = f"{language}_{paragraph_number}"
            where = f"paragraph {context_id}"
            context = require(paragraph, "context", str, path, None, where)
            breaks = _sentence_breaks(path, paragraph, context, where)
            sentences = [context[start:end] for start, end in breaks]
            paragraph_added = False
            for qa in require(paragraph, "qas", list, path, None, where):
                xling_id = str(require(qa, "id", (str, int), path, None, where))
                answer_sentence = _answer_sentence(path, qa, xling_id, context, breaks)
                if answer_sentence is None:
                    warnings.warn(
                        f"{path}: question {xling_id!r} skipped: its answer starts in no sentence",
                        stacklevel=2,
                    )
                    continue
                question_id = f"{xling_id}_{language}"
                if question_id in seen_questions:
                    raise DataError(path, None, f"question id {xling_id!r} appears twice")
                seen_questions.add(question_id)
                questions.append(
                    PoolQuestion(
                        id=question_id,
                        xling_id=xling_id,
                        language=language,
                        question=require(qa, "question", str, path, None, f"question {xling_id!r}"),
                    )
                )
                if not paragraph_added:
                    candidates.extend(
                        PoolCandidate(
                            id=f"{context_id}_{position}",
                            language=language,
                            sentence=sentence,
                            context=context,
                        )
                        for position, sentence in enumerate(sentences)
                    )
                    paragraph_added = True
                gold.extend(
                    (xling_id, f"{context_id}_{position}")
                    for position, sentence in enumerate(sentences)
                    if sentence == answer_sentence
                )


def _answer_sentence(
    path: Path, qa: Any, xling_id: str, context: str, breaks: list[tuple[int, int]]
) -> str | None:
    """The sentence holding the start of the question's one answer; None if no sentence does."""
    answers = require(qa, "answers", list, path, None, f"question {xling_id!r}")
    if len(answers) != 1:
        raise DataError(
            path,
            None,
            f"question {xling_id!r}: expected exactly one answer, found {len(answers)}",
        )
    answer_start = require(answers[0], "answer_start", int, path, None, f"question {xling_id!r}")
    return next(
        (context[start:end] for start, end in breaks if start <= answer_start < end),
        None,
    )


def _sentence_breaks(
    path: Path, paragraph: dict[str, Any], context: str, where: str
) -> list[tuple[int, int]]:
    raw = require(paragraph, "sentence_breaks", list, path, None, where)
    breaks: list[tuple[int, int]] = []
    for pair in raw:
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in pair)
            or not 0 <= pair[0] < pair[1] <= len(context)
        ):
            raise DataError(
                path,
                None,
                f"{where}: sentence break {shown(pair)} is not a [start, end] in the context",
            )
        breaks.append((pair[0], pair[1]))
    return breaks


# --------------------------------------------------------------------------------------------
# Mewsli-X
# --------------------------------------------------------------------------------------------


def read_mewslix_mentions(path: str | Path) -> list[EntityMention]:
    """Read WikiNews mentions (one article per line, one or more mentions each), one per mention.

    The released ``wikinews_mentions_no_text-*.jsonl`` have empty article text; reading one is
    an error that says to run the release's ``get-mewsli-x.sh``. An empty ``entity_id`` (how
    XTREME hides test labels) becomes ``None``.
    """
    mentions: list[EntityMention] = []
    for line, record in iter_jsonl_records(path):
        context = require(record, "context", dict, path, line)
        for mention in require(record, "mentions", list, path, line):
            if not isinstance(mention, dict):
                raise DataError(path, line, "mentions should hold objects")
            mentions.append(_mention(path, line, context, mention))
    return mentions


def read_mewslix_entities(path: str | Path) -> list[EntityDescription]:
    """Read ``candidate_set_entities.jsonl``: the fixed pool of ~1M entity descriptions."""
    return [_entity(path, line, record) for line, record in iter_jsonl_records(path)]


def read_mewslix_pairs(path: str | Path) -> list[MentionEntityPair]:
    """Read ``wikipedia_pairs-{train,dev}.jsonl``: ``{contextual_mention, entity}`` per line."""
    pairs: list[MentionEntityPair] = []
    for line, record in iter_jsonl_records(path):
        contextual = require(record, "contextual_mention", dict, path, line)
        mention = _mention(
            path,
            line,
            require(contextual, "context", dict, path, line, "contextual_mention"),
            require(contextual, "mention", dict, path, line, "contextual_mention"),
        )
        entity = _entity(path, line, require(record, "entity", dict, path, line))
        pairs.append(MentionEntityPair(mention=mention, entity=entity))
    return pairs


def _mention(
    path: str | Path, line: int, context: dict[str, Any], mention: dict[str, Any]
) -> EntityMention:
    text = require(context, "text", str, path, line, "context")
    if not text:
        raise DataError(
            path,
            line,
            "context.text is empty: this is a *_no_text release; run get-mewsli-x.sh to restore it",
        )
    example_id = require(mention, "example_id", str, path, line, "mention")
    where = f"mention {shown(example_id)}"
    span = require(mention, "mention_span", dict, path, line, where)
    start = require(span, "start", int, path, line, where)
    end = require(span, "end", int, path, line, where)
    surface = require(span, "text", str, path, line, where)
    if not 0 <= start < end <= len(text) or text[start:end] != surface:
        raise DataError(
            path,
            line,
            f"{where}: span {shown(start)}-{shown(end)} does not hold {shown(surface)} in the text",
        )
    entity_id = require(mention, "entity_id", str, path, line, where)
    return EntityMention(
        id=example_id,
        language=require(context, "language", str, path, line, "context"),
        document_id=require(context, "document_id", str, path, line, "context"),
        text=text,
        sentence_spans=_spans(path, line, context, text, "context"),
        mention_start=start,
        mention_end=end,
        entity_id=entity_id or None,
    )


def _entity(path: str | Path, line: int, record: dict[str, Any]) -> EntityDescription:
    description = require(record, "description", str, path, line, "entity")
    return EntityDescription(
        entity_id=require(record, "entity_id", str, path, line, "entity"),
        title=require(record, "title", str, path, line, "entity"),
        language=require(record, "description_language", str, path, line, "entity"),
        description=description,
        sentence_spans=_spans(path, line, record, description, "entity"),
        url=require(record, "description_url", str, path, line, "entity"),
    )


def _spans(
    path: str | Path, line: int, record: dict[str, Any], text: str, where: str
) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    for span in require(record, "sentence_spans", list, path, line, where):
        if not isinstance(span, dict):
            raise DataError(
                path, line, f"{where}: sentence_spans should hold {{start, end}} objects"
            )
        start = require(span, "start", int, path, line, f"{where}.sentence_spans[]")
        end = require(span, "end", int, path, line, f"{where}.sentence_spans[]")
        if not 0 <= start < end <= len(text):
            raise DataError(
                path, line, f"{where}: sentence span {start}-{end} lies outside the text"
            )
        spans.append((start, end))
    return tuple(spans)
