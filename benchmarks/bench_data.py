"""Data for the benchmark suite: the demo's XNLI files, read through the task spec and replicated
into longer, realistically distributed inputs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEMO_DATA = REPO / "src" / "xstilts" / "demo" / "data"


def demo_xnli_train() -> list[Any]:
    """XNLI's English training set, read through its task spec (as the runner reads it)."""
    from xstilts.tasks.registry import get_task

    return get_task("xnli").load(DEMO_DATA / "xnli", "train", "en")


def demo_xnli_eval(split: str = "test") -> dict[str, list[Any]]:
    from xstilts.tasks.registry import get_task

    spec, folder = get_task("xnli"), DEMO_DATA / "xnli"
    return {lang: spec.load(folder, split, lang) for lang in spec.languages_found(folder, split)}


def _word_stream(examples: Sequence[Any]) -> list[str]:
    words: list[str] = []
    for example in examples:
        words.extend(example.text_a.split())
    return words


def realistic_examples(count: int, seed: int = 0) -> list[Any]:
    """NLI pairs with an MNLI-like long-tailed length distribution, made of demo sentences.

    The demo's premises are all 10-25 words; real MNLI premises are long-tailed (about 22 words
    on average, some over 100). Each premise here is a run of consecutive words from the
    concatenated demo premises, its length drawn from LogNormal(ln 18, 0.6) words (mean ~22,
    95th percentile ~48, capped at 150); the hypothesis and label are those of a random demo pair.
    """
    from xstilts.data.examples import ClassificationExample

    base = demo_xnli_train()
    stream = _word_stream(base)
    rng = random.Random(seed)
    out = []
    for i in range(count):
        words = min(150, max(3, round(rng.lognormvariate(math.log(18), 0.6))))
        start = rng.randrange(0, len(stream) - words)
        donor = rng.choice(base)
        premise = " ".join(stream[start : start + words])
        out.append(ClassificationExample(f"r{i}", premise, donor.text_b, donor.label))
    return out


def fixed_length_examples(count: int, seed: int = 0) -> list[Any]:
    """Pairs long enough (≥ 150 words each side) that every one truncates to exactly
    ``max_length`` tokens: batches have no padding, whatever the batching."""
    from xstilts.data.examples import ClassificationExample

    base = demo_xnli_train()
    stream = _word_stream(base)
    rng = random.Random(seed)
    out = []
    for i in range(count):
        a, b = rng.randrange(0, len(stream) - 150), rng.randrange(0, len(stream) - 150)
        donor = rng.choice(base)
        out.append(
            ClassificationExample(
                f"f{i}", " ".join(stream[a : a + 150]), " ".join(stream[b : b + 150]), donor.label
            )
        )
    return out


def length_summary(tokenizer: Any, examples: Sequence[Any], max_length: int) -> dict[str, float]:
    import numpy as np

    encoded = tokenizer(
        [e.text_a for e in examples],
        [e.text_b for e in examples] if examples[0].text_b is not None else None,
        truncation=True,
        max_length=max_length,
    )["input_ids"]
    lengths = np.array([len(x) for x in encoded])
    return {
        "mean": float(lengths.mean()),
        "p50": float(np.percentile(lengths, 50)),
        "p95": float(np.percentile(lengths, 95)),
        "max": float(lengths.max()),
    }


def xnli_task_data(examples: Sequence[Any], tag: str) -> Any:
    """A ``TaskData`` for ``train_phase`` holding ``examples`` as the English training set (no dev:
    no model selection inside the timed section, as the reference trains without evaluation)."""
    from xstilts.experiments.task_data import TaskData
    from xstilts.tasks.registry import get_task

    return TaskData(
        spec=get_task("xnli"),
        directory=DEMO_DATA / "xnli",
        digest=f"bench-{tag}-{len(examples)}",
        eval_languages={},
        train=list(examples),
    )
