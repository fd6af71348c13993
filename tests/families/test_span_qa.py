"""span_qa: answer extraction, the no-answer rule, loss, scoring and the predictions file.

Golden tests drive the real ``predict`` with stand-in models whose scores are chosen by hand, so
the expected answer follows from the reference rules (``xtreme:third_party/run_squad.py``,
``processors/squad.py``, transformers ``squad_metrics.compute_predictions_logits``) and not from a
trained model. The end-to-end test runs a whole study (SQuAD 2.0 -> XQuAD, MLQA, TyDiQA) on a tiny
XLM-R and the official-format fixtures in ``fixtures/span_qa``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from transformers import PreTrainedTokenizerFast

from span_qa_data import FIXTURES, MLQA, SQUAD_V2, XQUAD, WordScorer, token_id
from xstilts.config import EncoderConfig
from xstilts.errors import XstiltsError
from xstilts.families import span_qa
from xstilts.families.span_qa import extract_answer
from xstilts.families.span_qa_features import SpanFeature
from xstilts.models.encoder import load_encoder
from xstilts.models.heads import EncoderWithHeads
from xstilts.tasks.catalog import mlqa, squad_v2, xquad

# --------------------------------------------------------------------------------------------
# From scores to an answer: hand-built windows over "w0 w1 ... w19"
# --------------------------------------------------------------------------------------------

WORDS = [f"w{i}" for i in range(20)]
WORD_CONTEXT = " ".join(WORDS)
WORD_OFFSETS = np.array([(m.start(), m.end()) for m in re.finditer(r"\S+", WORD_CONTEXT)])


def window(start: int, length: int, context_start: int = 3) -> SpanFeature:
    """A window of words ``start .. start+length-1`` after 3 question/special tokens."""
    return SpanFeature(
        input_ids=np.zeros(context_start + length + 1, dtype=np.int32),
        example_index=0,
        context_start=context_start,
        context_length=length,
        window_start=start,
        offsets=WORD_OFFSETS[start : start + length],
    )


def scores(
    feature: SpanFeature, at: dict[int, float], null: float = 0.0, rest: float = 0.0
) -> np.ndarray:
    """Scores of a window: ``at`` maps absolute word positions to a score, other tokens get
    ``rest`` and <s> gets ``null``."""
    values = np.full(len(feature.input_ids), rest, dtype=np.float32)
    values[0] = null
    for word, value in at.items():
        local = word - feature.window_start
        if 0 <= local < feature.context_length:
            values[feature.context_start + local] = value
    return values


def test_a_start_counts_only_in_the_window_that_sees_it_with_most_context() -> None:
    first, second = window(0, 10), window(5, 10)
    # w8 in window 0: min(8 left, 1 right); in window 1: min(3, 6) -> window 1 owns it (and w9).
    # Window 0's best start and end are w8, w9, but it may not start an answer at w8.
    starts = [scores(first, {8: 9.0}), scores(second, {11: 2.0})]
    ends = [scores(first, {9: 9.0}), scores(second, {12: 2.0})]
    pair = [first, second]
    assert extract_answer(WORD_CONTEXT, pair, starts, ends, n_best=1) == "w11 w12"
    # from window 1, which owns it, w8 is a valid start
    starts[1], ends[1] = scores(second, {8: 5.0}), scores(second, {9: 5.0})
    assert extract_answer(WORD_CONTEXT, pair, starts, ends, n_best=1) == "w8 w9"


def test_spans_longer_than_max_answer_length_or_reversed_are_skipped() -> None:
    only = window(0, 20)
    starts = [scores(only, {1: 5.0, 6: 1.0}, rest=-10.0)]
    ends = [scores(only, {5: 5.0, 0: 9.0, 7: 1.0}, rest=-10.0)]
    assert extract_answer(WORD_CONTEXT, [only], starts, ends) == "w1 w2 w3 w4 w5"
    assert extract_answer(WORD_CONTEXT, [only], starts, ends, max_answer_length=4) == "w6 w7"
    # nothing but question tokens and <s> scored: still the best context span, never ""
    assert extract_answer(WORD_CONTEXT, [only], [scores(only, {})], [scores(only, {})]) != ""


def test_no_answer_when_the_null_score_beats_the_best_span_by_more_than_zero() -> None:
    first, second = window(0, 10), window(5, 15)
    starts = [scores(first, {2: 2.0}, null=3.0), scores(second, {12: 1.0}, null=1.0)]
    ends = [scores(first, {3: 2.0}, null=3.0), scores(second, {12: 1.0}, null=1.0)]
    # best span 4.0 (w2..w3); null = min over windows = 1 + 1 = 2 -> answer
    assert extract_answer(WORD_CONTEXT, [first, second], starts, ends, allow_no_answer=True) == (
        "w2 w3"
    )
    starts[1], ends[1] = scores(second, {12: 1.0}, null=2.5), scores(second, {12: 1.0}, null=2.5)
    # null = min(6, 5) = 5 > 4 -> no answer; v1 (no null) keeps the span
    assert extract_answer(WORD_CONTEXT, [first, second], starts, ends, allow_no_answer=True) == ""
    assert extract_answer(WORD_CONTEXT, [first, second], starts, ends) == "w2 w3"
    starts[1], ends[1] = scores(second, {12: 1.0}, null=2.0), scores(second, {12: 1.0}, null=2.0)
    # null 4 - best 4 = 0, not > 0 (threshold 0.0): the span stands
    assert extract_answer(WORD_CONTEXT, [first, second], starts, ends, allow_no_answer=True) == (
        "w2 w3"
    )


def test_squad_v2_predict_and_score_no_answer(qa_tokenizer: PreTrainedTokenizerFast) -> None:
    examples = squad_v2.load_squad_v2(FIXTURES / "squad_v2", "train", "en")
    answerable = [e for e in examples if not e.is_impossible]
    assert len(answerable) < len(examples)
    # every window's null score 10 beats any span (2 at most): "" everywhere
    model = WordScorer(
        {token_id(qa_tokenizer, "1894"): 1.0}, {token_id(qa_tokenizer, "1894"): 1.0}, 10
    )
    predicted = span_qa.predict(model, "squad_v2", examples, qa_tokenizer, SQUAD_V2, 64, 4)
    assert predicted == [""] * len(examples)
    result = span_qa.score(predicted, examples, SQUAD_V2, "en")
    assert result["NoAns_f1"] == result["NoAns_exact"] == 100.0
    assert result["HasAns_f1"] == 0.0
    assert result["f1"] == pytest.approx(100.0 * (len(examples) - len(answerable)) / len(examples))
    assert set(result) == {
        "exact_match", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1"
    }  # fmt: skip
    # unanswerable questions train towards <s> in every window
    features = span_qa.featurize(examples, qa_tokenizer, SQUAD_V2, 64)
    for feature in features:
        if examples[feature.example_index].is_impossible:
            assert feature.start_position == feature.end_position == 0


# --------------------------------------------------------------------------------------------
# Loss, scores, predictions file
# --------------------------------------------------------------------------------------------


def test_loss_is_the_mean_start_end_cross_entropy_and_ignores_padding(qa_encoder_dir: Path) -> None:
    encoder, tokenizer = load_encoder(str(qa_encoder_dir))
    torch.manual_seed(0)
    model = EncoderWithHeads(encoder, {"xquad": span_qa.new_head(32, XQUAD, EncoderConfig())})
    model.eval()
    examples = xquad.load_xquad(FIXTURES / "squad", "train", "en")[:3]
    features = span_qa.featurize(examples, tokenizer, XQUAD, 48)
    pad = tokenizer.pad_token_id
    alone = [span_qa.loss(model, "xquad", span_qa.collate([f], pad)) for f in features]
    together = span_qa.loss(model, "xquad", span_qa.collate(features, pad))
    assert together.item() == pytest.approx(torch.stack(alone).mean().item(), rel=1e-5)
    batch = span_qa.collate(features[:1], pad)
    logits = model("xquad", batch["input_ids"], batch["attention_mask"])
    expected = (
        nn.functional.cross_entropy(logits[..., 0], batch["start_positions"])
        + nn.functional.cross_entropy(logits[..., 1], batch["end_positions"])
    ) / 2
    assert alone[0].item() == pytest.approx(expected.item(), rel=1e-6)


def test_score_uses_the_script_the_protocol_names() -> None:
    examples = mlqa.load_mlqa(FIXTURES / "mlqa", "dev", "de")
    assert examples[0].answer_texts == ("den Römern",)
    # MLQA's German normaliser drops the article "den"; SQuAD v1.1's does not
    assert span_qa.score(["Römern"], examples, MLQA, "de") == {"exact_match": 100.0, "f1": 100.0}
    v1 = span_qa.score(["Römern"], examples, XQUAD, "de")
    assert v1["exact_match"] == 0.0 and 0.0 < v1["f1"] < 100.0
    with pytest.raises(XstiltsError, match="predictions for"):
        span_qa.score([], examples, XQUAD, "de")
    with pytest.raises(XstiltsError, match="unknown QA protocol"):
        span_qa.score(["x"], examples, dataclasses.replace(XQUAD, protocol="bogus"), "de")


def test_predictions_file_is_json_keyed_by_question_id() -> None:
    examples = xquad.load_xquad(FIXTURES / "xquad", "test", "zh")
    text = span_qa.format_predictions(examples, ["西西里岛东海岸", "", "活火山"])
    assert json.loads(text) == {"xq-01": "西西里岛东海岸", "xq-02": "", "xq-03": "活火山"}
    assert "西西里岛" in text  # readable, not \u-escaped
