"""Run a study in-process: the X-STILTs chain for every (intermediate task, target task, seed).

    encoder ──► intermediate task (English) ──► target task (English train) ──► every language
        │              (skipped for "none")      retrieval targets: no training, scored directly
        └── only the encoder carries over between phases; every phase gets a new head

An intermediate checkpoint is addressed by content hash and trained once for all target tasks; a
target run whose rows are already in the store is skipped, so re-running a study resumes it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn
from tqdm.auto import tqdm

from xstilts.config import RetrievalConfig, StudyConfig, TrainConfig
from xstilts.data.cache import cached, tokenizer_digest
from xstilts.data.featurize import training_batches
from xstilts.errors import XstiltsError, counted
from xstilts.experiments.oracle import ORACLE_STATES, OracleTracker, oracle_layers
from xstilts.experiments.plan import STORE_NAME, StudyPlan, TaskData, load_examples
from xstilts.experiments.run_rows import commit_kept_runs, write_run_rows
from xstilts.experiments.schema import BASELINE, RunRecords
from xstilts.experiments.settings import Effective, per_task, with_layer, with_settings
from xstilts.experiments.store import ResultStore
from xstilts.experiments.timing import peak_memory_mib, reset_peak_memory
from xstilts.families.base import RetrievalFamily, predict_sets, predict_sets_timed
from xstilts.families.items import item_records
from xstilts.families.registry import FAMILY_OPS, trainable_family
from xstilts.families.retrieval_items import retrieval_item_records
from xstilts.files import (
    MANIFEST,
    CorruptFileError,
    atomic_write_text,
    discard_folder,
    verify_manifest,
)
from xstilts.locking import output_lock
from xstilts.models.encoder import hidden_size, load_encoder, word_embeddings
from xstilts.models.heads import EncoderWithHeads, initialize_head
from xstilts.tasks.recipe import Selection
from xstilts.tasks.spec import TaskSpec
from xstilts.train.checkpoint import (
    atomic_folder,
    copy_parameters,
    swapped_parameters,
    trainable_state,
)
from xstilts.train.determinism import enable_determinism
from xstilts.train.loop import train
from xstilts.train.samplers import interleave

log = logging.getLogger("xstilts")

__all__ = ["STORE_NAME", "StudyRunner", "StudySummary", "run_study"]


# ---------------------------------------------------------------------------------------------
# Model set-up and checkpoints (safetensors; only trainable parameters, frozen ones equal the base)
# ---------------------------------------------------------------------------------------------


def build_encoder(study: StudyConfig) -> tuple[nn.Module, Any]:
    encoder, tokenizer = load_encoder(study.encoder.name, study.encoder.attention)
    if study.encoder.freeze_embeddings:
        word_embeddings(encoder).weight.requires_grad_(False)
    if study.encoder.frozen_layers:
        freeze_bottom_layers(encoder, study.encoder.frozen_layers)
    return encoder, tokenizer


def freeze_bottom_layers(encoder: nn.Module, count: int) -> None:
    """Fix the embeddings and the bottom ``count`` layers (``encoder.frozen_layers``)."""
    layers = list(encoder.get_submodule("encoder.layer").children())
    if count > len(layers):
        raise XstiltsError(
            f"encoder.frozen_layers: {count} is more than the encoder's {len(layers)} layers"
        )
    for module in [encoder.get_submodule("embeddings"), *layers[:count]]:
        for parameter in module.parameters():
            parameter.requires_grad_(False)


def save_encoder(encoder: nn.Module, folder: Path, meta: dict[str, Any]) -> None:
    """Atomically write the encoder's trainable tensors and a meta.json next to them.

    The folder is keyed by content, so a copy another process wrote first is kept.
    """
    with atomic_folder(folder, keep_existing=True) as tmp:
        save_file(trainable_state(encoder), str(tmp / "encoder.safetensors"))
        meta_text = json.dumps(meta, indent=2, sort_keys=True)
        (tmp / "meta.json").write_text(meta_text, encoding="utf-8")


def load_encoder_state(encoder: nn.Module, folder: Path) -> None:
    """Load a saved encoder after checking its manifest (``CorruptFileError`` names the file)."""
    path = folder / "encoder.safetensors"
    if (folder / MANIFEST).is_file():  # folders written before manifests existed have none
        verify_manifest(folder, ("encoder.safetensors",))
    try:
        state = load_file(str(path))
    except (OSError, SafetensorError) as error:
        raise CorruptFileError(f"{path}: unreadable encoder checkpoint ({error})") from None
    missing = [name for name in state if name not in dict(encoder.named_parameters())]
    if missing:
        raise XstiltsError(f"{folder}: checkpoint does not match the encoder ({missing[0]} ...)")
    copy_parameters(encoder, state)


# ---------------------------------------------------------------------------------------------
# One training phase, any trainable family, one or several tasks
# ---------------------------------------------------------------------------------------------


def train_phase(
    model: EncoderWithHeads,
    tasks: Sequence[TaskData],
    tokenizer: Any,
    config: TrainConfig,
    seed: int,
    description: str,
    checkpoint_dir: Path | None = None,
    progress: bool = True,
    log_dir: Path | None = None,
    trackers: Sequence[str] = (),
    on_evaluation: Callable[[int], None] | None = None,
    feature_cache: Path | None = None,
    task_configs: dict[str, TrainConfig] | None = None,
) -> dict[str, Any]:
    """Train the encoder with one head per task (several tasks: mixed by ``config.sampler``).

    ``config`` drives the optimiser; ``task_configs`` (default: ``config``) gives each task its
    own featurization length and QA window. Model selection uses the mean English-dev headline
    metric over the tasks (or keeps the last step, ``config.selection == "last"``).
    """
    ops = {data.spec.name: trainable_family(data.spec.family) for data in tasks}
    own = {data.spec.name: (task_configs or {}).get(data.spec.name, config) for data in tasks}
    specs = {data.spec.name: with_settings(data.spec, own[data.spec.name]) for data in tasks}
    features = {
        data.spec.name: cached(
            feature_cache,
            {
                "task": data.spec.name,
                "variant": data.variant,
                "data": data.digest,
                "examples": len(data.train),
                "tokenizer": tokenizer_digest(tokenizer),
                "max_length": own[data.spec.name].max_length,
                "doc_stride": own[data.spec.name].doc_stride,
                "family": data.spec.family,
            },
            lambda data=data: ops[data.spec.name].featurize(  # type: ignore[misc]
                data.train, tokenizer, specs[data.spec.name], own[data.spec.name].max_length
            ),
        )
        for data in tasks
    }

    def batches_for_epoch(epoch: int) -> list[dict[str, Any]]:
        # A pure function of (seed, epoch): a resumed run rebuilds exactly the same batches.
        generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
        per_task: list[list[dict[str, Any]]] = []
        for name, feats in features.items():
            lengths = [ops[name].feature_length(f) for f in feats]
            batches = []
            for indices in training_batches(lengths, config.batch_size, generator):
                batch = ops[name].collate([feats[i] for i in indices], tokenizer.pad_token_id)
                batch["task"] = name
                batches.append(batch)
            per_task.append(batches)
        examples = [len(data.train) for data in tasks]  # jiant samples tasks by examples
        return interleave(per_task, config.sampler, config.temperature, generator, examples)

    current_epoch: dict[int, list[dict[str, Any]]] = {}

    def batches_cached(epoch: int) -> list[dict[str, Any]]:
        if epoch not in current_epoch:
            current_epoch.clear()
            current_epoch[epoch] = batches_for_epoch(epoch)
        return current_epoch[epoch]

    def compute_loss(m: nn.Module, batch: dict[str, Any]) -> torch.Tensor:
        return ops[batch["task"]].loss(m, batch["task"], batch)

    def evaluate_dev(step: int) -> float:
        if on_evaluation is not None:
            on_evaluation(step)
        scores = []
        for data in tasks:
            if not data.dev_en:
                continue
            family, spec = ops[data.spec.name], specs[data.spec.name]
            predicted = predict_sets(
                family, model, spec, {"en": data.dev_en}, tokenizer, own[spec.name].max_length,
                config.eval_batch_size, config.precision,
            )["en"]  # fmt: skip
            scores.append(family.score(predicted, data.dev_en, data.spec, "en")[data.spec.metric])
        return sum(scores) / len(scores)

    has_dev = any(data.dev_en for data in tasks)
    result = train(
        model,
        batches_cached,
        compute_loss,
        evaluate_dev if has_dev else None,
        config,
        description,
        checkpoint_dir=checkpoint_dir,
        checkpoint_every=config.checkpoint_every_steps,
        progress=progress,
        log_dir=log_dir,
        trackers=trackers,
    )
    return dataclasses.asdict(result)


def new_head(study: StudyConfig, encoder: nn.Module, spec: TaskSpec) -> nn.Module:
    """A fresh head for ``spec``, initialised N(0, the encoder's ``initializer_range``).

    The masked-LM head is the exception: it starts from the checkpoint's own LM head when there
    is one, which must not be re-drawn.
    """
    family = trainable_family(spec.family)
    head = family.new_head(hidden_size(encoder), spec, study.encoder)
    if spec.family == "masked_lm":
        return head
    return initialize_head(head, float(getattr(encoder.config, "initializer_range", 0.02)))


# ---------------------------------------------------------------------------------------------
# The study
# ---------------------------------------------------------------------------------------------


@dataclass
class StudySummary:
    runs_done: int
    runs_skipped: int
    rows_written: int
    store_path: Path
    seconds: float


def _row(base: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**base, **fields}


def score_rows(
    base: dict[str, Any],
    scores: dict[tuple[Any, ...], float],
    layer: int | None,
    eval_seconds: dict[tuple[str, str], float],
) -> list[dict[str, Any]]:
    """One store row per score; a retrieval row records the layer it was embedded at (a sweep
    row its own layer, any other the run's)."""
    return [
        _row(
            base, split=split, language=language, metric=metric, selection=str(sel),
            value=value, layer=sel_layer if sel_layer is not None else layer,
            eval_seconds=eval_seconds.get((split, language), 0.0),
        )
        for (split, language, metric, sel, sel_layer), value in sorted(
            with_layer(scores).items(), key=lambda item: str(item[0])
        )
    ]  # fmt: skip


class StudyRunner(StudyPlan):
    """Runs every unit of a study; each target run's rows are committed to the store at once."""

    def __init__(self, study: StudyConfig, progress: bool = True) -> None:
        super().__init__(study)
        if study.deterministic:  # before anything touches CUDA (cuBLAS reads its env once)
            enable_determinism()
        # Under `accelerate launch`/torchrun every process runs the same units in lockstep (the
        # training loop shards batches and averages gradients); only the main process writes.
        from accelerate import PartialState

        self.processes = PartialState(cpu=not torch.cuda.is_available())
        self.is_main = self.processes.is_main_process
        self.progress = progress and self.is_main
        # Seconds spent evaluating each (split, language) of the unit being run (run_unit resets).
        self.eval_seconds: dict[tuple[str, str], float] = {}

    def barrier(self) -> None:
        if self.processes.num_processes > 1:
            self.processes.wait_for_everyone()

    def prepare(self) -> None:
        """Read every task's data now, so a bad file fails before any training or store write."""
        if not self.tasks:
            self.describe()
        for name, data in self.tasks.items():
            is_intermediate = any(
                name in combo.split("+") for combo in self.study.intermediate_tasks
            )
            if is_intermediate:
                config = per_task(self.study, "intermediate", [name])[name].values
            elif data.spec.family == "retrieval":
                config = self.study.target  # nothing is trained: only the evaluation sets load
            else:
                config = self.target_settings(name).values
            load_examples(data, config)

    # -- execution --------------------------------------------------------------------------
    def run(self, executor: str = "local", **executor_options: Any) -> StudySummary:
        """Run every pending unit with ``executor`` (``local`` or ``ray``); resume-safe."""
        from xstilts.experiments import executors

        launchers = {
            "local": executors.run_local,
            "ray": executors.run_ray,
            "slurm": executors.run_slurm,
        }
        if executor not in launchers:
            raise XstiltsError(f"unknown executor {executor!r}; expected local, ray or slurm")
        self.describe()
        self.output.mkdir(parents=True, exist_ok=True)
        # One study process per output folder; torchrun's other ranks follow the main one.
        lock = output_lock(self.output) if self.is_main else contextlib.nullcontext()
        with lock, _study_log(self.output / "xstilts.log", self.is_main):
            return self._run_pending(launchers[executor], executor_options)

    def _run_pending(self, launch: Callable[..., None], options: dict[str, Any]) -> StudySummary:
        start = time.perf_counter()
        done = skipped = rows = 0
        units = self.units()
        if self.is_main:
            log.info("study %r: %s", self.study.name, _study_line(self.study))
            stored = self.stored_run_ids()  # runs that finished, but a kill beat their commit:
            kept = [self.output / "runs" / u.run_id for u in units if u.run_id not in stored]
            commit_kept_runs(self.store_path, kept)
        self.barrier()
        stored = self.stored_run_ids()
        pending = [u for u in units if u.run_id not in stored]
        if pending:
            self.prepare()  # every file is parsed before the store is opened for writing
        self.barrier()  # every process has read the store before the main one opens it to write
        if not self.is_main:
            launch(self, pending, lambda unit_rows: None, False, **options)
            return StudySummary(0, len(units) - len(pending), 0, self.store_path, 0.0)
        skipped = len(units) - len(pending)
        if skipped:
            log.info("resuming: %d of %s already in the store", skipped, counted(len(units), "run"))

        def write(unit: RunRecords) -> None:
            # The store is opened only to commit, so readers (`xstilts results`) work mid-study.
            nonlocal rows, done
            with ResultStore(self.store_path) as store:
                rows += store.add_run(unit["rows"], unit["items"])
            done += 1

        if not self.store_path.exists():
            ResultStore(self.store_path).close()  # an empty store from the start
        launch(self, pending, write, self.progress, **options)
        summary = StudySummary(done, skipped, rows, self.store_path, time.perf_counter() - start)
        log.info("study %r: %s done, %d already stored, %s in %.1f s", self.study.name,
                 counted(done, "run"), skipped, counted(rows, "row"), summary.seconds)  # fmt: skip
        return summary

    def ensure_intermediate(self, combo: str, seed: int) -> None:
        """Train and store the intermediate checkpoint (combo, seed) unless it exists."""
        self._encoder_after_intermediate(combo, seed)

    def _encoder_after_intermediate(self, combo: str, seed: int) -> tuple[nn.Module, Any]:
        """The encoder as the target phase receives it (trains and caches it on first use)."""
        study = self.study
        encoder, tokenizer = build_encoder(study)
        if combo == BASELINE:
            return encoder, tokenizer
        folder = self.intermediate_folder(combo, seed)
        self.barrier()  # all processes see the same checkpoint state
        if (folder / "encoder.safetensors").is_file():
            try:
                load_encoder_state(encoder, folder)
                return encoder, tokenizer
            except CorruptFileError as error:
                if self.processes.num_processes > 1:
                    raise XstiltsError(f"{error}; delete {folder} to train it again") from None
                log.warning("%s; moving %s aside and training it again", error, folder)
                aside = folder.with_name(folder.name + ".corrupt")
                shutil.rmtree(aside, ignore_errors=True)
                folder.rename(aside)
        names = combo.split("+")
        shared, own = self.intermediate_settings(combo)
        torch.manual_seed(seed)
        heads = {
            self.tasks[n].spec.name: new_head(study, encoder, self.tasks[n].spec) for n in names
        }
        model = EncoderWithHeads(encoder, heads)
        log.info("intermediate training %s (seed %d) -> %s", combo, seed, folder)
        partial = folder.with_name(folder.name + ".training")
        result = train_phase(
            model,
            [self.tasks[n] for n in names],
            tokenizer,
            shared.values,
            seed,
            f"intermediate {combo}",
            partial,
            self.progress,
            log_dir=folder.with_name(folder.name + ".logs"),
            trackers=study.trackers,
            feature_cache=self.output / "features",
            task_configs={self.tasks[n].spec.name: own[n].values for n in names},
        )
        result.pop("average_state", None)  # the intermediate encoder is the English-dev choice
        log.info("intermediate %s done: %s", combo, json.dumps(result))
        if self.is_main:
            meta = {"tasks": combo, "seed": seed, "encoder": study.encoder.name, "result": result}
            save_encoder(encoder, folder, meta)
            discard_folder(partial)
        self.barrier()
        return encoder, tokenizer

    def run_unit(self, seed: int, combo: str, target: str, run_id: str) -> RunRecords:
        study = self.study
        data = self.tasks[target]
        started = datetime.now(timezone.utc).replace(tzinfo=None)
        clock = time.perf_counter()
        reset_peak_memory()
        self.eval_seconds = {}  # filled by the evaluation below
        encoder, tokenizer = self._encoder_after_intermediate(combo, seed)
        run_dir = self.output / "runs" / run_id
        run_dir.mkdir(parents=True, exist_ok=True)
        config = self.run_config(combo, target, seed)
        if self.is_main:
            atomic_write_text(run_dir / "config.json", json.dumps(config, indent=2))
        settings = self.target_settings(target)
        layer = None
        if data.spec.family == "retrieval":
            scores = self._retrieval_scores(encoder, tokenizer, data, run_dir, settings)
            train_info: dict[str, Any] = {}
            layer = settings.values.layer
            items: list[dict[str, Any]] = (  # per query, from the files the protocols wrote
                retrieval_item_records(data.spec, data.eval_sets, run_dir / "predictions")
                if self.is_main
                else []
            )
        else:
            scores, train_info, items = self._fine_tune_and_predict(
                encoder, tokenizer, data, seed, run_dir, settings
            )
        seconds = time.perf_counter() - clock
        self.barrier()
        base = {
            "run_id": run_id,
            "study": study.name,
            "encoder": study.encoder.name,
            "intermediate_task": combo,
            "target_task": target,
            "seed": seed,
            "config_json": json.dumps(config, sort_keys=True),
            "config_id": config["config_id"],
            "started_at": started,
            "seconds": seconds,
            "train_seconds": float(train_info.get("seconds", 0.0)),
            "intermediate_seconds": self._intermediate_seconds(combo, seed),
            "peak_memory_mib": peak_memory_mib(),
        }
        eval_seconds = self.eval_seconds
        log.info(
            "run %s (%s -> %s, seed %d): %s in %.1f s (target training %.1f s, evaluation "
            "%.1f s, peak memory %.0f MiB)", run_id, combo, target, seed, counted(len(scores),
            "score"), seconds, base["train_seconds"], sum(eval_seconds.values()),
            base["peak_memory_mib"],
        )  # fmt: skip
        if unscored := _unscored(scores, data.eval_sets):
            log.info("run %s: predicted, not scored (no gold in the data): %s", run_id, unscored)
        rows = score_rows(base, scores, layer, eval_seconds)
        records: RunRecords = {"rows": rows, "items": [{"run_id": run_id, **i} for i in items]}
        if self.is_main:  # rows.json first: from here on, a kill loses no work
            atomic_write_text(run_dir / "train.json", json.dumps(train_info, indent=2))
            write_run_rows(run_dir, records)
            discard_folder(run_dir / "checkpoint")
            discard_folder(run_dir / ORACLE_STATES)
        return records

    def _intermediate_seconds(self, combo: str, seed: int) -> float:
        """Training time of the intermediate checkpoint, as measured when it was trained."""
        if combo == BASELINE:
            return 0.0
        meta = self.intermediate_folder(combo, seed) / "meta.json"
        try:
            result = json.loads(meta.read_text(encoding="utf-8")).get("result", {})
            return float(result.get("seconds", 0.0))
        except (OSError, ValueError, AttributeError):
            return 0.0

    def run_config(self, combo: str, target: str, seed: int) -> dict[str, Any]:
        """Everything one run's scores depend on, stored as ``config.json`` and in every row.

        ``effective`` holds each phase's values *and the origin of each value* (recipe, study,
        per-task override or default), so a row is traceable to its settings.
        """
        effective: dict[str, Any] = {"target": self.target_settings(target).describe()}
        if combo != BASELINE:
            shared, own = self.intermediate_settings(combo)
            effective["intermediate"] = shared.describe()
            effective["intermediate_tasks"] = {name: e.describe() for name, e in own.items()}
        return {
            "study": json.loads(self.study.to_json()),
            "intermediate_task": combo,
            "target_task": target,
            "seed": seed,
            "effective": effective,
            "provenance": self.provenance(),
            "config_id": self.config_id(),
        }

    def _fine_tune_and_predict(
        self,
        encoder: nn.Module,
        tokenizer: Any,
        data: TaskData,
        seed: int,
        run_dir: Path,
        settings: Effective,
    ) -> tuple[dict[tuple[str, str, str, str], float], dict[str, Any], list[dict[str, Any]]]:
        """Train on English with the run's effective settings; score every (split, language),
        and each item of it under the kept parameters (the item records, without run id).

        The kept parameters are labelled as they were chosen: ``en_dev`` (best on English dev) or
        ``last`` (the recipe's or study's rule, or a task without an English dev set).

        With ``oracle_selection``, every dev evaluation also scores every language's dev set, and
        each language additionally gets its scores at the step where *its own* dev score peaked
        (selection ``oracle``, Keung et al. 2020; see ``experiments/oracle.py``).
        """
        study, config = self.study, settings.values
        spec = with_settings(data.spec, config)
        family = trainable_family(spec.family)
        torch.manual_seed(seed)
        model = EncoderWithHeads(encoder, {spec.name: new_head(study, encoder, spec)})
        max_length = config.max_length
        kept = Selection.EN_DEV if data.dev_en and config.selection == "en_dev" else Selection.LAST

        sets = dict(sorted(data.eval_sets.items()))
        dev_sets = {key: examples for key, examples in sets.items() if key[0] == spec.dev_split}

        items: list[dict[str, Any]] = []

        def score_all(
            chosen: Mapping[tuple[str, str], Sequence[Any]] = sets, write_to: Path | None = None
        ) -> dict[tuple[str, str, str], float]:
            args = (family, model, spec, chosen, tokenizer, max_length,
                    config.eval_batch_size, config.precision)  # fmt: skip
            # the kept evaluation times each language on its own; dev passes pool them all
            timed: dict[tuple[str, str], float] = {}
            if write_to is None:
                predictions = predict_sets(*args)
            else:
                predictions, timed = predict_sets_timed(*args)
            scores: dict[tuple[str, str, str], float] = {}
            for (split, language), examples in chosen.items():
                clock = time.perf_counter()
                predicted = predictions[(split, language)]
                for metric, value in family.score(predicted, examples, spec, language).items():
                    scores[(split, language, metric)] = value
                if write_to is not None:  # the English-dev predictions: keep their items
                    items.extend(
                        item_records(family, predicted, examples, spec, split, language, kept.value)
                    )
                    self.eval_seconds[(split, language)] = timed[(split, language)] + (
                        time.perf_counter() - clock
                    )
                if write_to is not None and self.is_main:
                    suffix = spec.prediction_suffix
                    atomic_write_text(
                        write_to / f"{split}-{language}.{suffix}",
                        family.format_predictions(examples, predicted),
                    )
            return scores

        oracle = OracleTracker(run_dir, spec.metric, spec.dev_split or "dev", self.is_main)

        def record(step: int) -> None:
            oracle.record(step, score_all(dev_sets), model)

        info = train_phase(
            model, [data], tokenizer, config, seed, f"target {spec.name}",
            run_dir / "checkpoint", self.progress, log_dir=run_dir / "logs",
            trackers=study.trackers, on_evaluation=record if study.oracle_selection else None,
            feature_cache=self.output / "features",
        )  # fmt: skip
        predictions_dir = run_dir / "predictions"
        predictions_dir.mkdir(exist_ok=True)
        en_dev = score_all(sets, predictions_dir)
        scores = {(*key, kept.value): value for key, value in en_dev.items()}
        average = info.pop("average_state", None)
        if average:
            with swapped_parameters(model, average):
                scores.update({(*k, "ckpt_avg"): v for k, v in score_all().items()})
        if study.oracle_selection and oracle.history:
            scores.update(oracle.final_scores(model, sets, en_dev, info["best_step"], score_all))
            info["oracle_steps"] = oracle.steps()
        return scores, info, items

    def _retrieval_scores(
        self, encoder: nn.Module, tokenizer: Any, data: TaskData, run_dir: Path, settings: Effective
    ) -> dict[tuple[Any, ...], float]:
        """Score every language straight from the encoder at the run's layer (``no_selection``).

        With ``sweep_layers`` every hidden state is scored too (``layer_sweep`` rows, one per
        layer), and per (split, language) the layer best on the headline metric gives the
        ``oracle`` rows: chosen on the scored data itself, so an upper bound, never a headline.
        """
        predictions_dir = run_dir / "predictions"
        if not self.is_main:  # same work, but files go to a private scratch folder
            predictions_dir = run_dir / f".scratch-{self.processes.process_index}"
        config: RetrievalConfig = settings.values
        scores: dict[tuple[Any, ...], float] = {
            (*key, Selection.NO_SELECTION.value): value
            for key, value in self._retrieval_at(
                encoder, tokenizer, data, config, predictions_dir
            ).items()
        }
        if not config.sweep_layers:
            return scores
        sweep: dict[tuple[str, str, str, str, int], float] = {}
        for layer in range(self.encoder.depth + 1):
            at_layer = dataclasses.replace(config, layer=layer)
            folder = predictions_dir / f"layer-{layer}"
            for key, value in self._retrieval_at(
                encoder, tokenizer, data, at_layer, folder
            ).items():
                sweep[(*key, Selection.LAYER_SWEEP.value, layer)] = value
        scores.update(sweep)
        scores.update(oracle_layers(sweep, data.spec.metric))
        return scores

    def _retrieval_at(
        self,
        encoder: nn.Module,
        tokenizer: Any,
        data: TaskData,
        config: RetrievalConfig,
        predictions_dir: Path,
    ) -> dict[tuple[str, str, str], float]:
        """Every (split, language, metric) of one retrieval task with one set of settings."""
        family = FAMILY_OPS[data.spec.family]
        assert isinstance(family, RetrievalFamily)
        predictions_dir.mkdir(parents=True, exist_ok=True)
        by_language: dict[str, dict[str, list[Any]]] = {}
        for (split, language), examples in sorted(data.eval_sets.items()):
            by_language.setdefault(language, {})[split] = examples
        scores: dict[tuple[str, str, str], float] = {}
        for language, sets in tqdm(
            by_language.items(), desc=f"evaluate {data.spec.name}", unit="lang", leave=False,
            disable=not self.progress,
        ):  # fmt: skip
            clock = time.perf_counter()
            results = family.evaluate(
                encoder, tokenizer, sets, data.spec, config, language, predictions_dir
            )
            for split in sets:  # a language's splits are evaluated together (BUCC threshold);
                # the first pass is the run's own layer (a layer sweep follows it)
                self.eval_seconds.setdefault((split, language), time.perf_counter() - clock)
            for (split, metric), value in results.items():
                scores[(split, language, metric)] = value
        return scores


def _unscored(scores: Mapping[tuple[Any, ...], float], sets: Mapping[tuple[str, str], Any]) -> str:
    """The evaluated (split, language) sets without a score: their data holds no gold (XTREME's
    download blanks test labels), so they were predicted for submission only."""
    scored = {(key[0], key[1]) for key in scores}
    return ", ".join(f"{split} {lang}" for split, lang in sets if (split, lang) not in scored)


def _study_line(study: StudyConfig) -> str:
    """The study's grid in one log line."""
    return (
        f"encoder {study.encoder.name}; intermediate {', '.join(study.intermediate_tasks)}; "
        f"targets {', '.join(study.target_tasks)}; seeds {', '.join(map(str, study.seeds))}"
    )


class _LogFile(logging.FileHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        """Drop the line: on a full disk logging would print a traceback per message, while
        the next checkpoint or row write stops the study with one line saying why."""


@contextlib.contextmanager
def _study_log(path: Path, attach: bool = True) -> Iterator[None]:
    """Log INFO and above to the study folder while the study runs (the console keeps the
    progress bars), then detach: a process that runs several studies (the controlled design
    runs one per seed) must not write one study's lines into another's log."""
    if not attach:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = _LogFile(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield
    finally:
        log.removeHandler(handler)
        handler.close()


def run_study(
    study: StudyConfig, progress: bool = True, executor: str = "local", **executor_options: Any
) -> StudySummary:
    """Run (or resume) a whole study; returns counts and the store path."""
    if study.threads:
        torch.set_num_threads(study.threads)
    return StudyRunner(study, progress=progress).run(executor, **executor_options)
