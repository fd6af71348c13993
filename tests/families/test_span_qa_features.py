"""span_qa featurisation: doc-stride windows, answer tokens from character offsets, CJK answers,
and the inputs it refuses (``families/span_qa_features.py``).

Predictions here come from the real ``predict`` with a stand-in model whose scores are chosen by
hand (``span_qa_data.WordScorer``), so the expected answer follows from the reference rules
(``xtreme:third_party/run_squad.py``, ``processors/squad.py``), not from a trained model.
"""

from __future__ import annotations

import dataclasses

import pytest
from transformers import PreTrainedTokenizerFast

from span_qa_data import (
    LONG_ANSWER,
    LONG_CONTEXT,
    LONG_EXAMPLE,
    XQUAD,
    WordScorer,
    char_tokenizer,
    token_id,
    with_defaults,
)
from xstilts.data.examples import SpanQAExample
from xstilts.errors import XstiltsError
from xstilts.families import span_qa, span_qa_features
from xstilts.families.span_qa_features import make_features

# --------------------------------------------------------------------------------------------
# Doc-stride windows
# --------------------------------------------------------------------------------------------


def test_windows_start_doc_stride_apart_and_offsets_cut_exact_context_pieces(
    qa_tokenizer: PreTrainedTokenizerFast,
) -> None:
    spec = with_defaults(XQUAD, doc_stride=7)
    features = make_features([LONG_EXAMPLE], qa_tokenizer, spec, 40, training=False)
    whole = qa_tokenizer(LONG_CONTEXT, add_special_tokens=False, return_offsets_mapping=True)
    total = len(whole["input_ids"])
    assert len(features) > 3
    # XTREME's doc_stride is the step between window starts (not the overlap)
    assert [f.window_start for f in features] == [7 * k for k in range(len(features))]
    assert features[-1].window_start + features[-1].context_length == total
    assert features[-2].window_start + features[-2].context_length < total
    for feature in features:
        assert len(feature.input_ids) <= 40
        pieces = slice(feature.window_start, feature.window_start + feature.context_length)
        context_ids = feature.input_ids[
            feature.context_start : feature.context_start + feature.context_length
        ]
        assert context_ids.tolist() == whole["input_ids"][pieces]
        assert [tuple(o) for o in feature.offsets] == whole["offset_mapping"][pieces]
        for token, (start, end) in zip(context_ids.tolist(), feature.offsets, strict=True):
            assert qa_tokenizer.convert_ids_to_tokens(token) == LONG_CONTEXT[start:end].lower()


def test_the_default_stride_shrinks_to_half_a_window_when_max_length_is_small(
    qa_tokenizer: PreTrainedTokenizerFast,
) -> None:
    features = make_features([LONG_EXAMPLE], qa_tokenizer, XQUAD, 40, training=False)
    question = len(qa_tokenizer(LONG_EXAMPLE.question, add_special_tokens=False)["input_ids"])
    room = 40 - 4 - question  # <s> q </s></s> c </s>
    assert features[0].context_length == room
    assert features[1].window_start == room // 2  # 128 would skip tokens between windows
    assert span_qa_features.window_step(512, 128) == 128


def test_answer_in_the_second_window_is_its_training_target_and_is_predicted(
    qa_tokenizer: PreTrainedTokenizerFast,
) -> None:
    # 2 filler lines (26 tokens) + the answer sentence (12): with 6 question tokens a 40-token
    # window holds 30 context tokens and steps 15, so windows are [0, 30) and [15, 38);
    # "basel city" are tokens 31-32, in the second window only.
    context = (
        LONG_CONTEXT[: LONG_CONTEXT.index(" Line 2")] + LONG_CONTEXT[LONG_CONTEXT.index(" The") :]
    )
    example = SpanQAExample(
        "two-windows", LONG_EXAMPLE.question, context, (LONG_ANSWER,), (context.index(LONG_ANSWER),)
    )
    training = span_qa.featurize([example], qa_tokenizer, XQUAD, 40)
    predicting = make_features([example], qa_tokenizer, XQUAD, 40, training=False)
    assert [(f.window_start, f.context_length) for f in predicting] == [(0, 30), (15, 23)]
    assert training[0].start_position == training[0].end_position == 0  # not here: <s>
    second, twin = training[1], predicting[1]
    assert second.start_position > 0
    start = twin.offsets[second.start_position - twin.context_start][0]
    end = twin.offsets[second.end_position - twin.context_start][1]
    assert context[start:end] == LONG_ANSWER
    # the real predict(): high scores on the answer words; "river" (both windows) scores less
    basel, city, river = (token_id(qa_tokenizer, w) for w in ("basel", "city", "river"))
    model = WordScorer({basel: 5.0, river: 4.0}, {city: 5.0, river: 4.0})
    answers = span_qa.predict(model, "xquad", [example, LONG_EXAMPLE], qa_tokenizer, XQUAD, 40, 4)
    assert answers == [LONG_ANSWER, LONG_ANSWER]  # the context's casing, cut by char offsets


