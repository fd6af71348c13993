"""Sequence packing gives every sequence the outputs, loss and gradients it gets unpacked."""

from __future__ import annotations

import pytest
import torch
from transformers import BertConfig, BertModel, XLMRobertaConfig, XLMRobertaModel

from xstilts.data.featurize import Feature, collate
from xstilts.families.classification import loss as classification_loss
from xstilts.models.heads import ClassificationHead, EncoderWithHeads
from xstilts.models.packing import (
    PackedInputs,
    best_rows,
    first_fit_rows,
    first_position_id,
    pack_batch,
)

SHAPE = {
    "vocab_size": 120,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "max_position_embeddings": 64,
}
LENGTHS = [5, 17, 9, 3, 12, 7, 16]


def _encoder(kind: str, attention: str) -> torch.nn.Module:
    torch.manual_seed(0)
    if kind == "xlmr":  # the e5 / XLM-R class: positions start after padding_idx
        config = XLMRobertaConfig(
            pad_token_id=1, bos_token_id=0, eos_token_id=2, attn_implementation=attention, **SHAPE
        )
        return XLMRobertaModel(config, add_pooling_layer=False)
    config = BertConfig(pad_token_id=0, attn_implementation=attention, **SHAPE)
    return BertModel(config, add_pooling_layer=False)


def _batch(pad_id: int) -> dict:
    generator = torch.Generator().manual_seed(1)
    features = [
        Feature(tuple(torch.randint(3, 120, (n,), generator=generator).tolist()), i % 3)
        for i, n in enumerate(LENGTHS)
    ]
    return collate(features, pad_id)


def _model(kind: str, attention: str, pooling: str) -> EncoderWithHeads:
    torch.manual_seed(2)
    head = ClassificationHead(SHAPE["hidden_size"], 3, dropout=0.1, pooling=pooling)
    model = EncoderWithHeads(_encoder(kind, attention), {"xnli": head})
    return model.eval()  # dropout off: the two layouts would draw different masks


def _loss_and_grads(model: EncoderWithHeads, batch: dict) -> tuple[torch.Tensor, dict, dict]:
    model.zero_grad(set_to_none=True)
    loss = classification_loss(model, "xnli", batch)
    loss.backward()
    packed = PackedInputs.from_batch(batch)
    with torch.no_grad():
        logits = model("xnli", batch["input_ids"], batch["attention_mask"], packed=packed)
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return loss.detach(), {"logits": logits}, grads


@pytest.mark.parametrize(
    ("kind", "attention", "pooling"),
    [("xlmr", "sdpa", "cls"), ("xlmr", "eager", "mean"), ("bert", "sdpa", "mean")],
)
def test_packed_equals_unpacked(kind: str, attention: str, pooling: str) -> None:
    model = _model(kind, attention, pooling)
    pad_id = model.encoder.config.pad_token_id
    batch = _batch(pad_id)
    first = first_position_id(model.encoder)
    assert first == (2 if kind == "xlmr" else 0)
    packed = pack_batch(batch, max_width=24, pad_id=pad_id, first_position=first)
    rows = packed["packed_input_ids"].shape[0]
    assert rows < len(LENGTHS)  # really packed: fewer rows than sequences
    assert int(packed["packed_segments"].ge(0).sum()) == sum(LENGTHS)

    loss, outputs, grads = _loss_and_grads(model, batch)
    packed_loss, packed_outputs, packed_grads = _loss_and_grads(model, packed)

    torch.testing.assert_close(packed_outputs["logits"], outputs["logits"], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(packed_loss, loss, atol=1e-6, rtol=1e-6)
    assert packed_grads.keys() == grads.keys()
    for name, grad in grads.items():
        torch.testing.assert_close(packed_grads[name], grad, atol=1e-5, rtol=1e-4, msg=name)


def test_neighbours_do_not_leak() -> None:
    """Changing one sequence's tokens changes only its own output in a packed row."""
    model = _model("xlmr", "sdpa", "mean")
    batch = _batch(1)
    packed = pack_batch(batch, max_width=24, pad_id=1, first_position=2)
    other = dict(packed)
    ids = packed["packed_input_ids"].clone()
    row0 = packed["packed_segments"][0]
    victim = int(row0[0])
    ids[0][row0 == victim] = 7  # rewrite one sequence of the first row
    other["packed_input_ids"] = ids
    with torch.no_grad():
        before = model("xnli", batch["input_ids"], batch["attention_mask"],
                       packed=PackedInputs.from_batch(packed))  # fmt: skip
        after = model("xnli", batch["input_ids"], batch["attention_mask"],
                      packed=PackedInputs.from_batch(other))  # fmt: skip
    changed = (before - after).abs().amax(1) > 1e-6
    assert changed.tolist() == [i == victim for i in range(len(LENGTHS))]


def test_first_fit_rows() -> None:
    rows = first_fit_rows([5, 17, 9, 3, 12, 7, 16], 24)
    assert sorted(i for row in rows for i in row) == list(range(7))
    assert all(sum([5, 17, 9, 3, 12, 7, 16][i] for i in row) <= 24 for row in rows)
    assert len(rows) == 3  # 69 tokens in rows of 24: 3 is the minimum
    with pytest.raises(ValueError, match="does not fit"):
        first_fit_rows([30], 24)


def test_batch_left_padded_when_packing_saves_nothing() -> None:
    """Sequences alike in length (a length-grouped batch) fill padded rows already."""
    batch = collate([Feature((5,) * n, 0) for n in (10, 10, 9, 10)], 1)
    assert pack_batch(batch, max_width=24, pad_id=1, first_position=2) is batch
    # longest 17, rows of 17 or 34: 5 x 17 = 85 tokens beat 3 x 34 = 102 (and 7 x 17 padded)
    assert best_rows(LENGTHS, 34)[0] == 17 and len(best_rows(LENGTHS, 34)[1]) == 5
