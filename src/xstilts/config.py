"""Study configuration: plain dataclasses, loaded from YAML and validated with key paths in errors.

A study is one YAML file. Unknown keys are errors (a typo such as ``learnig_rate`` must not be
silently ignored and change the science), and every error names the key path, e.g.
``study.yaml: train.learning_rate: expected a number, got 'fast'``.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from xstilts.errors import ConfigError


@dataclass
class TrainConfig:
    """Optimisation settings for one training phase (intermediate or target)."""

    learning_rate: float = 3e-5
    epochs: float = 2.0
    batch_size: int = 16
    max_length: int = 128
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    max_train_examples: int | None = None  # cap, for quick studies
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
    # Resume points besides every dev evaluation (0 = only there); each costs a state save.
    checkpoint_every_steps: int = 0


@dataclass
class EncoderConfig:
    """Which pretrained encoder to start from, and what to keep frozen."""

    name: str = "multilingual-e5-small"  # hub name, local folder, or the embedded default
    # Freezing the 96M-parameter word-embedding matrix makes CPU training ~2x faster; the
    # transformer layers stay trainable. Off for real studies.
    freeze_embeddings: bool = False
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

    layer: int = -1  # index into hidden_states (0 = embeddings); -1 = last layer
    max_length: int = 128
    batch_size: int = 64


@dataclass
class StudyConfig:
    """One X-STILTs study: encoder x intermediate tasks x target tasks x seeds."""

    name: str = "study"
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    # Each entry is one intermediate phase; "none" is the no-intermediate baseline.
    intermediate_tasks: list[str] = field(default_factory=lambda: ["none"])
    target_tasks: list[str] = field(default_factory=list)
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

    def to_json(self) -> str:
        """Canonical JSON (sorted keys) — the basis of content hashes and stored run configs."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _convert(value: Any, tp: Any, path: str) -> Any:
    """Check/convert one YAML value against a dataclass field type, naming ``path`` on error."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(value, inner[0], path)
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if not isinstance(value, list):
            if isinstance(value, (str, int, float)):
                value = [value]
            else:
                raise ConfigError(f"{path}: expected a list, got {value!r}")
        return [_convert(v, item_tp, f"{path}[{i}]") for i, v in enumerate(value)]
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, path)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{path}: expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(f"{path}: expected a string, got {value!r}")
        return str(value)
    raise ConfigError(f"{path}: unsupported type {_type_name(tp)}")


def _build(cls: Any, data: Any, path: str) -> Any:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path or 'top level'}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        key_path = f"{path}.{key}" if path else str(key)
        if key not in names:
            close = difflib.get_close_matches(str(key), sorted(names), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(
                f"{key_path}: unknown key; {hint}expected one of {', '.join(sorted(names))}"
            )
        kwargs[key] = _convert(value, hints[key], key_path)
    return cls(**kwargs)


def study_from_dict(data: Any, source: str = "<config>") -> StudyConfig:
    """Build and validate a :class:`StudyConfig`; errors are prefixed with ``source``."""
    try:
        study = _build(StudyConfig, data, "")
        validate_study(study)
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None
    return study


def validate_study(study: StudyConfig) -> None:
    """Semantic checks the types cannot express (tasks exist, values in range)."""
    from xstilts.tasks.registry import (
        TASK_VARIANTS,
        TASKS,  # tasks never import config, so no cycle
        parse_task_name,
    )

    for i, name in enumerate(study.intermediate_tasks):
        for part in name.split("+"):
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
    task_languages = {lang for spec in TASKS.values() for lang in spec.languages}
    for i, code in enumerate(study.languages):
        if code not in task_languages:
            raise ConfigError(
                f"languages[{i}]: unknown language {code!r}; use ISO 639-1 codes as the tasks do "
                f"(e.g. en, de, sw, zh)"
            )
    if not study.seeds:
        raise ConfigError("seeds: at least one seed is required")
    if study.encoder.attention not in ("sdpa", "eager"):
        raise ConfigError(
            f"encoder.attention: expected 'sdpa' or 'eager', got {study.encoder.attention!r}"
        )
    if study.encoder.pooling not in ("cls", "mean"):
        raise ConfigError(
            f"encoder.pooling: expected 'cls' or 'mean', got {study.encoder.pooling!r}"
        )
    for phase in ("intermediate", "target"):
        train: TrainConfig = getattr(study, phase)
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
        if train.sampler not in ("proportional", "uniform", "temperature"):
            raise ConfigError(
                f"{phase}.sampler: expected proportional, uniform or temperature, "
                f"got {train.sampler!r}"
            )
        if train.precision not in ("fp32", "bf16"):
            raise ConfigError(f"{phase}.precision: expected fp32 or bf16, got {train.precision!r}")
        if train.temperature <= 0:
            raise ConfigError(f"{phase}.temperature: must be > 0")


def load_study(path: str | Path) -> StudyConfig:
    """Load a study YAML; relative ``data_dir``/``output_dir`` resolve against the YAML's folder."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise ConfigError(f"{where}: {problem}") from None
    study = study_from_dict(data, str(path))
    base = path.resolve().parent
    study.data_dir = str((base / study.data_dir).resolve())
    study.output_dir = str((base / study.output_dir).resolve())
    return study
