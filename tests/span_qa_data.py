"""The span_qa tests' shared material: the official-format fixtures, the QA specs, a long example,
a tiny XLM-R whose vocabulary covers them, and a stand-in model with hand-chosen scores.

Importable from any test module (``from span_qa_data import WordScorer``), as ``tiny_models``.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import torch
from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors, trainers
from torch import nn
from transformers import PreTrainedTokenizerFast

from tiny_models import build_tiny_encoder
from xstilts.data.examples import SpanQAExample
from xstilts.tasks.registry import TASKS

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "families" / "fixtures" / "span_qa"
SPECS = {name: TASKS[name] for name in ("squad", "squad_v2", "xquad", "mlqa", "tydiqa")}
XQUAD, MLQA, TYDIQA, SQUAD_V2 = SPECS["xquad"], SPECS["mlqa"], SPECS["tydiqa"], SPECS["squad_v2"]

# A context far longer than one window, with its answer near the end (written for this test).
FILLER = " ".join(
    f"Line {n} of the report describes the river and its old towns." for n in range(8)
)
LONG_CONTEXT = FILLER + " The report was written in Basel City by the river office."
LONG_ANSWER = "Basel City"
LONG_EXAMPLE = SpanQAExample(
    "long-1",
    "Where was the report written?",
    LONG_CONTEXT,
    (LONG_ANSWER,),
    (LONG_CONTEXT.index(LONG_ANSWER),),
)


def _fixture_texts() -> list[str]:
    texts = [FILLER, LONG_CONTEXT, LONG_EXAMPLE.question]
    for path in sorted(FIXTURES.rglob("*.json")):
        for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
            for paragraph in article["paragraphs"]:
                texts.append(paragraph["context"])
                texts.extend(qa["question"] for qa in paragraph["qas"])
    return texts


def build_qa_encoder(folder: Path) -> Path:
    """A tiny XLM-R whose word-level vocabulary covers the fixture texts."""
    return build_tiny_encoder(folder, _fixture_texts())


def char_tokenizer(texts: list[str]) -> PreTrainedTokenizerFast:
    """A word-level tokenizer that splits every CJK character off (as XLM-R mostly does)."""
    backend = Tokenizer(models.WordLevel(unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex("[\u4e00-\u9fff]"), behavior="isolated"),
            pre_tokenizers.Whitespace(),
        ]
    )
    trainer = trainers.WordLevelTrainer(special_tokens=["<s>", "<pad>", "</s>", "<unk>"])
    backend.train_from_iterator(texts, trainer)
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
        unk_token="<unk>", cls_token="<s>", sep_token="</s>",
    )  # fmt: skip


class WordScorer(nn.Module):
    """A stand-in QA model: a chosen score wherever a chosen token id appears, 0 elsewhere.

    ``start``/``end`` map token ids to scores; ``null`` is the null score ``start[0] + end[0]``
    (split evenly between the two heads at ``<s>``).
    """

    def __init__(self, start: dict[int, float], end: dict[int, float], null: float = 0.0) -> None:
        super().__init__()
        self.start, self.end, self.null = start, end, null
        self.anchor = nn.Parameter(torch.zeros(()))  # predict() asks the model for its device

    def forward(
        self, task: str, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> torch.Tensor:
        scores = torch.zeros((*input_ids.shape, 2))
        for column, table in ((0, self.start), (1, self.end)):
            for token_id, value in table.items():
                scores[..., column][input_ids == token_id] = value
        scores[:, 0, :] = self.null / 2
        return scores + self.anchor


def token_id(tokenizer: PreTrainedTokenizerFast, word: str) -> int:
    (found,) = tokenizer(word, add_special_tokens=False)["input_ids"]
    assert found != tokenizer.unk_token_id, word
    return found


def with_defaults(spec: object, **defaults: object) -> object:
    return dataclasses.replace(spec, defaults={**spec.defaults, **defaults})


def qa_data_dir(root: Path) -> Path:
    """The documented layout: SQuAD v1.1 train/dev linked into the xquad and mlqa folders."""
    for name in ("squad", "squad_v2", "xquad", "mlqa", "tydiqa"):
        shutil.copytree(FIXTURES / name, root / name)
    for task in ("xquad", "mlqa"):
        for name in ("train-v1.1.json", "dev-v1.1.json"):
            (root / task / name).symlink_to(root / "squad" / name)
    return root
