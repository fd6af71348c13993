"""Study configuration: plain dataclasses, loaded from YAML and validated with key paths in errors.

A study is one YAML file. Every key of ``intermediate:``/``target:``/``retrieval:`` the YAML sets is
remembered (:func:`explicit_keys`): only those beat a task's reference recipe, so a dataclass
default never silently replaces a recipe value (``experiments/settings.py``). Unknown keys are
errors (a typo such as ``learnig_rate`` must not be silently ignored and change the science), and
every error names the key path, e.g.
``study.yaml: train.learning_rate: expected a number, got 'fast'``.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xstilts.config_checks import (
    check_ranges,
    check_retrieval_ranges,
    check_task_combination,
    check_train_ranges,
)
from xstilts.config_pretraining import PretrainingConfig, check_pretraining
from xstilts.config_types import build_dataclass, convert_value
from xstilts.config_yaml import read_study_yaml
from xstilts.errors import ConfigError, bounded_message


@dataclass
class TrainConfig:
    """Optimisation settings for one training phase (intermediate or target)."""

    learning_rate: float = 3e-5
    epochs: float = 2.0
    batch_size: int = 16
    max_length: int = 128
    warmup_ratio: float = 0.1
    warmup_steps: int | None = None  # a fixed number of warm-up steps; None = warmup_ratio
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    max_train_examples: int | None = None  # cap, for quick studies
    # span_qa: tokens between the starts of two windows over a long context (XTREME: 128).
    doc_stride: int = 128
    # Which parameters the phase keeps: "en_dev" (best on English dev) or "last" (XTREME's QA).
    selection: str = "en_dev"
    eval_every_epochs: float = 1.0  # English-dev model selection points
    # Prediction batch (dev selection and zero-shot test): inference keeps no activations for a
    # backward pass, so on a GPU it can be several times batch_size. Does not change results.
    eval_batch_size: int = 64
    # Multi-task intermediate training: how tasks are mixed (jiant's samplers).
    sampler: str = "proportional"  # proportional | uniform | temperature
    temperature: float = 2.0  # for sampler "temperature": p_t ∝ n_t^(1/T)
    # Also score the mean of the parameters at every evaluation point (selection "ckpt_avg",
    # Schmidt et al. 2023: averaging makes true zero-shot transfer more robust).
    average_checkpoints: bool = False
    # Speed switches (each can be turned off): bf16 autocast (training and evaluation), the fused
    # AdamW kernel (CPU and CUDA), and torch.compile of the encoder and heads. The fp32 default is
    # bit-reproducible on CPU.
    precision: str = "fp32"  # fp32 | bf16
    fused_optimizer: bool = True  # when all trainable parameters are on one CPU or CUDA device
    compile: bool = False
    # Trainable word embeddings get sparse row gradients and a row-wise ("lazy") AdamW update: only
    # the rows a batch uses are read and written (train/sparse_adamw.py says exactly how that
    # differs from dense AdamW). No effect with encoder.freeze_embeddings.
    sparse_embedding_updates: bool = True
    # Sequence packing of training batches (sequence-level families, e.g. classification): the
    # batch's sequences share rows of max_length tokens with block-diagonal attention, giving the
    # same loss and gradients with fewer padded tokens (models/packing.py). "auto" = where it pays
    # (train/packing.py: on the CPU); "on" | "off".
    packing: str = "auto"
    # Resume points besides every dev evaluation (0 = only there); each costs a state save.
    checkpoint_every_steps: int = 0


@dataclass
class EncoderConfig:
    """Which pretrained encoder to start from, and what to keep frozen."""

    name: str = "multilingual-e5-small"  # hub name, local folder, or the embedded default
    # Freezing the 96M-parameter word-embedding matrix makes CPU training ~2x faster; the
    # transformer layers stay trainable. Off for real studies.
    freeze_embeddings: bool = False
    # Keep the bottom N transformer layers (and every embedding) fixed: autograd then stores no
    # activations for them and runs no backward pass through them, so a step costs about
    # (N + 3 (L - N)) / 3L of a full one. The demo uses it to fit its phases into minutes on 2 CPU
    # cores; the top layers, where task fine-tuning changes an encoder most, still train.
    frozen_layers: int = 0
    # Compute the frozen bottom (embeddings + frozen_layers) once per distinct input sequence and
    # train only the top from the cached states (models/frozen_prefix.py). The prefix then runs
    # in eval mode (no dropout there, also while training): results differ from an uncached run.
    # Needs frozen_layers >= 1; batches are then never packed.
    cache_frozen_prefix: bool = False
    # How a sentence-level head pools the encoder output: "cls" (<s>, as XLM-R heads in XTREME)
    # or "mean" (over non-pad tokens, as e5 was trained).
    pooling: str = "cls"
    dropout: float = 0.1
    # Attention kernel passed to from_pretrained: "sdpa" (PyTorch scaled_dot_product_attention,
    # flash/memory-efficient kernels on GPU) or "eager" (the reference implementation).
    attention: str = "sdpa"


@dataclass
class RetrievalConfig:
    """How retrieval targets embed sentences (XTREME: mean-pooled hidden states of one layer)."""

    # Index into hidden_states (0 = embeddings, -1 = last); unset = the task's recipe rule
    # (XTREME's middle layer for Tatoeba/BUCC, tasks/recipe.xtreme_layer), else the last layer.
    layer: int | None = None
    max_length: int = 128
    batch_size: int = 64
    # Also score every layer (rows with selection "layer_sweep") and the best layer per language
    # (selection "oracle": chosen on the scored data itself, an upper bound).
    sweep_layers: bool = False


@dataclass
class StudyConfig:
    """One X-STILTs study: encoder x intermediate tasks x target tasks x seeds."""

    name: str = "study"
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    # Each entry is one intermediate phase; "none" is the no-intermediate baseline.
    intermediate_tasks: list[str] = field(default_factory=lambda: ["none"])
    target_tasks: list[str] = field(default_factory=list)
    # Grid cells not to run, "intermediate -> target" (e.g. "sst2 -> xnli": SST-2 kept for the
    # retrieval targets only); a grid axis, checked by config_checks.skipped_cells.
    skip: list[str] = field(default_factory=list)
    seeds: list[int] = field(default_factory=lambda: [0])
    # Restrict target languages (empty = every language of the task found in the data).
    languages: list[str] = field(default_factory=list)
    data_dir: str = "data"  # folder with one sub-folder per task (relative to the YAML file)
    output_dir: str = "runs"  # run folders and the results store (relative to the YAML file)
    intermediate: TrainConfig = field(default_factory=TrainConfig)
    target: TrainConfig = field(default_factory=TrainConfig)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    threads: int | None = None  # torch CPU threads; None = torch default
    # Experiment trackers fed by accelerate: tensorboard (default, offline), mlflow, wandb.
    trackers: list[str] = field(default_factory=lambda: ["tensorboard"])
    # Also select each language's checkpoint on its own dev set (oracle, Keung et al. 2020) and
    # store those rows with selection "oracle" beside the English-dev ("en_dev") rows.
    oracle_selection: bool = True
    # Per-task overrides of any intermediate/target/retrieval key, e.g. {tydiqa: {max_length: 384}}:
    # the highest layer of the settings precedence (recipe < study section < tasks.<name>).
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Bit-reproducible GPU training: torch.use_deterministic_algorithms + CUBLAS_WORKSPACE_CONFIG
    # (slower; some kernels have no deterministic version and then raise).
    deterministic: bool = False
    # Continued MLM of the encoder per designed cell before the grid (config_pretraining.py).
    pretraining: PretrainingConfig | None = None

    def to_json(self) -> str:
        """Canonical JSON (sorted keys) — the basis of content hashes and stored run configs.
        A study without ``pretraining:`` has the JSON (and so the ids) it had before the key."""
        data = dataclasses.asdict(self)
        if data["pretraining"] is None:
            del data["pretraining"]
        return json.dumps(data, sort_keys=True)


def explicit_keys(config: Any) -> frozenset[str]:
    """The keys of a config section the study set explicitly.

    A section read from YAML remembers its keys; a value changed in code afterwards (or set when
    building the section in code) counts when it differs from the dataclass default.
    """
    recorded = frozenset(getattr(config, "_explicit_keys", ()))
    return recorded | frozenset(
        item.name
        for item in dataclasses.fields(config)
        if getattr(config, item.name) != _field_default(item)
    )


def _field_default(item: dataclasses.Field) -> Any:  # type: ignore[type-arg]
    if item.default is not dataclasses.MISSING:
        return item.default
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return dataclasses.MISSING


def study_from_dict(data: Any, source: str = "<config>") -> StudyConfig:
    """Build and validate a :class:`StudyConfig`; errors are prefixed with ``source``."""
    try:
        study = build_dataclass(StudyConfig, data, "")
        validate_study(study)
    except ConfigError as error:
        raise ConfigError(f"{source}: {bounded_message(str(error))}") from None
    return study


def validate_study(study: StudyConfig) -> None:
    """Semantic checks the types cannot express (tasks exist, values in range)."""
    from xstilts.tasks.registry import (
        TASK_VARIANTS,
        TASKS,  # tasks never import config, so no cycle
        parse_task_name,
    )

    for i, name in enumerate(study.intermediate_tasks):
        for part in check_task_combination(i, name):
            base, variant = parse_task_name(part)
            if base != "none" and base not in TASKS:
                raise ConfigError(
                    f"intermediate_tasks[{i}]: unknown task {base!r}; known: "
                    f"none, {', '.join(sorted(TASKS))}"
                )
            if variant is not None and variant not in TASK_VARIANTS:
                raise ConfigError(
                    f"intermediate_tasks[{i}]: unknown variant {variant!r} of {base!r}; "
                    f"expected one of {', '.join(TASK_VARIANTS)}"
                )
    if not study.target_tasks:
        raise ConfigError("target_tasks: at least one target task is required")
    for i, name in enumerate(study.target_tasks):
        if name not in TASKS:
            raise ConfigError(
                f"target_tasks[{i}]: unknown task {name!r}; known: {', '.join(sorted(TASKS))}"
            )
    for i, tracker in enumerate(study.trackers):
        if tracker not in ("tensorboard", "mlflow", "wandb"):
            raise ConfigError(
                f"trackers[{i}]: unknown tracker {tracker!r}; expected tensorboard, mlflow or wandb"
            )
    study.languages = [_task_language(i, code) for i, code in enumerate(study.languages)]
    if not study.seeds:
        raise ConfigError("seeds: at least one seed is required")
    if study.encoder.attention not in ("sdpa", "eager"):
        raise ConfigError(
            f"encoder.attention: expected 'sdpa' or 'eager', got {study.encoder.attention!r}"
        )
    if study.encoder.frozen_layers < 0:
        raise ConfigError(
            f"encoder.frozen_layers: expected 0 or more, got {study.encoder.frozen_layers}"
        )
    if study.encoder.pooling not in ("cls", "mean"):
        raise ConfigError(
            f"encoder.pooling: expected 'cls' or 'mean', got {study.encoder.pooling!r}"
        )
    for phase in ("intermediate", "target"):
        _check_train(getattr(study, phase), phase)
    _check_prefix_cache(study)
    _check_retrieval(study.retrieval, "retrieval")
    study.tasks = {name: _task_overrides(name, keys) for name, keys in study.tasks.items()}
    check_ranges(study)
    if study.pretraining is not None:
        check_pretraining(study.pretraining)


def _check_prefix_cache(study: StudyConfig) -> None:
    """``encoder.cache_frozen_prefix`` needs a frozen prefix and unpacked batches."""
    if not study.encoder.cache_frozen_prefix:
        return
    if study.encoder.frozen_layers < 1:
        raise ConfigError(
            "encoder.cache_frozen_prefix: needs encoder.frozen_layers >= 1 (a frozen prefix)"
        )
    for phase in ("intermediate", "target"):
        if getattr(study, phase).packing == "on":
            raise ConfigError(
                f"{phase}.packing: 'on' cannot be combined with encoder.cache_frozen_prefix"
            )


def _check_train(train: TrainConfig, phase: str) -> None:
    """Value checks of one training section (``phase`` is its key path)."""
    if train.learning_rate <= 0:
        raise ConfigError(f"{phase}.learning_rate: must be > 0")
    if train.epochs <= 0:
        raise ConfigError(f"{phase}.epochs: must be > 0")
    if train.batch_size < 1:
        raise ConfigError(f"{phase}.batch_size: must be >= 1")
    if train.eval_batch_size < 1:
        raise ConfigError(f"{phase}.eval_batch_size: must be >= 1")
    if train.max_length < 8:
        raise ConfigError(f"{phase}.max_length: must be >= 8")
    if train.doc_stride < 1:
        raise ConfigError(f"{phase}.doc_stride: must be >= 1")
    if train.warmup_steps is not None and train.warmup_steps < 0:
        raise ConfigError(f"{phase}.warmup_steps: must be >= 0")
    if train.selection not in ("en_dev", "last"):
        raise ConfigError(f"{phase}.selection: expected en_dev or last, got {train.selection!r}")
    if train.sampler not in ("proportional", "uniform", "temperature"):
        raise ConfigError(
            f"{phase}.sampler: expected proportional, uniform or temperature, got {train.sampler!r}"
        )
    if train.packing not in ("auto", "on", "off"):
        raise ConfigError(f"{phase}.packing: expected auto, on or off, got {train.packing!r:.40}")
    if train.precision not in ("fp32", "bf16"):
        raise ConfigError(f"{phase}.precision: expected fp32 or bf16, got {train.precision!r}")
    if train.temperature <= 0:
        raise ConfigError(f"{phase}.temperature: must be > 0")
    check_train_ranges(phase, train)


def _check_retrieval(retrieval: RetrievalConfig, path: str) -> None:
    if retrieval.max_length < 8:
        raise ConfigError(f"{path}.max_length: must be >= 8")
    if retrieval.batch_size < 1:
        raise ConfigError(f"{path}.batch_size: must be >= 1")
    check_retrieval_ranges(path, retrieval)


def _task_overrides(name: str, keys: dict[str, Any]) -> dict[str, Any]:
    """Type-check ``tasks.<name>``: keys of the section that task uses (retrieval or training)."""
    from xstilts.tasks.registry import TASKS

    path = f"tasks.{name}"
    if name not in TASKS:
        raise ConfigError(f"{path}: unknown task {name!r}; known: {', '.join(sorted(TASKS))}")
    section: Any = RetrievalConfig if TASKS[name].family == "retrieval" else TrainConfig
    hints = typing.get_type_hints(section)
    converted = {}
    for key, value in keys.items():
        if key not in hints:
            raise ConfigError(
                f"{path}.{key}: unknown key for a {TASKS[name].family} task; expected one of "
                f"{', '.join(sorted(hints))}"
            )
        converted[key] = convert_value(value, hints[key], f"{path}.{key}")
    checked = section(**converted)
    if section is TrainConfig:
        _check_train(checked, path)
    else:
        _check_retrieval(checked, path)
    return converted


def load_study(path: str | Path) -> StudyConfig:
    """Load a study YAML; relative ``data_dir``/``output_dir`` resolve against the YAML's folder."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    study = study_from_dict(read_study_yaml(path), str(path))
    base = path.resolve().parent
    study.data_dir = str((base / study.data_dir).resolve())
    study.output_dir = str((base / study.output_dir).resolve())
    study.encoder.name = _encoder_beside(base, study.encoder.name)
    if study.pretraining is not None:
        for key in ("corpus_dir", "cell_dir"):
            if value := getattr(study.pretraining, key):
                setattr(study.pretraining, key, str((base / value).resolve()))
    return study


