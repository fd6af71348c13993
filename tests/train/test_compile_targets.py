"""What ``train(compile=True)`` compiles: everything but a sparse-gradient embedding lookup."""

from __future__ import annotations

from torch import nn
from transformers import XLMRobertaConfig, XLMRobertaModel

from xstilts.models.heads import ClassificationHead, EncoderWithHeads
from xstilts.train.loop import compile_targets
from xstilts.train.sparse_adamw import use_sparse_embedding_gradients


def _model() -> EncoderWithHeads:
    config = XLMRobertaConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=40, pad_token_id=1,
    )  # fmt: skip
    encoder = XLMRobertaModel(config, add_pooling_layer=False)
    return EncoderWithHeads(encoder, {"xnli": ClassificationHead(16, 3, 0.1, "cls")})


def test_dense_model_compiles_its_children_whole() -> None:
    model = _model()
    assert compile_targets(model) == list(model.children())


def test_sparse_embedding_stays_eager() -> None:
    model = _model()
    use_sparse_embedding_gradients(model, True)
    targets = compile_targets(model)
    embeddings = model.encoder.embeddings
    assert embeddings.word_embeddings.sparse
    assert not any(target is embeddings.word_embeddings for target in targets)
    assert not any(target is model.encoder or target is embeddings for target in targets)
    # the layer stack, the heads and the dense parts of the embedding block are compiled
    assert any(target is model.encoder.encoder for target in targets)
    assert any(target is model.heads for target in targets)
    assert any(target is embeddings.position_embeddings for target in targets)
    covered = {id(p) for target in targets for p in target.parameters()}
    eager = [n for n, p in model.named_parameters() if id(p) not in covered]
    assert eager == ["encoder.embeddings.word_embeddings.weight"]
    assert isinstance(embeddings.word_embeddings, nn.Embedding)
