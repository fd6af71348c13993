"""Shared pieces of the benchmark suite: measurements, alternated timing, memory, models, data.

Every ratio in the suite is *xstilts speed / reference speed* measured in the same process on the
same model, data and batch size: for a throughput it is ``xstilts / reference``, for a time it is
``reference seconds / xstilts seconds``, so a ratio above 1 always means xstilts is faster. The two
sides are run alternately (ABBA order over the repeats, which cancels a linear drift of the
machine's speed, e.g. another process starting) and the median of the repeats is reported.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import os
import random
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEMO_DATA = REPO / "src" / "xstilts" / "demo" / "data"


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass
class Measurement:
    """One row of ``results.md``: a ratio (or a fraction) with both raw values and its target."""

    section: str
    name: str
    xstilts: float | None
    reference: float | None
    reference_name: str
    unit: str
    ratio: float | None
    target: str = ""
    target_value: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # For rows whose "ratio" column holds a cost (seconds, a growth factor): met when ≤ target.
    lower_is_better: bool = False

    @property
    def met(self) -> bool | None:
        if self.target_value is None or self.ratio is None:
            return None
        if self.lower_is_better:
            return self.ratio <= self.target_value
        return self.ratio >= self.target_value

    def to_json(self) -> dict[str, Any]:
        row = dataclasses.asdict(self)
        row["met"] = self.met
        return row


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def alternate(
    sides: dict[str, Callable[[], dict[str, Any]]], repeats: int
) -> dict[str, list[dict[str, Any]]]:
    """Run each side ``repeats`` times, interleaved in ABBA order; each call returns a dict with
    at least ``seconds`` (the side times its own critical section, so set-up can be excluded)."""
    names = list(sides)
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for repeat in range(repeats):
        order = names if repeat % 2 == 0 else names[::-1]
        for name in order:
            gc.collect()
            out[name].append(sides[name]())
    return out


def median_of(runs: Sequence[dict[str, Any]], key: str) -> float:
    return median([float(run[key]) for run in runs])


NOISY_SPREAD = 1.25


def noise(xstilts: Sequence[dict[str, Any]], reference: Sequence[dict[str, Any]]) -> dict:
    """How much to trust a ratio: the slowest/fastest spread of each side's repeats, and the
    ratio of the best repeats (noise from other processes only ever adds time)."""

    def seconds(runs: Sequence[dict[str, Any]]) -> list[float]:
        return [float(run["seconds"]) for run in runs]

    x, r = seconds(xstilts), seconds(reference)
    return {
        "spread": max(max(x) / min(x), max(r) / min(r)),
        "ratio_of_best": min(r) / min(x),
    }


# ---------------------------------------------------------------------------------------------
# Memory: peak resident set size of a code block
# ---------------------------------------------------------------------------------------------


def _read_status_kib(field_name: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_high_water_mark() -> bool:
    """Linux: writing 5 to ``clear_refs`` resets VmHWM to the current RSS (proc(5))."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


class PeakMemory:
    """Peak RSS above the starting RSS while the block runs (MiB), via VmHWM where the kernel
    allows resetting it, else by sampling RSS every 5 ms in a thread."""

    def __init__(self) -> None:
        self.peak_mib = 0.0
        self.peak_rss_mib = 0.0
        self._sampler: threading.Thread | None = None
        self._stop = threading.Event()
        self._max_rss = 0

    @staticmethod
    def _rss_bytes() -> int:
        kib = _read_status_kib("VmRSS")
        if kib is not None:
            return kib * 1024
        import psutil

        return int(psutil.Process().memory_info().rss)

    def __enter__(self) -> PeakMemory:
        gc.collect()
        self._start = self._rss_bytes()
        self._use_hwm = _reset_high_water_mark() and _read_status_kib("VmHWM") is not None
        if not self._use_hwm:
            self._max_rss = self._start

            def sample() -> None:
                while not self._stop.wait(0.005):
                    self._max_rss = max(self._max_rss, self._rss_bytes())

            self._sampler = threading.Thread(target=sample, daemon=True)
            self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._use_hwm:
            peak = (_read_status_kib("VmHWM") or 0) * 1024
        else:
            self._stop.set()
            assert self._sampler is not None
            self._sampler.join()
            peak = max(self._max_rss, self._rss_bytes())
        self.peak_mib = max(0, peak - self._start) / 2**20
        self.peak_rss_mib = peak / 2**20


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------

# Shapes of randomly initialised XLM-R encoders (the e5 tokenizer's vocabulary).
MODEL_SHAPES: dict[str, dict[str, int]] = {
    # A few-layer model for the smoke mode and the pipeline-scaling table.
    "tiny": {
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 128,
    },
    # multilingual-e5-small's shape (12 x 384, 12 heads, FFN 1536).
    "e5-small-shape": {
        "hidden_size": 384,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 1536,
    },
    # XLM-R base (the GPU MFU row).
    "xlmr-base": {
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
    },
}


