"""The example types every reader returns, one per task family.

Readers turn an official file into a list of these; featurizers turn them into tensors. Keeping
them plain frozen dataclasses means a reader can be tested without a tokenizer or a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClassificationExample:
    """One sentence or sentence pair with a label (XNLI, PAWS-X, MNLI, QQP, SST-2)."""

    id: str
    text_a: str
    text_b: str | None
    label: str | None  # None where the release hides test labels


@dataclass(frozen=True)
class MultipleChoiceExample:
    """A context, an optional question and N candidate endings (XCOPA, HellaSwag, CosmosQA)."""

    id: str
    context: str
    question: str
    choices: tuple[str, ...]
    label: int | None


@dataclass(frozen=True)
class TaggingExample:
    """One sentence as gold tokens with one tag each (UD-POS, PAN-X NER, CCG)."""

    id: str
    tokens: tuple[str, ...]
    tags: tuple[str, ...] | None


@dataclass(frozen=True)
class SpanQAExample:
    """A SQuAD-style question over a context; answers carry character offsets."""

    id: str
    question: str
    context: str
    answer_texts: tuple[str, ...]
    answer_starts: tuple[int, ...]
    is_impossible: bool = False


@dataclass(frozen=True)
class RetrievalPair:
    """A parallel-sentence set for bitext retrieval (Tatoeba, BUCC).

    ``source`` are the non-English sentences, ``target`` the English ones; ``gold`` maps a
    source id to the id of its translation (for Tatoeba the line index).
    """

    language: str
    source_ids: tuple[str, ...]
    source: tuple[str, ...]
    target_ids: tuple[str, ...]
    target: tuple[str, ...]
    gold: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class EntityMention:
    """One Mewsli-X entity mention in its document: the query side of entity retrieval.

    The whole document is kept (``text`` with its ``sentence_spans``) because the reference
    recipe cuts the mention's own sentence out of it at featurization time; ``entity_id`` is the
    gold WikiData QID, None where the release hides test labels.
    """

    id: str
    language: str
    document_id: str
    text: str
    sentence_spans: tuple[tuple[int, int], ...]
    mention_start: int
    mention_end: int
    entity_id: str | None


@dataclass(frozen=True)
class EntityDescription:
    """One candidate entity of Mewsli-X: the passage side of entity retrieval."""

    entity_id: str
    title: str
    language: str
    description: str
    sentence_spans: tuple[tuple[int, int], ...]
    url: str


@dataclass(frozen=True)
class MentionEntityPair:
    """A Mewsli-X training pair: an English Wikipedia mention and the entity it links to."""

    mention: EntityMention
    entity: EntityDescription


@dataclass(frozen=True)
class PoolQuestion:
    """A LAReQA question; ``xling_id`` is shared by its translations in the other languages."""

    id: str
    xling_id: str
    language: str
    question: str


@dataclass(frozen=True)
class PoolCandidate:
    """A LAReQA candidate answer: one context sentence, with its paragraph as extra context."""

    id: str
    language: str
    sentence: str
    context: str


@dataclass(frozen=True)
class AnswerPool:
    """A multilingual answer-retrieval pool (LAReQA / XQuAD-R).

    Every sentence of every paragraph in every language is a candidate; ``gold`` pairs a
    question's ``xling_id`` with each candidate that answers it, so a question has one correct
    answer per language and the pool is shared by all questions.
    """

    questions: tuple[PoolQuestion, ...]
    candidates: tuple[PoolCandidate, ...]
    gold: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RankingSet:
    """Queries of one language ranked against a shared candidate pool (LAReQA, Mewsli-X).

    ``relevant[i]`` holds the ids of the candidates that answer query ``i``; it is empty where the
    release hides the gold (Mewsli-X test), and such queries are predicted but not scored. The
    texts are already in the form the encoder sees (the task's loader applies the reference
    preprocessing).
    """

    language: str
    query_ids: tuple[str, ...]
    queries: tuple[str, ...]
    relevant: tuple[tuple[str, ...], ...]
    candidate_ids: tuple[str, ...]
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class TextExample:
    """One line of raw text for masked-LM (``id`` = ``file:line``, relative to the task folder)."""

    id: str
    language: str
    text: str


def first_unlabelled(examples: Sequence[object]) -> str | None:
    """The id of the first example without gold, or None when every example has it.

    Readers accept unlabelled files (released test splits hide their labels), so a train or dev
    file whose label column is missing would otherwise train on nothing or score 0: the caller
    that knows the split decides whether gold is required.
    """
    for example in examples:
        if not _labelled(example):
            return str(getattr(example, "id", ""))
    return None


def any_labelled(examples: Sequence[object]) -> bool:
    """Whether at least one example carries gold (a split is scorable only if all do)."""
    return any(_labelled(example) for example in examples)


def _labelled(example: object) -> bool:
    if isinstance(example, ClassificationExample | MultipleChoiceExample):
        return example.label is not None
    if isinstance(example, TaggingExample):
        return example.tags is not None
    if isinstance(example, SpanQAExample):
        return example.is_impossible or bool(example.answer_texts)
    return True
