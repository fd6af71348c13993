"""Zero-shot evaluation over every language of a task: xstilts against a per-language HF loop.

**xstilts** runs what the runner runs after training (``StudyRunner._fine_tune_and_predict``'s
``score_all``): for each language, ``families.classification.FAMILY.predict`` (tokenize, sort by
length, batches of 64 padded to their longest, ``torch.inference_mode``, restore input order) and
``FAMILY.score`` (accuracy).

**References**, the loop one writes from the transformers examples, for each language in turn:

- ``padding="max_length"``: tokenize the language's pairs once with
  ``truncation=True, max_length, padding="max_length", return_tensors="pt"`` (``run_xnli.py``'s
  ``pad_to_max_length=True`` default), then batches of 64 *in file order* under
  ``torch.no_grad()``, argmax, accuracy;
- ``padding="longest"``: the same, but each batch of 64 (file order) is tokenized with
  ``padding="longest"`` (what ``DataCollatorWithPadding`` / ``Trainer.predict`` gives).

No length sorting in either reference. All three use the same trained-head ``EncoderWithHeads``
in ``eval()`` mode, the same ``max_length`` and batch size; predictions are checked to agree.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bench_common import FlopCounter, Measurement, alternate, median_of, noise

TASK = "xnli"
BATCH = 64


def _model(encoder: Any) -> Any:
    import torch

    from xstilts.config import EncoderConfig
    from xstilts.families.classification import FAMILY
    from xstilts.models.heads import EncoderWithHeads
    from xstilts.tasks.registry import get_task

    torch.manual_seed(0)
    head = FAMILY.new_head(
        encoder.config.hidden_size, get_task(TASK), EncoderConfig(pooling="mean")
    )
    return EncoderWithHeads(encoder, {TASK: head}).eval()


def xstilts_evaluate(
    model: Any, tokenizer: Any, sets: dict[str, Sequence[Any]], max_length: int
) -> dict[str, list[str]]:
    """Every language through the family's predict and score (the runner's loop)."""
    from xstilts.families.classification import FAMILY
    from xstilts.tasks.registry import get_task

    spec = get_task(TASK)
    out = {}
    for language, examples in sets.items():
        predicted = FAMILY.predict(model, TASK, examples, tokenizer, spec, max_length, BATCH)
        FAMILY.score(predicted, examples, spec, language)
        out[language] = list(predicted)
    return out


def reference_evaluate(
    model: Any, tokenizer: Any, sets: dict[str, Sequence[Any]], max_length: int, padding: str
) -> dict[str, list[str]]:
    """The per-language Hugging Face loop (see the module docstring)."""
    import torch

    from xstilts.tasks.registry import get_task

    labels = get_task(TASK).labels
    model.eval()
    out = {}
    for language, examples in sets.items():
        premises = [e.text_a for e in examples]
        hypotheses = [e.text_b for e in examples]
        predicted: list[str] = []
        whole = None
        if padding == "max_length":
            whole = tokenizer(
                premises,
                hypotheses,
                truncation=True,
                max_length=max_length,
                padding="max_length",
                return_tensors="pt",
            )
        with torch.no_grad():
            for start in range(0, len(examples), BATCH):
                if whole is not None:
                    ids = whole["input_ids"][start : start + BATCH]
                    mask = whole["attention_mask"][start : start + BATCH]
                else:
                    batch = tokenizer(
                        premises[start : start + BATCH],
                        hypotheses[start : start + BATCH],
                        truncation=True,
                        max_length=max_length,
                        padding="longest",
                        return_tensors="pt",
                    )
                    ids, mask = batch["input_ids"], batch["attention_mask"]
                logits = model(TASK, ids, mask)
                predicted.extend(labels[i] for i in logits.argmax(-1).tolist())
        gold = [e.label for e in examples]
        accuracy = sum(p == g for p, g in zip(predicted, gold, strict=True)) / len(gold)
        assert 0.0 <= accuracy <= 1.0
        out[language] = predicted
    return out


def padded_token_counts(
    tokenizer: Any, sets: dict[str, Sequence[Any]], max_length: int
) -> dict[str, int]:
    """Tokens each side's batches hold, padding included (tokenization only, no model): what
    the forward cost is proportional to, for sets too large to time here."""
    from xstilts.data.featurize import evaluation_batches

    counts = {"xstilts": 0, "longest": 0, "max_length": 0, "real": 0}
    for examples in sets.values():
        lengths = [
            len(ids)
            for ids in tokenizer(
                [e.text_a for e in examples],
                [e.text_b for e in examples],
                truncation=True,
                max_length=max_length,
            )["input_ids"]
        ]
        counts["real"] += sum(lengths)
        counts["max_length"] += len(lengths) * max_length
        for start in range(0, len(lengths), BATCH):
            chunk = lengths[start : start + BATCH]
            counts["longest"] += len(chunk) * max(chunk)
        for indices in evaluation_batches(lengths, BATCH):
            counts["xstilts"] += len(indices) * max(lengths[i] for i in indices)
    return counts


def _agreement(a: dict[str, list[str]], b: dict[str, list[str]]) -> float:
    pairs = [(x, y) for lang in a for x, y in zip(a[lang], b[lang], strict=True)]
    return sum(x == y for x, y in pairs) / len(pairs)


def run(
    encoder: Any,
    tokenizer: Any,
    model_name: str,
    peak_gflops: float,
    sets: dict[str, Sequence[Any]],
    max_length: int,
    repeats: int,
    log: Any,
    full_sets: dict[str, Sequence[Any]] | None = None,
) -> tuple[list[Measurement], dict[str, Any]]:
    """Time the three sides on ``sets``; ``full_sets`` (the whole test split) is only tokenized,
    to report the padded-token ratio the sides would have on it."""
    model = _model(encoder)
    counter = FlopCounter(encoder, factor=1 / 3)
    examples = sum(len(v) for v in sets.values())

    def timed(fn: Any) -> dict[str, Any]:
        counter.reset()
        start = time.perf_counter()
        predictions = fn()
        seconds = time.perf_counter() - start
        return {
            "seconds": seconds,
            "examples_per_s": examples / seconds,
            "padded_tokens": counter.padded_tokens,
            "tokens": counter.tokens,
            "model_gflops_per_s": counter.model_flops / seconds / 1e9,
            "predictions": predictions,
        }

    sides = {
        "xstilts": lambda: timed(lambda: xstilts_evaluate(model, tokenizer, sets, max_length)),
        "max_length": lambda: timed(
            lambda: reference_evaluate(model, tokenizer, sets, max_length, "max_length")
        ),
        "longest": lambda: timed(
            lambda: reference_evaluate(model, tokenizer, sets, max_length, "longest")
        ),
    }
    small = {lang: list(v[:4]) for lang, v in sets.items()}
    for fn in (xstilts_evaluate, lambda *a: reference_evaluate(*a, "longest")):
        fn(model, tokenizer, small, max_length)  # warm-up, untimed
    log(f"evaluation: {len(sets)} languages, {examples} examples, 3 sides")
    try:
        runs = alternate(sides, repeats)
    finally:
        counter.remove()
    x = runs["xstilts"]
    rows = []
    raw: dict[str, Any] = {"languages": list(sets), "examples": examples}
    full = dict(full_sets or {})
    full_counts = padded_token_counts(tokenizer, full, max_length) if full else None
    raw["full_set_padded_tokens"] = full_counts
    for key, name in (("max_length", 'padding="max_length"'), ("longest", 'padding="longest"')):
        agreement = _agreement(x[0]["predictions"], runs[key][0]["predictions"])
        x_eps, r_eps = median_of(x, "examples_per_s"), median_of(runs[key], "examples_per_s")
        rows.append(
            Measurement(
                section="evaluation",
                name=f"zero-shot evaluation, {len(sets)} languages (examples/s)",
                xstilts=x_eps,
                reference=r_eps,
                reference_name=f"per-language HF loop, {name}, file order, batch {BATCH}",
                unit="examples/s",
                ratio=x_eps / r_eps,
                target="≥ 2.0×",
                target_value=2.0,
                details={
                    "model": model_name,
                    **noise(x, runs[key]),
                    "max_length": max_length,
                    "examples": examples,
                    "prediction_agreement": agreement,
                    "padded_tokens": {
                        "xstilts": x[0]["padded_tokens"],
                        "reference": runs[key][0]["padded_tokens"],
                    },
                    "real_tokens": x[0]["tokens"],
                    "seconds": {
                        "xstilts": [r["seconds"] for r in x],
                        "reference": [r["seconds"] for r in runs[key]],
                    },
                    "xstilts_inference_fraction_of_peak": median_of(x, "model_gflops_per_s")
                    / peak_gflops,
                    "full_set_padded_token_ratio": (
                        full_counts[key] / full_counts["xstilts"] if full_counts else None
                    ),
                    "full_set_examples": sum(len(v) for v in full.values()),
                },
            )
        )
    for side in runs.values():
        for run_ in side:
            run_.pop("predictions")
    raw["runs"] = runs
    return rows, raw