def quiet_libraries() -> None:
    """No hub calls, no library chatter on the console."""
    import warnings

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def e5_tokenizer() -> Any:
    """The XLM-R SentencePiece tokenizer of the embedded e5-small (built offline on first use)."""
    from transformers import AutoTokenizer

    from xstilts.models.encoder import resolve_encoder

    return AutoTokenizer.from_pretrained(resolve_encoder("multilingual-e5-small"))


def load_model(model: str) -> tuple[Any, Any, str]:
    """``(encoder, tokenizer, description)``; word embeddings frozen as in the demo.

    ``e5-small`` is the embedded pretrained multilingual-e5-small (what the demo trains); the
    other names are randomly initialised XLM-R encoders of :data:`MODEL_SHAPES` with the same
    tokenizer (same compute as a pretrained model of that shape; only the weights differ).
    """
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    if model == "e5-small":
        from xstilts.models.encoder import load_encoder

        encoder, tokenizer = load_encoder("multilingual-e5-small")
        description = "multilingual-e5-small (pretrained, embedded; word embeddings frozen)"
    else:
        tokenizer = e5_tokenizer()
        config = XLMRobertaConfig(
            vocab_size=len(tokenizer),
            max_position_embeddings=514,
            pad_token_id=tokenizer.pad_token_id,
            bos_token_id=0,
            eos_token_id=2,
            **MODEL_SHAPES[model],
        )
        torch.manual_seed(0)
        encoder = XLMRobertaModel(config, add_pooling_layer=False)
        shape = MODEL_SHAPES[model]
        description = (
            f"random-init XLM-R {shape['num_hidden_layers']}x{shape['hidden_size']} "
            f"({model}; e5 tokenizer; word embeddings frozen)"
        )
    encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    return encoder, tokenizer, description


def trainable_snapshot(module: Any) -> dict[str, Any]:
    """A copy of the trainable parameters, to give every timed run the same starting point."""
    return {n: p.detach().clone() for n, p in module.named_parameters() if p.requires_grad}


def restore(module: Any, snapshot: dict[str, Any]) -> None:
    import torch

    with torch.no_grad():
        for name, parameter in module.named_parameters():
            if name in snapshot:
                parameter.copy_(snapshot[name])


def non_embedding_parameters(encoder: Any) -> int:
    """N of the 6·N·tokens estimate: the transformer layers' parameters (embeddings excluded, as
    in Kaplan et al. 2020; a lookup costs no FLOPs and the word embeddings are frozen here)."""
    return sum(p.numel() for p in encoder.encoder.parameters())


class FlopCounter:
    """Counts tokens and training FLOPs of every batch the encoder sees (a forward pre-hook).

    Per sequence of ``T`` real tokens in a batch padded to ``P``:
    model FLOPs = 6·N·T + 12·L·d·T² (useful work; padding is waste) and
    hardware FLOPs = 6·N·P + 12·L·d·P² (what the machine multiplies, padding included);
    N = non-embedding parameters, L layers, d hidden size. The attention term (QKᵀ and A·V,
    2·2·T·d per token per layer forward, ×3 for backward) is the one of the PaLM paper's MFU
    appendix (Chowdhery et al. 2022, App. B). For inference use ``factor=1/3`` (2·N·T + 4·L·d·T²).
    """

    def __init__(self, encoder: Any, factor: float = 1.0) -> None:
        config = encoder.config
        self.n = non_embedding_parameters(encoder)
        self.layers, self.hidden = config.num_hidden_layers, config.hidden_size
        self.factor = factor
        self.reset()
        self._handle = encoder.register_forward_pre_hook(self._hook, with_kwargs=True)

    def reset(self) -> None:
        self.sequences = 0
        self.tokens = 0
        self.padded_tokens = 0
        self.model_flops = 0.0
        self.hardware_flops = 0.0

    def _hook(self, module: Any, args: tuple, kwargs: dict) -> None:
        import torch

        input_ids = kwargs.get("input_ids", args[0] if args else None)
        mask = kwargs.get("attention_mask")
        if input_ids is None:
            return
        if mask is None:
            mask = torch.ones_like(input_ids)
        lengths = mask.sum(1).double()
        batch, width = input_ids.shape
        per_token, attention = 6.0 * self.n, 12.0 * self.layers * self.hidden
        self.sequences += batch
        self.tokens += int(lengths.sum())
        self.padded_tokens += batch * width
        self.model_flops += self.factor * float(
            (per_token * lengths + attention * lengths**2).sum()
        )
        self.hardware_flops += self.factor * batch * (per_token * width + attention * width**2)

    def remove(self) -> None:
        self._handle.remove()


# ---------------------------------------------------------------------------------------------
# Data: the demo's XNLI files, replicated
# ---------------------------------------------------------------------------------------------


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
    from xstilts.experiments.plan import TaskData
    from xstilts.tasks.registry import get_task

    return TaskData(
        spec=get_task("xnli"),
        directory=DEMO_DATA / "xnli",
        digest=f"bench-{tag}-{len(examples)}",
        eval_languages={},
        train=list(examples),
    )


def seconds_since(start: float) -> float:
    return time.perf_counter() - start
