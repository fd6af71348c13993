"""The frozen-prefix cache gives the encoder's own outputs (eval mode), trains only the top, and
is shared only between encoders whose frozen prefixes are equal."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertModel, XLMRobertaConfig, XLMRobertaModel

from xstilts.config import TrainConfig, load_study
from xstilts.data.featurize import Feature, collate
from xstilts.errors import ConfigError, XstiltsError
from xstilts.experiments.encoders import freeze_bottom_layers
from xstilts.families.classification import loss as classification_loss
from xstilts.models.frozen_prefix import attach_prefix_cache, clear_prefix_caches, prefix_cache
from xstilts.models.heads import ClassificationHead, EncoderWithHeads
from xstilts.train.packing import packing_first_position

SHAPE = {
    "vocab_size": 120,
    "hidden_size": 32,
    "num_hidden_layers": 4,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "max_position_embeddings": 64,
}


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    clear_prefix_caches()  # the caches are per process: every test starts with none


def _encoder(kind: str, attention: str, frozen: int = 2, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    if kind == "xlmr":  # the e5 / XLM-R class
        config = XLMRobertaConfig(
            pad_token_id=1, bos_token_id=0, eos_token_id=2, attn_implementation=attention, **SHAPE
        )
        encoder: torch.nn.Module = XLMRobertaModel(config, add_pooling_layer=False)
    else:
        config = BertConfig(pad_token_id=0, attn_implementation=attention, **SHAPE)
        encoder = BertModel(config, add_pooling_layer=False)
    freeze_bottom_layers(encoder, frozen)
    return encoder


def _batch(lengths: list[int], pad_id: int, seed: int = 1) -> dict:
    generator = torch.Generator().manual_seed(seed)
    features = [
        Feature(tuple(torch.randint(3, 120, (n,), generator=generator).tolist()), i % 3)
        for i, n in enumerate(lengths)
    ]
    return collate(features, pad_id)


def _model(encoder: torch.nn.Module) -> EncoderWithHeads:
    torch.manual_seed(2)
    head = ClassificationHead(SHAPE["hidden_size"], 3, dropout=0.1, pooling="mean")
    return EncoderWithHeads(encoder, {"xnli": head})


@pytest.mark.parametrize("kind", ["xlmr", "bert"])
@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_cached_top_layers_equal_the_encoder_in_eval_mode(kind: str, attention: str) -> None:
    pad_id = 1 if kind == "xlmr" else 0
    plain, cached = _model(_encoder(kind, attention)), _model(_encoder(kind, attention))
    cache = attach_prefix_cache(cached.encoder, 2)
    plain.eval()
    cached.eval()
    first = _batch([5, 17, 9, 3, 12], pad_id)
    # the same sequences again in another batch: other padding width, other neighbours
    second = {key: value[[3, 0, 2]] for key, value in first.items() if torch.is_tensor(value)}
    width = int(second["attention_mask"].sum(1).max())
    second = {key: value[:, :width] if value.ndim == 2 else value for key, value in second.items()}
    for batch in (first, second):
        ids, mask = batch["input_ids"], batch["attention_mask"]
        expected = plain.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        got = cache.encode(cached.encoder, ids, mask)
        assert got is not None
        real = mask.bool()
        torch.testing.assert_close(got[real], expected[real], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(cached("xnli", ids, mask), plain("xnli", ids, mask))
    assert (cache.computed, cache.reused) == (5, 5 + 3 + 3)  # later passes: all from the cache


def test_training_updates_only_the_top_and_restores_the_modes() -> None:
    encoder = _encoder("xlmr", "sdpa")
    model = _model(encoder).train()
    cache = attach_prefix_cache(encoder, 2)
    batch = _batch([6, 11, 4, 9], 1)
    with torch.inference_mode():  # states first cached while predicting (dev evaluation)
        model("xnli", batch["input_ids"][:2], batch["attention_mask"][:2])
    model.train()
    loss = classification_loss(model, "xnli", batch)
    loss.backward()
    layers = list(encoder.encoder.layer)
    assert all(p.grad is None for layer in layers[:2] for p in layer.parameters())
    assert all(p.grad is not None for layer in layers[2:] for p in layer.parameters())
    assert all(module.training for module in model.modules())  # the prefix ran in eval mode only
    kept = {key: value.clone() for key, value in cache.states.items()}
    classification_loss(model, "xnli", batch)  # dropout on: the prefix states stay as computed
    assert kept.keys() == cache.states.keys()
    assert all(torch.equal(kept[key], cache.states[key]) for key in kept)


def test_prefix_states_are_float32_whatever_the_phase_precision() -> None:
    # a bf16 phase that fills the cache first must leave the same states an fp32 phase would
    batch = _batch([7, 12, 5], 1)
    ids, mask = batch["input_ids"], batch["attention_mask"]
    fp32 = attach_prefix_cache(_encoder("xlmr", "sdpa"), 2)
    reference = fp32.encode(_encoder("xlmr", "sdpa"), ids, mask)
    clear_prefix_caches()
    encoder = _encoder("xlmr", "sdpa")
    bf16 = attach_prefix_cache(encoder, 2)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        top = bf16.encode(encoder, ids, mask)
    assert top is not None and reference is not None
    assert not torch.equal(top, reference)  # the trainable top did run in bf16 ...
    torch.testing.assert_close(top, reference, atol=0.1, rtol=0.05)  # ... on the same states
    assert fp32.states.keys() == bf16.states.keys()
    assert all(torch.equal(fp32.states[key], bf16.states[key]) for key in fp32.states)


def test_left_padded_batches_run_the_encoder() -> None:
    encoder = _encoder("xlmr", "sdpa")
    cache = attach_prefix_cache(encoder, 2)
    mask = torch.tensor([[0, 1, 1], [1, 1, 1]])
    assert cache.encode(encoder, torch.tensor([[1, 5, 6], [7, 8, 9]]), mask) is None


def test_cache_is_shared_only_between_equal_prefixes() -> None:
    first, same = _encoder("xlmr", "sdpa"), _encoder("xlmr", "sdpa")
    cache = attach_prefix_cache(first, 2)
    assert attach_prefix_cache(same, 2) is cache and prefix_cache(same) is cache
    changed = _encoder("xlmr", "sdpa")
    with torch.no_grad():
        changed.encoder.layer[1].output.dense.weight[3, 7] += 0.5
    assert attach_prefix_cache(changed, 2) is not cache
    assert attach_prefix_cache(_encoder("xlmr", "sdpa", frozen=3), 3) is not cache
    assert "xstilts_prefix_cache" not in "".join(first.state_dict())
    with pytest.raises(ValueError, match="trainable"):
        attach_prefix_cache(_encoder("xlmr", "sdpa", frozen=1), 2)


def test_packing_is_refused_or_left_off_with_a_cache() -> None:
    encoder = _encoder("xlmr", "sdpa")
    assert packing_first_position(TrainConfig(packing="on"), "classification", encoder) == 2
    attach_prefix_cache(encoder, 2)
    assert packing_first_position(TrainConfig(packing="auto"), "classification", encoder) is None
    with pytest.raises(XstiltsError, match="cache_frozen_prefix"):
        packing_first_position(TrainConfig(packing="on"), "classification", encoder)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("", "needs encoder.frozen_layers >= 1"),
        ("  frozen_layers: 2\nintermediate:\n  packing: 'on'\n", "intermediate.packing"),
    ],
)
def test_study_settings_are_checked(tmp_path: Path, extra: str, message: str) -> None:
    path = tmp_path / "study.yaml"
    path.write_text(
        "encoder:\n  cache_frozen_prefix: true\n" + extra + "target_tasks: [xnli]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=message):
        load_study(path)
