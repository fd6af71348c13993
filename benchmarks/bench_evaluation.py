"""Zero-shot evaluation over every language of a task: xstilts against a per-language HF loop.

**xstilts** runs what the runner's dev evaluations during training run
(``experiments.target.SetScorer``): ``families.base.predict_sets`` (every
language pooled into one ``FAMILY.predict`` call: tokenize, sort by length, batches of 64 padded
to their longest, ``torch.inference_mode``, restore input order), then ``FAMILY.score`` (accuracy)
per language; once in fp32 and once with ``precision="bf16"`` (a ``precision: bf16`` study: bf16
autocast). The kept evaluation after training calls ``predict_sets_timed`` instead (one sorted
stream per language, so that each language's time is measured): on the demo's 840 test pairs the
same 14 batches hold 38,616 padded tokens instead of 33,960.

**References**, the loop one writes from the transformers examples, for each language in turn:

- ``padding="max_length"``: tokenize the language's pairs once with
  ``truncation=True, max_length, padding="max_length", return_tensors="pt"`` (the default of
  transformers' ``run_xnli.py``, ``pad_to_max_length=True``, and of XTREME's
  ``third_party/run_classify.py``, which pads features to ``max_seq_length``; both use 128 for
  XNLI), then batches of 64 *in file order* under ``torch.no_grad()``, argmax, accuracy;
- ``padding="longest"``: the same, but each batch of 64 (file order) is tokenized with
  ``padding="longest"`` (``run_xnli.py --pad_to_max_length False``: ``DataCollatorWithPadding``).
  A hand-tuned loop; reported, with the bound any implementation has against it at equal
  per-token cost (its padded tokens ÷ xstilts's).

No length sorting in either reference. All sides use the same trained-head ``EncoderWithHeads``
in ``eval()`` mode, the same ``max_length`` and batch size; predictions are checked to agree.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bench_common import Measurement, alternate, median_of, noise
from bench_models import FlopCounter

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
    model: Any,
    tokenizer: Any,
    sets: dict[str, Sequence[Any]],
    max_length: int,
    precision: str = "fp32",
) -> dict[str, list[str]]:
    """Every language through ``predict_sets`` and the family's score (the runner's pass)."""
    from xstilts.families.base import predict_sets
    from xstilts.families.classification import FAMILY
    from xstilts.tasks.registry import get_task

    spec = get_task(TASK)
    out = predict_sets(FAMILY, model, spec, sets, tokenizer, max_length, BATCH, precision)
    for language, examples in sets.items():
        FAMILY.score(out[language], examples, spec, language)
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
    pooled: list[int] = []  # xstilts sorts every language's examples together
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
        pooled += lengths
        counts["real"] += sum(lengths)
        counts["max_length"] += len(lengths) * max_length
        for start in range(0, len(lengths), BATCH):
            chunk = lengths[start : start + BATCH]
            counts["longest"] += len(chunk) * max(chunk)
    for indices in evaluation_batches(pooled, BATCH):
        counts["xstilts"] += len(indices) * max(pooled[i] for i in indices)
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
    """Time the four sides on ``sets``; ``full_sets`` (the whole test split) is only tokenized,
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
        "xstilts_bf16": lambda: timed(
            lambda: xstilts_evaluate(model, tokenizer, sets, max_length, "bf16")
        ),
        "max_length": lambda: timed(
            lambda: reference_evaluate(model, tokenizer, sets, max_length, "max_length")
        ),
        "longest": lambda: timed(
            lambda: reference_evaluate(model, tokenizer, sets, max_length, "longest")
        ),
    }
    small = {lang: list(v[:4]) for lang, v in sets.items()}
    for warm_up in (
        lambda: xstilts_evaluate(model, tokenizer, small, max_length),
        lambda: xstilts_evaluate(model, tokenizer, small, max_length, "bf16"),
        lambda: reference_evaluate(model, tokenizer, small, max_length, "longest"),
    ):
        warm_up()  # untimed: first-call kernel selection and allocations
    log(f"evaluation: {len(sets)} languages, {examples} examples, max_length {max_length}, 4 sides")
    try:
        runs = alternate(sides, repeats)
    finally:
        counter.remove()
    full_counts = padded_token_counts(tokenizer, dict(full_sets or sets), max_length)
    raw: dict[str, Any] = {
        "languages": list(sets),
        "examples": examples,
        "full_set_padded_tokens": full_counts,
    }
    common = {"model": model_name, "max_length": max_length, "examples": examples,
              "languages": len(sets), "real_tokens": runs["xstilts"][0]["tokens"]}  # fmt: skip
    rows = [
        _row(runs, "xstilts", "max_length", 'padding="max_length" (run_xnli.py / XTREME default)',
             "fp32", "≥ 2.0×", 2.0, common, peak_gflops, full_counts),
        _row(runs, "xstilts", "longest", 'padding="longest" (hand-tuned)',
             "fp32", "report", None, common, peak_gflops, full_counts),
        _row(runs, "xstilts_bf16", "xstilts", "xstilts itself in fp32",
             "precision: bf16", "report", None, common, peak_gflops, full_counts),
    ]  # fmt: skip
    for side in runs.values():
        for run_ in side:
            run_.pop("predictions")
    raw["runs"] = runs
    return rows, raw


def _row(
    runs: dict[str, list[dict[str, Any]]],
    mine: str,
    theirs: str,
    reference: str,
    precision: str,
    target: str,
    target_value: float | None,
    common: dict[str, Any],
    peak_gflops: float,
    full_counts: dict[str, int],
) -> Measurement:
    """One ``Measurement``: ``runs[mine]`` against ``runs[theirs]`` (medians, ABBA-alternated)."""
    x, r = runs[mine], runs[theirs]
    x_eps, r_eps = median_of(x, "examples_per_s"), median_of(r, "examples_per_s")
    languages = common["languages"]
    if theirs == "xstilts":
        reference_name = f"{reference}, same pooled length-sorted batches of {BATCH}"
    else:
        reference_name = f"per-language HF loop, {reference}, file order, batch {BATCH}"
    tokens_ratio = full_counts.get(theirs, 0) / full_counts["xstilts"]
    return Measurement(
        section="evaluation",
        name=f"zero-shot evaluation, {languages} languages, {precision} (examples/s)",
        xstilts=x_eps,
        reference=r_eps,
        reference_name=reference_name,
        unit="examples/s",
        ratio=x_eps / r_eps,
        target=target,
        target_value=target_value,
        details={
            **common,
            **noise(x, r),
            "prediction_agreement": _agreement(x[0]["predictions"], r[0]["predictions"]),
            "padded_tokens": {"xstilts": x[0]["padded_tokens"], "reference": r[0]["padded_tokens"]},
            "seconds": {
                "xstilts": [v["seconds"] for v in x],
                "reference": [v["seconds"] for v in r],
            },
            "xstilts_inference_fraction_of_peak": median_of(x, "model_gflops_per_s") / peak_gflops,
            "reference_inference_fraction_of_peak": median_of(r, "model_gflops_per_s")
            / peak_gflops,
            # at equal cost per token, no implementation beats the reference by more than this
            "padded_token_ratio": tokens_ratio if theirs != "xstilts" else None,
        },
    )
