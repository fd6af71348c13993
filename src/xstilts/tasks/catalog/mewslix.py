"""Mewsli-X (XTREME-R): WikiNews entity mentions ranked against ~1M entity descriptions
(protocol ``ranking``), a target scored straight from an encoder.

The readers' glue, the query and entity texts of XTREME-R's recipe, the language detection and
the spec; the readers live in :mod:`xstilts.data.retrieval_format`.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from xstilts.data.examples import EntityDescription, EntityMention, RankingSet
from xstilts.data.retrieval_format import (
    read_mewslix_entities,
    read_mewslix_mentions,
)
from xstilts.errors import DataError
from xstilts.tasks.benchmarks import TASK_LANGUAGES, XTREME_R
from xstilts.tasks.layout import file_key, first_file
from xstilts.tasks.spec import TaskSpec

MEWSLIX_CANDIDATES = "candidate_set_entities.jsonl"
# utils_mewslix.py: mention markers, and how a marker already in the text is escaped.
_MARKER_LEFT, _MARKER_RIGHT = "{", "}"
_MARKER_PATTERN = re.compile(rf"{re.escape(_MARKER_LEFT)}(.*?){re.escape(_MARKER_RIGHT)}")
_MARKER_ESCAPE = r"(\1)"


def _light_normalize(text: str) -> str:
    """``utils_mewslix``: lines joined by spaces, one pass of double-space removal, stripped."""
    return " ".join(text.splitlines()).replace("  ", " ").strip()


def mewslix_query_text(mention: EntityMention) -> str | None:
    """The baseline query string of ``utils_mewslix.preprocess_mention``.

    Only the sentence holding the mention is kept; the mention is set off by ``{ }`` markers
    (markers already in the sentence become parentheses) and prepended with a colon, so it
    survives truncation: ``Smith: The verdict came back for { Smith }, who ...``. Returns None
    when no single sentence holds the mention (the reference asserts then).
    """
    start, end = mention.mention_start, mention.mention_end
    sentence = next(
        (
            (s, e)
            for s, e in mention.sentence_spans
            if s <= start < e and s < end <= e  # utils_mewslix Span.locate_in
        ),
        None,
    )
    if sentence is None:
        return None
    surface = mention.text[start:end]
    left = _MARKER_PATTERN.sub(_MARKER_ESCAPE, mention.text[sentence[0] : start])
    right = _MARKER_PATTERN.sub(_MARKER_ESCAPE, mention.text[end : sentence[1]])
    query = f"{surface}: {left} {_MARKER_LEFT} {surface} {_MARKER_RIGHT} {right}"
    return _light_normalize(query)


def mewslix_entity_text(entity: EntityDescription) -> str:
    """``utils_mewslix.preprocess_entity_description``: the description's sentences, normalised."""
    return _light_normalize(" ".join(entity.description[s:e] for s, e in entity.sentence_spans))


@functools.lru_cache(maxsize=2)
def _mewslix_pool(path: str, mtime_ns: int, size: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Candidate entity ids and texts, read once per file version (the pool has ~1M entities)."""
    entities = read_mewslix_entities(path)
    ids = tuple(entity.entity_id for entity in entities)
    if len(set(ids)) != len(ids):
        duplicate = next(i for i, count in Counter(ids).items() if count > 1)
        raise DataError(path, None, f"entity {duplicate!r} appears twice in the candidate set")
    return ids, tuple(mewslix_entity_text(entity) for entity in entities)


@functools.lru_cache(maxsize=2)
def _mewslix_mentions_by_language(
    path: str, mtime_ns: int, size: int
) -> dict[str, tuple[EntityMention, ...]]:
    grouped: dict[str, list[EntityMention]] = {}
    for mention in read_mewslix_mentions(path):
        grouped.setdefault(mention.language, []).append(mention)
    return {language: tuple(mentions) for language, mentions in grouped.items()}


def _mewslix_mention_candidates(split: str, language: str) -> list[str]:
    """XTREME's per-language shard, else the release's file with every language."""
    return [f"wikinews_mentions/{split}-{language}.jsonl", f"wikinews_mentions-{split}.jsonl"]


def _mewslix_mentions(path: Path, language: str) -> Sequence[EntityMention]:
    grouped = _mewslix_mentions_by_language(*file_key(path))
    if path.parent.name == "wikinews_mentions":  # an XTREME shard holds one language only
        others = sorted(set(grouped) - {language})
        if others:
            raise DataError(path, None, f"expected only {language!r} mentions, found {others}")
    return grouped.get(language, ())


def load_mewslix(task_dir: Path, split: str, language: str) -> list[RankingSet]:
    """WikiNews mentions in ``language`` against the whole multilingual entity pool.

    Layouts: XTREME's ``wikinews_mentions/{split}-{lang}.jsonl`` (test labels blanked by
    ``utils_preprocess.py``) or the release's ``wikinews_mentions-{split}.jsonl``; the pool is
    ``candidate_set_entities.jsonl`` (``evaluate_retrieval.py``, task ``mewslix``). A mention
    whose entity id is empty is predicted but not scored.
    """
    candidates = _mewslix_mention_candidates(split, language)
    path = first_file(task_dir, candidates, f"Mewsli-X {split} mentions for {language!r}")
    mentions = _mewslix_mentions(path, language)
    if not mentions:
        raise DataError(path, None, f"no mentions in language {language!r}")
    queries: list[str] = []
    for mention in mentions:
        query = mewslix_query_text(mention)
        if query is None:
            raise DataError(
                path, None, f"mention {mention.id!r}: no single sentence span holds the mention"
            )
        queries.append(query)
    pool_ids, pool_texts = _mewslix_pool(*file_key(task_dir / MEWSLIX_CANDIDATES))
    return [
        RankingSet(
            language=language,
            query_ids=tuple(mention.id for mention in mentions),
            queries=tuple(queries),
            relevant=tuple((m.entity_id,) if m.entity_id else () for m in mentions),
            candidate_ids=pool_ids,
            candidates=pool_texts,
        )
    ]


def mewslix_languages_found(task_dir: Path, split: str) -> list[str]:
    """Official mention languages present for ``split`` (shards, or inside the combined file)."""
    combined = task_dir / f"wikinews_mentions-{split}.jsonl"
    in_combined: set[str] = set()
    if combined.is_file():
        in_combined = set(_mewslix_mentions_by_language(*file_key(combined)))
    return [
        language
        for language in TASK_LANGUAGES[XTREME_R]["mewslix"]
        if (task_dir / "wikinews_mentions" / f"{split}-{language}.jsonl").is_file()
        or language in in_combined
    ]


SPEC = TaskSpec(
    name="mewslix",
    family="retrieval",
    languages=TASK_LANGUAGES[XTREME_R]["mewslix"],
    load=load_mewslix,
    languages_found=mewslix_languages_found,
    metric="map@20",
    scorer="ranking_one_gold",
    prediction_suffix="json",
    protocol="ranking",
    train_split=None,  # XTREME-R trains a dual encoder on wikipedia_pairs-train (not here)
    dev_split="dev",
    test_split="test",
    description="Mewsli-X WikiNews entity linking as retrieval from ~1M entity descriptions",
    defaults={"query_max_length": 64, "candidate_max_length": 64},  # run_eval_mewslix.sh
    citation=(
        "Botha, Shan & Gillick 2020. Entity Linking in 100 Languages. EMNLP; Mewsli-X "
        "as in Ruder et al. 2021 (XTREME-R, EMNLP)"
    ),
    source="google-research dense_representations_for_entity_retrieval/mel (Botha et al. 2020)",
)
