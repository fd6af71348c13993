"""Authored English for the controlled experiment: a small grammar, its sentences and NLI pairs.

The controlled design (issue "Beyond observation") needs far more English text than the demo
ships — pretraining corpora whose size is set by design, an intermediate task, a target task and
parallel sentences — and every sentence must be written for the project. So we author a lexicon
and a handful of templates and *generate* from them, deterministically from a seed.

Sentences follow one clause shape, ``DET (ADJ) NOUN VERB DET (ADJ) OBJECT (PLACE) (TIME) .``, e.g.
"the tired baker carries a heavy basket near the river in the morning ." Tokens are separated by
single spaces and the final full stop is its own token, so the transformations of
``pretraining.synthetic`` work on words without a tokenizer.

NLI pairs get their label by construction, in the spirit of MNLI's three classes
(Williams et al. 2018) but with rules a reader can check:

- **entailment**: the hypothesis keeps the premise's core (subject, verb, object) and drops some of
  its optional modifiers, so everything it says is said by the premise;
- **contradiction**: the hypothesis negates the premise's verb ("does not carry") or swaps one of
  its adjectives for the antonym ("tired" -> "rested");
- **neutral**: the hypothesis adds a modifier the premise does not mention (a place, a time or an
  adjective), so the premise neither implies nor excludes it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

DETERMINERS = ("the", "a", "my", "our", "this", "that", "every", "one")
PEOPLE = (
    "teacher", "farmer", "doctor", "child", "student", "baker", "pilot", "singer", "nurse",
    "driver", "painter", "sailor", "writer", "cook", "guard", "miner", "dancer", "judge",
    "tailor", "hunter", "fisher", "porter", "clerk", "poet", "smith", "player", "walker",
    "builder", "keeper", "trader",
)  # fmt: skip
# (adjective, antonym): a contradiction swaps one for the other.
PERSON_ADJECTIVES = (
    ("tall", "short"), ("young", "old"), ("quiet", "loud"), ("busy", "idle"),
    ("clever", "foolish"), ("tired", "rested"), ("happy", "sad"), ("rich", "poor"),
    ("kind", "cruel"), ("calm", "nervous"), ("strong", "weak"), ("careful", "careless"),
)  # fmt: skip
# (base form, third person singular): negation needs the base form ("does not carry").
VERBS = (
    ("read", "reads"), ("write", "writes"), ("paint", "paints"), ("carry", "carries"),
    ("buy", "buys"), ("sell", "sells"), ("clean", "cleans"), ("find", "finds"),
    ("open", "opens"), ("build", "builds"), ("hold", "holds"), ("fix", "fixes"),
    ("move", "moves"), ("wash", "washes"), ("keep", "keeps"), ("lose", "loses"),
    ("bring", "brings"), ("hide", "hides"), ("draw", "draws"), ("send", "sends"),
)  # fmt: skip
OBJECTS = (
    "book", "letter", "box", "chair", "basket", "window", "door", "wagon", "lamp", "cup",
    "table", "bag", "coat", "map", "ring", "key", "bottle", "drum", "rope", "boat",
    "bench", "plate", "hat", "kite", "bell", "card", "shoe", "clock", "mirror", "ladder",
)  # fmt: skip
OBJECT_ADJECTIVES = (
    ("red", "green"), ("small", "large"), ("heavy", "light"), ("new", "old"),
    ("wooden", "metal"), ("clean", "dirty"), ("full", "empty"), ("cheap", "costly"),
    ("round", "square"), ("bright", "dark"),
)  # fmt: skip
PLACES = (
    "in the garden", "at the market", "near the river", "in the kitchen", "on the hill",
    "by the station", "in the village", "at the harbour", "behind the school", "in the forest",
    "under the bridge", "at the square",
)  # fmt: skip
TIMES = (
    "in the morning", "at night", "every day", "after lunch", "before dawn", "on sunday",
    "in the evening", "at noon", "in winter", "in summer",
)  # fmt: skip

NLI_LABELS = ("entailment", "neutral", "contradiction")  # MNLI's label names


@dataclass(frozen=True)
class Clause:
    """One sentence of the grammar, kept as parts so NLI hypotheses can be derived from it."""

    subject_det: str
    subject_adj: str | None  # None: no adjective
    subject: str
    verb: int  # index into VERBS
    negated: bool
    object_det: str
    object_adj: str | None
    obj: str
    place: str | None
    time: str | None

    def text(self) -> str:
        """The sentence: lower case, one space between tokens, the full stop a token of its own."""
        base, third = VERBS[self.verb]
        words = [self.subject_det, self.subject_adj, self.subject]
        words += ["does", "not", base] if self.negated else [third]
        words += [self.object_det, self.object_adj, self.obj, self.place, self.time, "."]
        return " ".join(word for word in words if word)


def _maybe(rng: random.Random, probability: float, value: str) -> str | None:
    return value if rng.random() < probability else None


def random_clause(rng: random.Random, richness: float = 0.6) -> Clause:
    """A random clause; each optional part is present with probability ``richness``."""
    return Clause(
        subject_det=rng.choice(DETERMINERS),
        subject_adj=_maybe(rng, richness, rng.choice(PERSON_ADJECTIVES)[0]),
        subject=rng.choice(PEOPLE),
        verb=rng.randrange(len(VERBS)),
        negated=False,
        object_det=rng.choice(DETERMINERS),
        object_adj=_maybe(rng, richness, rng.choice(OBJECT_ADJECTIVES)[0]),
        obj=rng.choice(OBJECTS),
        place=_maybe(rng, richness, rng.choice(PLACES)),
        time=_maybe(rng, richness * 0.7, rng.choice(TIMES)),
    )


def sentences(count: int, seed: int) -> list[str]:
    """``count`` sentences of the grammar, a pure function of ``seed``."""
    rng = random.Random(f"sentences:{seed}")
    return [random_clause(rng).text() for _ in range(count)]


def _entailment(rng: random.Random, premise: Clause) -> Clause | None:
    optional = [name for name in ("subject_adj", "object_adj", "place", "time")
                if getattr(premise, name) is not None]  # fmt: skip
    if not optional:
        return None
    dropped = rng.sample(optional, rng.randint(1, len(optional)))
    return _replace(premise, **dict.fromkeys(dropped))


def _contradiction(rng: random.Random, premise: Clause) -> Clause:
    swappable = []
    if premise.subject_adj is not None:
        swappable.append(("subject_adj", dict(PERSON_ADJECTIVES)[premise.subject_adj]))
    if premise.object_adj is not None:
        swappable.append(("object_adj", dict(OBJECT_ADJECTIVES)[premise.object_adj]))
    if swappable and rng.random() < 0.5:
        name, antonym = rng.choice(swappable)
        return _replace(premise, **{name: antonym})
    return _replace(premise, negated=True)


def _neutral(rng: random.Random, premise: Clause) -> Clause | None:
    missing = []
    if premise.place is None:
        missing.append(("place", rng.choice(PLACES)))
    if premise.time is None:
        missing.append(("time", rng.choice(TIMES)))
    if premise.subject_adj is None:
        missing.append(("subject_adj", rng.choice(PERSON_ADJECTIVES)[0]))
    if premise.object_adj is None:
        missing.append(("object_adj", rng.choice(OBJECT_ADJECTIVES)[0]))
    if not missing:
        return None
    name, value = rng.choice(missing)
    return _replace(premise, **{name: value})


def _replace(clause: Clause, **changes: object) -> Clause:
    fields = {**clause.__dict__, **changes}
    return Clause(**fields)  # type: ignore[arg-type]


def nli_pairs(count: int, seed: int) -> list[tuple[str, str, str]]:
    """``count`` (premise, hypothesis, label) triples, labels balanced in turn, from ``seed``.

    A premise that cannot give the wanted label (an entailment needs an optional part to drop, a
    neutral one a part to add) is redrawn, so each label is exactly a third (up to rounding).
    """
    rng = random.Random(f"nli:{seed}")
    makers = {"entailment": _entailment, "neutral": _neutral, "contradiction": _contradiction}
    pairs: list[tuple[str, str, str]] = []
    while len(pairs) < count:
        label = NLI_LABELS[len(pairs) % len(NLI_LABELS)]
        premise = random_clause(rng)
        hypothesis = makers[label](rng, premise)
        if hypothesis is not None and hypothesis != premise:
            pairs.append((premise.text(), hypothesis.text(), label))
    return pairs


def vocabulary() -> list[str]:
    """Every word the grammar can produce (sorted): the English side of the synthetic languages."""
    words = set(DETERMINERS) | set(PEOPLE) | set(OBJECTS) | {"does", "not", "."}
    words |= {word for pair in PERSON_ADJECTIVES + OBJECT_ADJECTIVES for word in pair}
    words |= {word for pair in VERBS for word in pair}
    for phrase in PLACES + TIMES:
        words |= set(phrase.split())
    return sorted(words)
