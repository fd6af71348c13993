"""What a task *is*: a small declarative spec. Families (code) live beside it.

A task is data — name, family, languages, how to load each split, labels, metric, reference
recipe — so adding a language or a dataset of an existing family is one module in
``tasks/catalog/``, never a new class (as lm-eval's task config and mteb's ``TaskMetadata`` do).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xstilts.data.hub.source import HubSource
from xstilts.tasks.recipe import Recipe

# loader(task_dir, split, language) -> list of examples from xstilts.data.examples
Loader = Callable[[Path, str, str], list[Any]]
# languages_found(task_dir, split) -> languages present locally for that split
LanguagesFound = Callable[[Path, str], list[str]]

FAMILIES = ("classification", "multiple_choice", "span_qa", "tagging", "retrieval", "masked_lm")


@dataclass(frozen=True)
class TaskSpec:
    """One task of the study, in one place."""

    name: str
    family: str  # one of FAMILIES: decides featurizer, head and prediction code
    languages: tuple[str, ...]  # the official evaluation languages (ISO 639-1)
    load: Loader
    languages_found: LanguagesFound
    # Official key of the headline metric, e.g. "accuracy": the one model selection, the oracle
    # and robustness use (QA reports F1 and EM; F1, the less noisy, is the headline).
    metric: str
    labels: tuple[str, ...] = ()  # classification/tagging label set, fixed order
    train_split: str | None = "train"  # English training split; None for eval-only tasks
    dev_split: str | None = "dev"  # English dev (model selection) and target dev (oracle)
    test_split: str | None = "test"
    text_pair: bool = True  # classification: sentence pair or single sentence
    # retrieval: how candidates are mined and scored ("tatoeba" | "bucc" | "ranking")
    protocol: str = ""
    description: str = ""
    # The family's own knobs (QA answer length, BUCC neighbourhood, ...), not study settings.
    defaults: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # where the official data comes from
    # The reference hyper-parameters, each with its source (tasks/recipe.py); the lowest layer of
    # a run's effective settings (experiments/settings.py).
    recipe: Recipe = field(default_factory=Recipe)
    # Official submission files (``xstilts score``): the scorer that reads them (a key of
    # ``evaluate.score.SCORERS``; "" = the task has no submission format) and their extension.
    scorer: str = ""
    prediction_suffix: str = "tsv"
    hub: HubSource | None = None  # where ``xstilts fetch`` finds it on the Hugging Face Hub
    citation: str = ""  # the paper to cite for the data

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"task {self.name}: unknown family {self.family!r}")

    def evaluation_languages(self, task_dir: Path, split: str, wanted: Sequence[str]) -> list[str]:
        """Official languages present locally, in official order, optionally restricted.

        A task with no fixed language list (``languages=()``: the synthetic languages of a
        controlled design, masked-LM text) evaluates every language found, sorted.
        """
        found = set(self.languages_found(task_dir, split))
        order = self.languages or tuple(sorted(found))
        chosen = [lang for lang in order if lang in found]
        if wanted:
            chosen = [lang for lang in chosen if lang in set(wanted)]
        return chosen
