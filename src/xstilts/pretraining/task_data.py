"""Write the controlled design's task data: English sets and their synthetic-language copies.

Every synthetic language is tested on the *same* items — the English dev/test pairs and bitext
sentences, transformed by the language — so differences between languages are differences of
pretraining (budget) and of distance to English (diversity), not of test-set content or quality,
which is what confounds the observational studies (Lauscher et al. 2020, Wu & Dredze 2020).
The English text of the tasks is drawn with seeds of its own, never from a pretraining corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from xstilts.pretraining import grammar
from xstilts.pretraining.corpus import ENGLISH, language_seed
from xstilts.pretraining.synthetic import SyntheticLanguage
from xstilts.tasks.synthetic import CLASSIFICATION_TARGET, INTERMEDIATE_TASK, RETRIEVAL_TARGET


@dataclass(frozen=True)
class TaskSizes:
    """Examples per set (the defaults fit the 2-core demo; the design scales them freely)."""

    intermediate_train: int = 3000
    intermediate_dev: int = 300
    target_train: int = 300
    target_dev: int = 150
    target_test: int = 300
    bitext: int = 200


def _pairs(count: int, purpose: str) -> list[tuple[str, str, str]]:
    return grammar.nli_pairs(count, language_seed(ENGLISH, 0, purpose))


def _write_pairs(path: Path, pairs: Sequence[tuple[str, str, str]]) -> None:
    path.write_text("".join(f"{a}\t{b}\t{label}\n" for a, b, label in pairs), encoding="utf-8")


def _translate(language: SyntheticLanguage, pairs: Sequence[tuple[str, str, str]]) -> list:
    return [(language.apply(a), language.apply(b), label) for a, b, label in pairs]


def write_task_data(
    data_dir: Path, languages: Sequence[SyntheticLanguage], sizes: TaskSizes = TaskSizes()
) -> None:
    """``synth_nli``, ``synth_xnli`` and ``synth_tatoeba`` folders under ``data_dir``.

    Deterministic: the same design always writes the same bytes (the data digest of every run id
    depends on them).
    """
    nli = data_dir / INTERMEDIATE_TASK
    nli.mkdir(parents=True, exist_ok=True)
    _write_pairs(nli / "train-en.tsv", _pairs(sizes.intermediate_train, "intermediate-train"))
    _write_pairs(nli / "dev-en.tsv", _pairs(sizes.intermediate_dev, "intermediate-dev"))

    xnli = data_dir / CLASSIFICATION_TARGET
    xnli.mkdir(parents=True, exist_ok=True)
    _write_pairs(xnli / "train-en.tsv", _pairs(sizes.target_train, "target-train"))
    dev, test = _pairs(sizes.target_dev, "target-dev"), _pairs(sizes.target_test, "target-test")
    _write_pairs(xnli / "dev-en.tsv", dev)
    _write_pairs(xnli / "test-en.tsv", test)
    for language in languages:
        _write_pairs(xnli / f"dev-{language.code}.tsv", _translate(language, dev))
        _write_pairs(xnli / f"test-{language.code}.tsv", _translate(language, test))

    bitext = data_dir / RETRIEVAL_TARGET
    bitext.mkdir(parents=True, exist_ok=True)
    english = grammar.sentences(sizes.bitext, language_seed(ENGLISH, 0, "bitext"))
    for language in languages:
        stem = bitext / f"tatoeba.{language.code}-eng"
        other = [language.apply(sentence) for sentence in english]
        Path(f"{stem}.{language.code}").write_text("\n".join(other) + "\n", encoding="utf-8")
        Path(f"{stem}.eng").write_text("\n".join(english) + "\n", encoding="utf-8")