def _task_language(index: int, code: str) -> str:
    """A study language as the tasks key it (ISO 639-1). ISO 639-3 codes and the codes datasets
    use (``swh`` in Tatoeba, ``cmn``, ``pes``) are mapped through the language table; a code no
    task carries is an error naming the key."""
    from xstilts.languages.table import is_known, to_iso639_1
    from xstilts.tasks.registry import TASKS

    carried = {lang for spec in TASKS.values() for lang in spec.languages}
    iso1 = to_iso639_1(code) if isinstance(code, str) and is_known(code) else code
    if iso1 not in carried:
        raise ConfigError(
            f"languages[{index}]: no task carries {code!r}; use ISO 639-1 or 639-3 "
            "codes of the tasks' languages (e.g. en, de, sw/swh, zh/cmn; xstilts langs lists them)"
        )
    return str(iso1)


def _encoder_beside(base: Path, name: str) -> str:
    """A relative encoder folder means one beside the YAML (as ``data_dir``), not in the cwd.

    ``./enc`` or ``models/enc/`` always resolves there; a bare ``org/name`` only when such a
    folder exists beside the YAML (else it stays a hub id). ``~`` expands to the home folder.
    """
    if name.startswith("~"):
        return str(Path(name).expanduser())
    if Path(name).is_absolute() or "\x00" in name:
        return name
    beside = base / name
    path_like = name.startswith(".") or name.endswith("/") or name.count("/") > 1
    return str(beside.resolve()) if path_like or beside.is_dir() else name
