"""Training throughput: xstilts' training phase against ``transformers.Trainer``, same model, data.

**xstilts** runs its real code path: ``experiments.training.train_phase`` with the classification
family (featurize → ``data.featurize.training_batches``: shuffled, length-grouped within windows
of 50 batches, each padded to its longest sequence, or packed with block-diagonal attention
where ``packing: auto`` (the CPU) finds that it takes fewer tokens → ``train.loop.train``), with
its on-disk feature cache when the runner offers one (warmed once before timing, as in a grid
where the same target task is trained for every intermediate task and seed).

**Reference** (what a researcher writes from the transformers examples, ``run_xnli.py`` style):
tokenize the pairs with the fast tokenizer (``truncation=True, max_length``) into a list of
features, then ``Trainer(..., data_collator=DataCollatorWithPadding(tokenizer))`` with its
defaults: random sampler (no ``group_by_length``), its default optimizer (``adamw_torch_fused``
from torch 2.8), linear schedule; no evaluation, no saving, no logging. The *padded fixed-length*
variant tokenizes with ``padding="max_length"`` and ``default_data_collator`` (``run_xnli.py``'s
``pad_to_max_length`` default) on data whose every pair truncates to ``max_length``, so neither
side can gain from padding: it measures the loops alone.

Both sides train the *same* ``EncoderWithHeads`` (the reference wraps it in a module returning
``{"loss", "logits"}``), start from the same weights and head initialisation, with the same batch
size, learning rate, warm-up, weight decay, gradient clipping and number of steps. The timed
section of each side is everything from the list of examples to the trained model: tokenizing,
set-up (``Accelerator`` / ``Trainer``), every step.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import Measurement, alternate, median_of, noise
from bench_data import fixed_length_examples, length_summary, realistic_examples, xnli_task_data
from bench_models import FlopCounter, restore, trainable_snapshot

TASK = "xnli"


def _trainer_model(model: Any, task: str) -> Any:
    """The xstilts model behind the interface ``Trainer`` expects (``labels`` in, ``loss`` out)."""
    from torch import nn

    class Wrapped(nn.Module):
        # computes its own mean loss: Trainer must not pass num_items_in_batch (it would, through
        # a compiled wrapper's ``forward(*args, **kwargs)``, to a forward that cannot take it)
        accepts_loss_kwargs = False

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, labels: Any = None) -> dict:
            logits = self.model(task, input_ids, attention_mask)
            out = {"logits": logits}
            if labels is not None:
                out["loss"] = nn.functional.cross_entropy(logits, labels)
            return out

    return Wrapped()


class TrainingBench:
    """Holds the model and its starting weights; each call trains from the same start."""

    def __init__(self, encoder: Any, tokenizer: Any, settings: dict[str, Any]) -> None:
        from xstilts.config import EncoderConfig, TrainConfig
        from xstilts.families.classification import FAMILY
        from xstilts.models.heads import EncoderWithHeads
        from xstilts.tasks.registry import get_task

        self.encoder, self.tokenizer = encoder, tokenizer
        self.settings = settings
        self.spec = get_task(TASK)
        self.snapshot = trainable_snapshot(encoder)
        self.encoder_config = EncoderConfig(pooling="mean", dropout=0.1)
        self.head = FAMILY.new_head(encoder.config.hidden_size, self.spec, self.encoder_config)
        self.model = EncoderWithHeads(encoder, {TASK: self.head})
        self.head_snapshot = trainable_snapshot(self.head)
        self.config = TrainConfig(
            learning_rate=5e-5,
            epochs=settings["epochs"],
            batch_size=settings["batch_size"],
            max_length=settings["max_length"],
            warmup_ratio=0.1,
            weight_decay=0.01,
            max_grad_norm=1.0,
        )
        self.counter = FlopCounter(encoder)
        self.cache = Path(tempfile.mkdtemp(prefix="xstilts-bench-features-"))

    def _reset(self) -> None:
        import torch

        restore(self.encoder, self.snapshot)
        restore(self.head, self.head_snapshot)
        self.model.zero_grad(set_to_none=True)
        self.counter.reset()
        torch.manual_seed(0)

    def _stats(self, seconds: float, examples: int) -> dict[str, Any]:
        c = self.counter
        return {
            "seconds": seconds,
            # the process's CPU seconds (user + sys) in the timed section: on a loaded machine with
            # one torch thread, the work done, whatever share of the cores the process got
            "cpu_seconds": time.process_time() - self.cpu_start,
            "examples_per_s": examples / seconds,
            "tokens_per_s": c.tokens / seconds,
            "tokens": c.tokens,
            "padded_tokens": c.padded_tokens,
            "model_gflops_per_s": c.model_flops / seconds / 1e9,
            "hardware_gflops_per_s": c.hardware_flops / seconds / 1e9,
        }

    # -- xstilts ----------------------------------------------------------------------------
    def xstilts(self, examples: list[Any], tag: str) -> dict[str, Any]:
        from xstilts.experiments.training import train_phase

        self._reset()
        data = xnli_task_data(examples, tag)
        options: dict[str, Any] = {}
        if "feature_cache" in inspect.signature(train_phase).parameters:
            options["feature_cache"] = self.cache
        self.cpu_start = time.process_time()
        start = time.perf_counter()
        train_phase(
            self.model, [data], self.tokenizer, self.config, 0, "bench", progress=False, **options
        )
        seconds = time.perf_counter() - start
        return self._stats(seconds, len(examples) * int(self.config.epochs))

    # -- transformers.Trainer ---------------------------------------------------------------
    def trainer(self, examples: list[Any], fixed: bool, group_by_length: bool = False) -> dict:
        from transformers import (
            DataCollatorWithPadding,
            Trainer,
            TrainingArguments,
            default_data_collator,
        )

        self._reset()
        label_index = {label: i for i, label in enumerate(self.spec.labels)}
        self.cpu_start = time.process_time()
        start = time.perf_counter()
        encoded = self.tokenizer(
            [e.text_a for e in examples],
            [e.text_b for e in examples],
            truncation=True,
            max_length=self.config.max_length,
            padding="max_length" if fixed else False,
        )
        features = [
            {"input_ids": ids, "attention_mask": mask, "labels": label_index[e.label]}
            for ids, mask, e in zip(
                encoded["input_ids"], encoded["attention_mask"], examples, strict=True
            )
        ]
        with tempfile.TemporaryDirectory(prefix="xstilts-bench-trainer-") as out:
            extra: dict[str, Any] = {}
            if group_by_length:
                extra["train_sampling_strategy"] = "group_by_length"
            args = TrainingArguments(
                output_dir=out,
                per_device_train_batch_size=self.config.batch_size,
                num_train_epochs=self.config.epochs,
                learning_rate=self.config.learning_rate,
                weight_decay=self.config.weight_decay,
                warmup_steps=self.config.warmup_ratio,
                max_grad_norm=self.config.max_grad_norm,
                lr_scheduler_type="linear",
                eval_strategy="no",
                save_strategy="no",
                logging_strategy="no",
                report_to="none",
                disable_tqdm=True,
                dataloader_num_workers=0,
                seed=0,
                **extra,
            )
            collator = default_data_collator if fixed else DataCollatorWithPadding(self.tokenizer)
            trainer = Trainer(
                model=_trainer_model(self.model, TASK),
                args=args,
                train_dataset=features,
                data_collator=collator,
            )
            with contextlib.redirect_stdout(io.StringIO()):  # it prints its metrics dict
                trainer.train()
            self.optimizer_name = type(trainer.optimizer.optimizer).__name__ + (
                " (fused)" if trainer.optimizer.param_groups[0].get("fused") else ""
            )
        seconds = time.perf_counter() - start
        return self._stats(seconds, len(examples) * int(self.config.epochs))

    def close(self) -> None:
        import shutil

        self.counter.remove()
        shutil.rmtree(self.cache, ignore_errors=True)


def _compare(
    bench: TrainingBench, fixed: list, realistic: list, settings: dict, repeats: dict, log: Any
) -> tuple[dict, dict]:
    """Both data sets, the two sides alternated (ABBA), after an untimed warm-up of each side;
    ``repeats``: ``{"fixed": n, "realistic": n}``."""
    warm = realistic[: settings["batch_size"]]
    bench.xstilts(warm, "warm")  # first-call costs (kernel selection, lazy imports)
    bench.trainer(warm, fixed=False)
    log(f"training ({bench.label}): padded fixed-length data, {repeats['fixed']} pairs")
    fixed_runs = alternate(
        {
            "xstilts": lambda: bench.xstilts(fixed, "fixed"),
            "trainer": lambda: bench.trainer(fixed, fixed=True),
        },
        repeats["fixed"],
    )
    log(f"training ({bench.label}): realistic length distribution, {repeats['realistic']} pairs")
    sides = {
        "xstilts": lambda: bench.xstilts(realistic, "realistic"),
        "trainer": lambda: bench.trainer(realistic, fixed=False),
    }
    if settings.get("group_by_length_reference"):
        sides["trainer_grouped"] = lambda: bench.trainer(
            realistic, fixed=False, group_by_length=True
        )
    return fixed_runs, alternate(sides, repeats["realistic"])


# (label, requires_grad of the word embeddings, targets: fixed, realistic, MFU realistic)
VARIANTS = (
    ("word embeddings frozen", False, (1.0, 1.5, 0.5)),
    ("word embeddings trained (both sides)", True, (1.6, 2.5, 0.7)),
)


def run(
    encoder: Any,
    tokenizer: Any,
    model_name: str,
    peak_gflops: float,
    settings: dict[str, Any],
    log: Any,
) -> tuple[list[Measurement], dict[str, Any]]:
    """Both training comparisons and the FLOP/s fractions, with the word embeddings frozen (the
    demo's setting) and trained (full fine-tuning: xstilts' sparse row updates against the
    Trainer's dense AdamW); returns rows and raw runs. The encoder is left as it came."""
    fixed = fixed_length_examples(settings["fixed_examples"])
    realistic = realistic_examples(settings["realistic_examples"])
    raw: dict[str, Any] = {
        "settings": settings,
        "realistic_lengths": length_summary(tokenizer, realistic, settings["max_length"]),
        "fixed_lengths": length_summary(tokenizer, fixed, settings["max_length"]),
    }
    embeddings = encoder.embeddings.word_embeddings.weight
    frozen = not embeddings.requires_grad
    rows: list[Measurement] = []
    for label, trainable, targets in VARIANTS:
        key = "trainable" if trainable else "frozen"
        if (not trainable and not frozen) or key not in settings.get("variants", (key,)):
            continue  # (a model loaded with trainable embeddings has no frozen variant)
        embeddings.requires_grad_(trainable)
        bench = TrainingBench(encoder, tokenizer, settings)
        bench.label = label
        try:
            repeats = settings["repeats"][key]
            fixed_runs, realistic_runs = _compare(bench, fixed, realistic, settings, repeats, log)
        finally:
            bench._reset()  # the starting weights again (the next section's model)
            bench.close()
            embeddings.requires_grad_(not frozen)
        raw[key] = {"fixed": fixed_runs, "realistic": realistic_runs}
        if not trainable:  # the keys earlier results.json files have
            raw["fixed"], raw["realistic"] = fixed_runs, realistic_runs
        rows += _rows(bench, label, fixed_runs, realistic_runs, settings, targets, model_name)
        rows += _mfu_rows(label, fixed_runs, realistic_runs, peak_gflops, targets[2])
    return rows, raw


def _rows(
    bench: TrainingBench,
    label: str,
    fixed_runs: dict,
    realistic_runs: dict,
    settings: dict,
    targets: tuple[float, float, float],
    model_name: str,
) -> list[Measurement]:
    optimizer = getattr(bench, "optimizer_name", "?")
    reference = f"transformers.Trainer ({optimizer}, random sampler)"
    common = {
        "model": model_name,
        "batch_size": settings["batch_size"],
        "max_length": settings["max_length"],
        "epochs": settings["epochs"],
        "variant": label,
    }
    rows = []
    for data, runs, target, n_examples in (
        ("padded fixed-length", fixed_runs, targets[0], settings["fixed_examples"]),
        ("realistic lengths", realistic_runs, targets[1], settings["realistic_examples"]),
    ):
        x_eps = median_of(runs["xstilts"], "examples_per_s")
        r_eps = median_of(runs["trainer"], "examples_per_s")
        details = {
            **common,
            **noise(runs["xstilts"], runs["trainer"]),
            "examples": n_examples,
            "tokens_per_s": {
                "xstilts": median_of(runs["xstilts"], "tokens_per_s"),
                "reference": median_of(runs["trainer"], "tokens_per_s"),
            },
            "padded_tokens": {
                "xstilts": runs["xstilts"][0]["padded_tokens"],
                "reference": runs["trainer"][0]["padded_tokens"],
            },
            "real_tokens": runs["xstilts"][0]["tokens"],
            "seconds": {k: [r["seconds"] for r in v] for k, v in runs.items()},
            "cpu_pair_ratios": [
                r["cpu_seconds"] / x["cpu_seconds"]
                for x, r in zip(runs["xstilts"], runs["trainer"], strict=False)
            ],
        }
        if "trainer_grouped" in runs:
            details["trainer_group_by_length_examples_per_s"] = median_of(
                runs["trainer_grouped"], "examples_per_s"
            )
        padding = (
            ", padding=max_length" if data.startswith("padded") else ", DataCollatorWithPadding"
        )
        rows.append(
            Measurement(
                section="training",
                name=f"training throughput, {data}, {label} (examples/s; tokens/s ratio identical)",
                xstilts=x_eps,
                reference=r_eps,
                reference_name=reference + padding,
                unit="examples/s",
                ratio=x_eps / r_eps,
                target=f"≥ {target:.1f}×",
                target_value=target,
                details=details,
            )
        )
    return rows


def _mfu_rows(
    label: str, fixed_runs: dict, realistic_runs: dict, peak_gflops: float, realistic_target: float
) -> list[Measurement]:
    rows = []
    for data, runs, target in (
        ("padded fixed-length", fixed_runs, 0.5),
        ("realistic lengths", realistic_runs, realistic_target),
    ):
        model_rate = median_of(runs["xstilts"], "model_gflops_per_s")
        hardware_rate = median_of(runs["xstilts"], "hardware_gflops_per_s")
        reference_rate = median_of(runs["trainer"], "model_gflops_per_s")
        rows.append(
            Measurement(
                section="training",
                name=f"achieved training FLOP/s ÷ matmul peak (MFU), {data}, {label}",
                xstilts=model_rate / peak_gflops,
                reference=reference_rate / peak_gflops,
                reference_name="same, for the Trainer run",
                unit="fraction of peak",
                ratio=model_rate / peak_gflops,
                target=f"≥ {target:.2f}",
                target_value=target,
                details={
                    "model_gflops_per_s": model_rate,
                    "hardware_gflops_per_s": hardware_rate,
                    "hardware_fraction": hardware_rate / peak_gflops,
                    "peak_gflops": peak_gflops,
                    "formula": "FLOPs = Σ_seq 6·N·T + 12·L·d·T² (T real tokens; "
                    "hardware: T = padded width), N = non-embedding parameters",
                },
            )
        )
    return rows
