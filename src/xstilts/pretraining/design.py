"""The controlled design: which synthetic languages, which budgets, which encoder, how trained.

A design crosses *diversity levels* (knobs of ``pretraining.synthetic``) with *budgets* (tokens
of that language in pretraining). Every cell (diversity, budget) is its own language with its own
code and its own alphabet for moved words, so no two languages share a surface form they were not
designed to share: a budget-0 language's shifted words are never seen in pretraining, not even
through a sibling language of the same diversity level. Word forms that stay Latin are shared with
English by design (that is what a script share below 1 means).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from xstilts.pretraining.synthetic import ORDER_TAGS, SyntheticLanguage
from xstilts.pretraining.tiny_encoder import TinyEncoderConfig


@dataclass(frozen=True)
class DiversityLevel:
    """One point of the diversity axis (see ``SyntheticLanguage`` for the knobs)."""

    script_share: float
    word_order: str = "same"
    suffix: str = ""

    @property
    def tag(self) -> str:
        tag = f"s{round(self.script_share * 100)}-{ORDER_TAGS[self.word_order]}"
        return tag + (f"-{self.suffix}" if self.suffix else "")


@dataclass(frozen=True)
class ControlledDesign:
    """Everything that determines the pretrained encoders of a controlled study."""

    diversity: tuple[DiversityLevel, ...] = (
        DiversityLevel(0.5, "same"),
        DiversityLevel(0.5, "reverse"),
        DiversityLevel(1.0, "same"),
        DiversityLevel(1.0, "reverse"),
    )
    budgets: tuple[int, ...] = (0, 1_000, 4_000, 16_000)  # tokens per synthetic language
    english_budget: int = 16_000  # English tokens in every encoder's pretraining
    encoder: TinyEncoderConfig = field(
        default_factory=lambda: TinyEncoderConfig(
            hidden_size=64, layers=2, heads=2, intermediate_size=256
        )
    )
    epochs: float = 6.0
    learning_rate: float = 1e-3
    batch_size: int = 64
    held_out_lines: int = 200  # per language, for the manipulation check

    def languages(self) -> list[tuple[SyntheticLanguage, int]]:
        """(language, budget) for every cell, each with its own alphabet for moved words.

        The languages are fixed by the design, not by the pretraining seed: replicate encoders
        (seeds) see the same languages, drawn from different text and initialised differently.
        Which word types move is drawn once per diversity level (its index): the languages of
        one level move the same word types, each into its own alphabet, so within a level the
        budget is the only difference. (Drawn per language, the *token* share of moved words
        varied between siblings by chance, enough to break the manipulation check's
        monotonicity between budgets 0 and 1k.)
        """
        cells: list[tuple[SyntheticLanguage, int]] = []
        for level_index, level in enumerate(self.diversity):
            for budget in self.budgets:
                code = f"x-{level.tag}-b{_short(budget)}"
                language = SyntheticLanguage(
                    code, level.script_share, level.word_order, level.suffix,
                    seed=level_index, alphabet=len(cells),
                )  # fmt: skip
                cells.append((language, budget))
        return cells

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)


def _short(budget: int) -> str:
    """2000 -> '2k', 32000 -> '32k', 1500000 -> '1500k', 0 -> '0'."""
    return f"{budget // 1000}k" if budget and budget % 1000 == 0 else str(budget)
