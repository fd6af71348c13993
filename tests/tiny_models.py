"""A tiny real-architecture XLM-R and its tokenizer, for fast tests of the real code paths.

Importable from any test module (``from tiny_models import build_tiny_encoder``): ``tests/`` is on
``sys.path`` through pytest's rootdir conftest.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO_DATA = REPO / "src" / "xstilts" / "demo" / "data"


def corpus(data_dir: Path) -> list[str]:
    texts: list[str] = []
    for path in sorted(data_dir.rglob("*")):
        if path.is_file() and path.suffix not in (".md",):
            texts.extend(path.read_text(encoding="utf-8").splitlines())
    return texts


def build_tiny_encoder(
    folder: Path, corpus: list[str], seed: int = 0, mask_token: str | None = None
) -> Path:
    """Save a randomly initialised 2-layer XLM-R + a trained word-level tokenizer to ``folder``.

    With a ``mask_token`` the tokenizer gets one and the model is saved as XLMRobertaForMaskedLM,
    with its LM head, so that the masked-LM tests also exercise loading a pretrained head.
    """
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import (
        PreTrainedTokenizerFast,
        XLMRobertaConfig,
        XLMRobertaForMaskedLM,
        XLMRobertaModel,
    )

    specials = ["<s>", "<pad>", "</s>", "<unk>"] + ([mask_token] if mask_token else [])
    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Whitespace(), pre_tokenizers.Punctuation()]
    )
    trainer = trainers.WordLevelTrainer(vocab_size=4000, special_tokens=specials, min_frequency=1)
    tokenizer.train_from_iterator(corpus, trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)],
    )
    # mask_token=None would still be written to tokenizer_config.json: pass it only when set.
    mask = {"mask_token": mask_token} if mask_token else {}
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>",
        cls_token="<s>", sep_token="</s>", model_max_length=512, **mask,
    )  # fmt: skip
    config = XLMRobertaConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
        pad_token_id=1, bos_token_id=0, eos_token_id=2,
    )  # fmt: skip
    torch.manual_seed(seed)
    if mask_token:
        model = XLMRobertaForMaskedLM(config)
    else:
        model = XLMRobertaModel(config, add_pooling_layer=False)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    fast.save_pretrained(folder)
    return folder
