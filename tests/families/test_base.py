"""families.base: pooled prediction over every evaluation set, and prediction under bf16."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import torchrun
from xstilts.config import EncoderConfig
from xstilts.data.examples import MultipleChoiceExample
from xstilts.evaluate.predict import embed_sentences
from xstilts.families.base import predict_sets
from xstilts.families.registry import trainable_family
from xstilts.models.encoder import load_encoder
from xstilts.models.heads import EncoderWithHeads
from xstilts.tasks.registry import get_task

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: more threads only contend on a shared CPU
    yield
    torch.set_num_threads(threads)


def _model(encoder_dir: Path, task: str) -> tuple[EncoderWithHeads, object]:
    encoder, tokenizer = load_encoder(str(encoder_dir))
    spec = get_task(task)
    family = trainable_family(spec.family)
    torch.manual_seed(0)
    head = family.new_head(encoder.config.hidden_size, spec, EncoderConfig(pooling="mean"))
    return EncoderWithHeads(encoder, {task: head}).eval(), tokenizer


def test_predict_sets_equals_one_predict_call_per_set(tiny_encoder: Path, demo_data: Path) -> None:
    """Pooling languages into one length-sorted stream changes no prediction and no order."""
    model, tokenizer = _model(tiny_encoder, "xnli")
    spec = get_task("xnli")
    family = trainable_family(spec.family)
    sets = {
        ("test", "de"): spec.load(demo_data / "xnli", "test", "de")[:37],
        ("test", "sw"): spec.load(demo_data / "xnli", "test", "sw")[:5],
        ("dev", "en"): spec.load(demo_data / "xnli", "dev", "en")[:70],
    }
    pooled = predict_sets(family, model, spec, sets, tokenizer, 48, batch_size=16)
    assert list(pooled) == list(sets)
    for key, examples in sets.items():
        alone = family.predict(model, "xnli", examples, tokenizer, spec, 48, 16)
        assert pooled[key] == alone
    # a hand-reordered set gets its predictions reordered the same way
    reversed_sets = {key: list(reversed(examples)) for key, examples in sets.items()}
    again = predict_sets(family, model, spec, reversed_sets, tokenizer, 48, batch_size=16)
    assert all(again[key] == list(reversed(pooled[key])) for key in sets)


def _examples(task: str, demo_data: Path) -> list[object]:
    if task == "xnli":
        return get_task(task).load(demo_data / "xnli", "test", "de")[:12]
    if task == "xquad":
        return get_task(task).load(FIXTURES / "span_qa" / "xquad", "test", "de")[:4]
    if task == "udpos":
        return get_task(task).load(FIXTURES / "tagging" / "udpos", "test", "de")[:6]
    # multiple choice: premise, question, two alternatives (XCOPA's shape)
    return [
        MultipleChoiceExample(f"q{i}", "The glass fell off the table.", "effect", choices, i % 2)
        for i, choices in enumerate([("It broke.", "It sang."), ("It flew.", "It shattered.")] * 3)
    ]


@pytest.mark.parametrize("task", ["xnli", "xcopa", "xquad", "udpos"])
def test_every_trainable_family_predicts_under_bf16_autocast(
    task: str, tiny_encoder: Path, demo_data: Path
) -> None:
    """A ``precision: bf16`` study predicts inside the bf16 autocast: bf16 logits must reach
    every family's post-processing (numpy has no bfloat16) and give one prediction each."""
    model, tokenizer = _model(tiny_encoder, task)
    spec = get_task(task)
    real = trainable_family(spec.family)
    autocast: list[bool] = []

    def predict(*args: object) -> list[object]:
        autocast.append(torch.is_autocast_enabled("cpu"))
        return real.predict(*args)

    family = dataclasses.replace(real, predict=predict)
    examples = _examples(task, demo_data)
    assert examples
    predicted = predict_sets(family, model, spec, {"de": examples}, tokenizer, 64, 4, "bf16")["de"]
    assert autocast == [True]
    assert len(predicted) == len(examples)
    fp32 = real.predict(model, task, examples, tokenizer, spec, 64, 4)
    assert [type(p) for p in predicted] == [type(p) for p in fp32]
    assert not torch.is_autocast_enabled("cpu")


_SHARDED_SCRIPT = """
import json, sys
from pathlib import Path
import torch
import torch.distributed as dist
from xstilts.config import EncoderConfig
from xstilts.families.base import predict_sets
from xstilts.families.registry import trainable_family
from xstilts.models.encoder import load_encoder
from xstilts.models.heads import EncoderWithHeads
from xstilts.tasks.registry import get_task

encoder_dir, data_dir, out = (Path(a) for a in sys.argv[1:4])
dist.init_process_group("gloo")
encoder, tokenizer = load_encoder(str(encoder_dir))
spec = get_task("xnli")
family = trainable_family(spec.family)
torch.manual_seed(0)
head = family.new_head(encoder.config.hidden_size, spec, EncoderConfig(pooling="mean"))
model = EncoderWithHeads(encoder, {"xnli": head}).eval()
sets = {f"{split}-{lang}": spec.load(data_dir / "xnli", split, lang)[:n]
        for split, lang, n in (("test", "de", 37), ("test", "sw", 5), ("dev", "en", 70))}
sizes = {}
original = family.predict
def counting(model, task, examples, *args):
    sizes.setdefault("n", len(examples))
    return original(model, task, examples, *args)
family = family.__class__(**{**family.__dict__, "predict": counting})
predicted = predict_sets(family, model, spec, sets, tokenizer, 48, batch_size=16)
from xstilts.evaluate.predict import embed_sentences
texts = [e.text_a for e in sets["test-de"]][:9]
vectors = embed_sentences(encoder, tokenizer, texts, layer=1, max_length=32, batch_size=4)
out.joinpath(f"rank{dist.get_rank()}.json").write_text(json.dumps({"predicted": predicted,
    "predicted_here": sizes["n"], "vectors": vectors.tolist()}))
dist.destroy_process_group()
"""


@pytest.mark.slow
def test_predict_sets_shards_over_torchrun_processes_and_gathers_the_same_predictions(
    tiny_encoder: Path, demo_data: Path, tmp_path: Path
) -> None:
    """Two gloo processes each predict (and embed) half of the pooled examples; both get every
    prediction and every vector, equal to one process doing everything."""
    import json

    script = tmp_path / "sharded.py"
    script.write_text(_SHARDED_SCRIPT, encoding="utf-8")
    torchrun(str(script), str(tiny_encoder), str(demo_data), str(tmp_path))
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["predicted"] == ranks[1]["predicted"]

    model, tokenizer = _model(tiny_encoder, "xnli")
    spec = get_task("xnli")
    sets = {
        f"{split}-{lang}": spec.load(demo_data / "xnli", split, lang)[:n]
        for split, lang, n in (("test", "de", 37), ("test", "sw", 5), ("dev", "en", 70))
    }
    alone = predict_sets(trainable_family("classification"), model, spec, sets, tokenizer, 48, 16)
    assert ranks[0]["predicted"] == alone
    total = sum(len(examples) for examples in sets.values())
    assert [r["predicted_here"] for r in ranks] == [(total + 1) // 2, total // 2]
    # retrieval embeddings: 9 sentences split 5 + 4, gathered in order on both processes
    texts = [e.text_a for e in sets["test-de"]][:9]
    vectors = embed_sentences(model.encoder, tokenizer, texts, layer=1, max_length=32, batch_size=4)
    for rank in ranks:
        assert np.allclose(np.array(rank["vectors"]), vectors, atol=1e-5)
