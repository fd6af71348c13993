"""A small MLM-only encoder built from scratch: word-level tokenizer + XLM-R architecture.

The controlled design needs an encoder whose *every* exposure to a language is set by design, so
it cannot start from a pretrained checkpoint (XLM-R has already seen ~100 languages, e5 was also
trained contrastively — its Tatoeba is ~98% before any intermediate task). We build the same
architecture as XLM-R (``XLMRobertaConfig``, so every family, head and loader of xstilts works on
it unchanged) at a size a 2-core CPU trains in seconds, in the spirit of Chang et al. 2023
(arXiv 2311.09205: thousands of small LMs with controlled per-language budgets).

The tokenizer is word-level over whitespace (the synthetic languages are defined on words): its
vocabulary is every surface form of every language of the design, *independent of the budgets*,
so a language with budget 0 still has token ids — they just never receive a gradient in
pretraining, which is what "unseen in pretraining" means for XLM-R's rare-script tokens.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast, XLMRobertaConfig, XLMRobertaModel

SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")  # XLM-R's ids 0..3, then <mask>


@dataclass(frozen=True)
class TinyEncoderConfig:
    """The architecture of a from-scratch encoder (XLM-R shape, small)."""

    hidden_size: int = 128
    layers: int = 4
    heads: int = 4
    intermediate_size: int = 512
    max_positions: int = 64  # tokens per sequence, <s> and </s> included
    dropout: float = 0.1
    seed: int = 0  # initialisation seed

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def build_tokenizer(words: Iterable[str]) -> PreTrainedTokenizerFast:
    """A word-level tokenizer over ``words`` (sorted, deduplicated) with XLM-R's special tokens.

    Ids are assigned in sorted order after the special tokens, so the same vocabulary always gives
    the same ids (the encoder's content hash depends on it).
    """
    vocab = {token: i for i, token in enumerate(SPECIAL_TOKENS)}
    for word in sorted(set(words) - set(SPECIAL_TOKENS)):
        vocab[word] = len(vocab)
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    core.post_processor = processors.RobertaProcessing(
        ("</s>", vocab["</s>"]), ("<s>", vocab["<s>"])
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=10_000,
    )


def build_encoder(tokenizer: PreTrainedTokenizerFast, config: TinyEncoderConfig) -> XLMRobertaModel:
    """A randomly initialised XLM-R-architecture encoder for ``tokenizer`` (seeded)."""
    import torch

    model_config = XLMRobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        num_hidden_layers=config.layers,
        num_attention_heads=config.heads,
        intermediate_size=config.intermediate_size,
        max_position_embeddings=config.max_positions + 2,  # RoBERTa offsets positions by pad+1
        hidden_dropout_prob=config.dropout,
        attention_probs_dropout_prob=config.dropout,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        type_vocab_size=1,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return XLMRobertaModel(model_config, add_pooling_layer=False)


def save_encoder_folder(
    folder: Path, model: XLMRobertaModel, tokenizer: PreTrainedTokenizerFast
) -> None:
    """Write a Hugging Face folder (safetensors + tokenizer.json) that ``load_encoder`` reads."""
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(folder), safe_serialization=True)
    tokenizer.save_pretrained(str(folder))