def test_answer_tokens_from_character_offsets() -> None:
    """Golden cases of the char -> token mapping: gaps, a token overlapping the next one."""
    offsets = [(0, 1), (2, 3), (4, 7)]
    assert span_qa_features._answer_positions(offsets, 2, 3) == (1, 1)
    assert span_qa_features._answer_positions(offsets, 1, 3) == (1, 1)  # starts in the gap
    assert span_qa_features._answer_positions(offsets, 5, 6) == (2, 2)  # inside one token
    assert span_qa_features._answer_positions(offsets, 0, 7) == (0, 2)
    assert span_qa_features._answer_positions(offsets, 0, 8) is None  # not all in this window
    # XLM-R: "▁" (0, 1) then "北京" (0, 2): the answer starts at the word, not at "▁"
    assert span_qa_features._answer_positions([(0, 1), (0, 2), (2, 3)], 0, 2) == (1, 1)


def test_zh_answers_are_cut_from_the_context_without_added_spaces() -> None:
    context = "埃特纳火山是西西里岛东海岸的一座活火山。"
    answer = "西西里岛东海岸"
    example = SpanQAExample(
        "zh-1", "埃特纳火山在哪里？", context, (answer,), (context.index(answer),)
    )
    tokenizer = char_tokenizer([context, example.question])
    (feature,) = span_qa.featurize([example], tokenizer, XQUAD, 64)
    ids = feature.input_ids.tolist()
    assert tokenizer.convert_ids_to_tokens(ids[feature.start_position : feature.end_position + 1])
    assert (
        "".join(
            tokenizer.convert_ids_to_tokens(ids[feature.start_position : feature.end_position + 1])
        )
        == answer
    )
    # both "西" tokens score 3: a tie goes to the earlier position (the reference's stable sort)
    model = WordScorer({ids[feature.start_position]: 3.0}, {token_id(tokenizer, "岸"): 3.0})
    assert span_qa.predict(model, "xquad", [example], tokenizer, XQUAD, 64, 8) == [answer]


def test_zh_with_the_real_xlm_r_sentencepiece_vocabulary() -> None:
    """XLM-R gives "▁" its own token with an offset overlapping the next one; no harm done."""
    from xstilts.models.offline_e5 import ensure_offline_e5

    folder = ensure_offline_e5()  # built once (~10 s) and cached for the whole suite
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_file=str(folder / "tokenizer.json"), bos_token="<s>", eos_token="</s>",
        pad_token="<pad>", unk_token="<unk>", cls_token="<s>", sep_token="</s>",
    )  # fmt: skip
    context = "北京是中华人民共和国的首都，位于华北平原。"
    examples = [
        SpanQAExample("zh-a", "中国的首都是哪里？", context, ("北京",), (0,)),
        SpanQAExample(
            "zh-b", "北京位于哪里？", context, ("华北平原",), (context.index("华北平原"),)
        ),
    ]
    features = span_qa.featurize(examples, tokenizer, XQUAD, 64)
    for example, feature in zip(examples, features, strict=True):
        pieces = feature.input_ids[feature.start_position : feature.end_position + 1].tolist()
        assert tokenizer.decode(pieces).strip() == example.answer_texts[0]
        model = WordScorer({pieces[0]: 3.0}, {pieces[-1]: 3.0})
        predicted = span_qa.predict(model, "xquad", [example], tokenizer, XQUAD, 64, 8)
        assert predicted == [example.answer_texts[0]]


# --------------------------------------------------------------------------------------------
# Malformed input
# --------------------------------------------------------------------------------------------


def test_unusable_inputs_fail_with_a_clear_message(qa_tokenizer: PreTrainedTokenizerFast) -> None:
    unlabelled = SpanQAExample("u-1", "Where?", "Somewhere in Basel.", (), ())
    with pytest.raises(XstiltsError, match="no gold answer to train on"):
        span_qa.featurize([unlabelled], qa_tokenizer, XQUAD, 32)
    with pytest.raises(XstiltsError, match="leaves no room"):
        span_qa.featurize([LONG_EXAMPLE], qa_tokenizer, XQUAD, 5)
    # A whole set without answers (XTREME's download blanks test answers): predicted, not scored.
    assert span_qa.score(["Basel"], [unlabelled], XQUAD, "en") == {}
    with pytest.raises(XstiltsError, match="no gold answer"):  # some hidden: cannot score
        span_qa.score(["Basel", "x"], [unlabelled, LONG_EXAMPLE], XQUAD, "en")

    class Slow:
        is_fast = False

    with pytest.raises(XstiltsError, match="fast tokenizer"):
        span_qa.featurize([LONG_EXAMPLE], Slow(), XQUAD, 32)  # type: ignore[arg-type]


def test_a_question_longer_than_max_query_length_is_cut(
    qa_tokenizer: PreTrainedTokenizerFast,
) -> None:
    long_question = " ".join(["river"] * 100) + "?"
    example = dataclasses.replace(LONG_EXAMPLE, question=long_question)
    features = span_qa.featurize([example], qa_tokenizer, XQUAD, 200)
    assert all(f.context_start == 1 + 64 + 2 for f in features)  # <s> 64 tokens </s></s>
    features = span_qa.featurize([example], qa_tokenizer, XQUAD, 40)
    assert features[0].context_start == 1 + (40 - 4) // 2 + 2  # at most half the room
