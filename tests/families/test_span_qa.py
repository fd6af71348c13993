"""span_qa: doc-stride windows, answer extraction, no-answer rule, scoring, the QA task layouts.

Golden tests drive the real ``predict`` with stand-in models whose scores are chosen by hand, so
the expected answer follows from the reference rules (``xtreme:third_party/run_squad.py``,
``processors/squad.py``, transformers ``squad_metrics.compute_predictions_logits``) and not from a
trained model. The end-to-end test runs a whole study (SQuAD 2.0 -> XQuAD, MLQA, TyDiQA) on a tiny
XLM-R and the official-format fixtures in ``fixtures/span_qa``.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors, trainers
from torch import nn
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from xstilts.config import EncoderConfig, study_from_dict
from xstilts.data.examples import SpanQAExample
from xstilts.errors import DataError, XstiltsError
from xstilts.evaluate.score import score_file
from xstilts.experiments.runner import STORE_NAME, run_study
from xstilts.experiments.store import ResultStore
from xstilts.families import registry as family_registry
from xstilts.families import span_qa, span_qa_features
from xstilts.families.span_qa import extract_answer
from xstilts.families.span_qa_features import SpanFeature, make_features
from xstilts.models.encoder import load_encoder
from xstilts.models.heads import EncoderWithHeads
from xstilts.tasks import qa_tasks
from xstilts.tasks import registry as task_registry

TESTS = Path(__file__).resolve().parents[1]
FIXTURES = TESTS / "families" / "fixtures" / "span_qa"
SPECS = {spec.name: spec for spec in qa_tasks.SPECS}
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


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny XLM-R whose word-level vocabulary covers the fixture texts."""
    # conftest modules are not importable by name: load tests/conftest.py's builder by path
    loader = importlib.util.spec_from_file_location("_span_qa_conftest", TESTS / "conftest.py")
    assert loader is not None and loader.loader is not None
    conftest = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(conftest)
    return conftest.build_tiny_encoder(tmp_path_factory.mktemp("tiny-qa"), _fixture_texts())


@pytest.fixture(scope="module")
def tokenizer(encoder_dir: Path) -> PreTrainedTokenizerFast:
    return AutoTokenizer.from_pretrained(str(encoder_dir))


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


# --------------------------------------------------------------------------------------------
# Doc-stride windows
# --------------------------------------------------------------------------------------------


def test_windows_start_doc_stride_apart_and_offsets_cut_exact_context_pieces(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    spec = with_defaults(XQUAD, doc_stride=7)
    features = make_features([LONG_EXAMPLE], tokenizer, spec, 40, training=False)
    whole = tokenizer(LONG_CONTEXT, add_special_tokens=False, return_offsets_mapping=True)
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
            assert tokenizer.convert_ids_to_tokens(token) == LONG_CONTEXT[start:end].lower()


def test_the_default_stride_shrinks_to_half_a_window_when_max_length_is_small(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    features = make_features([LONG_EXAMPLE], tokenizer, XQUAD, 40, training=False)
    question = len(tokenizer(LONG_EXAMPLE.question, add_special_tokens=False)["input_ids"])
    room = 40 - 4 - question  # <s> q </s></s> c </s>
    assert features[0].context_length == room
    assert features[1].window_start == room // 2  # 128 would skip tokens between windows
    assert span_qa_features.window_step(512, 128) == 128


def test_answer_in_the_second_window_is_its_training_target_and_is_predicted(
    tokenizer: PreTrainedTokenizerFast,
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
    training = span_qa.featurize([example], tokenizer, XQUAD, 40)
    predicting = make_features([example], tokenizer, XQUAD, 40, training=False)
    assert [(f.window_start, f.context_length) for f in predicting] == [(0, 30), (15, 23)]
    assert training[0].start_position == training[0].end_position == 0  # not here: <s>
    second, twin = training[1], predicting[1]
    assert second.start_position > 0
    start = twin.offsets[second.start_position - twin.context_start][0]
    end = twin.offsets[second.end_position - twin.context_start][1]
    assert context[start:end] == LONG_ANSWER
    # the real predict(): high scores on the answer words; "river" (both windows) scores less
    basel, city, river = (token_id(tokenizer, w) for w in ("basel", "city", "river"))
    model = WordScorer({basel: 5.0, river: 4.0}, {city: 5.0, river: 4.0})
    answers = span_qa.predict(model, "xquad", [example, LONG_EXAMPLE], tokenizer, XQUAD, 40, 4)
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


def test_squad_v2_predict_and_score_no_answer(tokenizer: PreTrainedTokenizerFast) -> None:
    examples = qa_tasks.load_squad_v2(FIXTURES / "squad_v2", "train", "en")
    answerable = [e for e in examples if not e.is_impossible]
    assert len(answerable) < len(examples)
    # every window's null score 10 beats any span (2 at most): "" everywhere
    model = WordScorer({token_id(tokenizer, "1894"): 1.0}, {token_id(tokenizer, "1894"): 1.0}, 10)
    predicted = span_qa.predict(model, "squad_v2", examples, tokenizer, SQUAD_V2, 64, 4)
    assert predicted == [""] * len(examples)
    result = span_qa.score(predicted, examples, SQUAD_V2, "en")
    assert result["NoAns_f1"] == result["NoAns_exact"] == 100.0
    assert result["HasAns_f1"] == 0.0
    assert result["f1"] == pytest.approx(100.0 * (len(examples) - len(answerable)) / len(examples))
    assert set(result) == {
        "exact_match", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1"
    }  # fmt: skip
    # unanswerable questions train towards <s> in every window
    features = span_qa.featurize(examples, tokenizer, SQUAD_V2, 64)
    for feature in features:
        if examples[feature.example_index].is_impossible:
            assert feature.start_position == feature.end_position == 0


# --------------------------------------------------------------------------------------------
# Loss, scores, predictions file
# --------------------------------------------------------------------------------------------


def test_loss_is_the_mean_start_end_cross_entropy_and_ignores_padding(encoder_dir: Path) -> None:
    encoder, tokenizer = load_encoder(str(encoder_dir))
    torch.manual_seed(0)
    model = EncoderWithHeads(encoder, {"xquad": span_qa.new_head(32, XQUAD, EncoderConfig())})
    model.eval()
    examples = qa_tasks.load_xquad(FIXTURES / "squad", "train", "en")[:3]
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
    examples = qa_tasks.load_mlqa(FIXTURES / "mlqa", "dev", "de")
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
    examples = qa_tasks.load_xquad(FIXTURES / "xquad", "test", "zh")
    text = span_qa.format_predictions(examples, ["西西里岛东海岸", "", "活火山"])
    assert json.loads(text) == {"xq-01": "西西里岛东海岸", "xq-02": "", "xq-03": "活火山"}
    assert "西西里岛" in text  # readable, not \u-escaped


# --------------------------------------------------------------------------------------------
# Task layouts
# --------------------------------------------------------------------------------------------


def qa_data_dir(root: Path) -> Path:
    """The documented layout: SQuAD v1.1 train/dev linked into the xquad and mlqa folders."""
    for name in ("squad", "squad_v2", "xquad", "mlqa", "tydiqa"):
        shutil.copytree(FIXTURES / name, root / name)
    for task in ("xquad", "mlqa"):
        for name in ("train-v1.1.json", "dev-v1.1.json"):
            (root / task / name).symlink_to(root / "squad" / name)
    return root


def test_task_layouts_and_languages_found(tmp_path: Path) -> None:
    data = qa_data_dir(tmp_path)
    assert XQUAD.evaluation_languages(data / "xquad", "test", []) == ["en", "de", "zh"]
    assert XQUAD.evaluation_languages(data / "xquad", "dev", []) == ["en"]
    assert MLQA.evaluation_languages(data / "mlqa", "test", []) == ["en", "de", "zh"]
    assert MLQA.evaluation_languages(data / "mlqa", "dev", []) == ["en", "de"]
    assert TYDIQA.evaluation_languages(data / "tydiqa", "test", []) == ["en", "sw"]
    assert TYDIQA.dev_split is None
    assert len(XQUAD.load(data / "xquad", "train", "en")) == 16  # = SQuAD train
    assert len(MLQA.load(data / "mlqa", "train", "en")) == 16
    assert XQUAD.load(data / "xquad", "dev", "en")[0].id == "sq-d-01"
    assert [e.id for e in TYDIQA.load(data / "tydiqa", "test", "sw")] == ["swahili-3001-0"]
    assert set(qa_tasks.XQUAD_LANGUAGES) >= {"en", "ar", "zh", "hi", "ro"}
    assert qa_tasks.MLQA_LANGUAGES == ("en", "es", "de", "ar", "hi", "vi", "zh")


def test_tydiqa_release_layout_splits_english_out_of_the_multilingual_train_file() -> None:
    release = FIXTURES / "tydiqa_release"
    train = TYDIQA.load(release, "train", "en")
    assert [e.id for e in train] == ["english--1001-0", "english-1003-0"]
    assert TYDIQA.languages_found(release, "test") == ["sw"]
    assert TYDIQA.load(release, "test", "sw")[0].answer_texts == ("Nairobi",)


def test_mlqa_reads_an_unzipped_mlqa_v1_folder(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "mlqa", tmp_path / "mlqa" / "MLQA_V1")
    assert MLQA.languages_found(tmp_path / "mlqa", "test") == ["en", "de", "zh"]
    assert len(MLQA.load(tmp_path / "mlqa", "test", "en")) == 2


# --------------------------------------------------------------------------------------------
# Malformed input
# --------------------------------------------------------------------------------------------


def test_missing_squad_copy_names_the_fix(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "xquad", tmp_path / "xquad")
    with pytest.raises(DataError, match=r"xstilts fetch xquad --out \S+ \(writes it\)"):
        XQUAD.load(tmp_path / "xquad", "train", "en")
    (tmp_path / "squad").mkdir()  # XTREME's download_data.sh layout: squad/ beside xquad/
    shutil.copy(FIXTURES / "xquad" / "xquad.de.json", tmp_path / "squad" / "train-v1.1.json")
    link = rf"ln -s \.\./squad/train-v1\.1\.json {re.escape(str(tmp_path / 'xquad'))}/$"
    with pytest.raises(DataError, match=link):
        XQUAD.load(tmp_path / "xquad", "train", "en")
    with pytest.raises(DataError, match="only English"):
        XQUAD.load(tmp_path / "xquad", "train", "de")
    with pytest.raises(DataError, match=r"no XQuAD file for 'th'; expected one of: xquad\.th"):
        XQUAD.load(tmp_path / "xquad", "test", "th")


def test_missing_mlqa_and_tydiqa_files_name_every_layout_tried(tmp_path: Path) -> None:
    mlqa = "test-context-th-question-th.json"
    tried = rf"expected one of: test/{mlqa}, MLQA_V1/test/{mlqa}; to get it: "
    with pytest.raises(DataError, match=tried):
        MLQA.load(tmp_path, "test", "th")
    dev = r"tydiqa-goldp-v1\.1-dev/"
    tried = rf"{dev}tydiqa\.sw\.dev\.json, {dev}tydiqa\.goldp\.sw\.dev\.json, "
    with pytest.raises(DataError, match=rf"{tried}{dev}tydiqa-goldp-dev-swahili\.json; to get"):
        TYDIQA.load(tmp_path, "test", "sw")
    release = r"tydiqa-goldp-v1\.1-train\.json"
    train = r"tydiqa-goldp-v1\.1-train/"
    tried = rf"{train}tydiqa\.en\.train\.json, {train}tydiqa\.goldp\.en\.train\.json, {train}"
    with pytest.raises(DataError, match=rf"{tried}{release}, {release}; to get it"):
        TYDIQA.load(tmp_path, "train", "en")


def test_bad_answer_offset_in_a_test_file_is_a_one_line_data_error(tmp_path: Path) -> None:
    document = json.loads((FIXTURES / "xquad" / "xquad.de.json").read_text(encoding="utf-8"))
    document["data"][0]["paragraphs"][0]["qas"][0]["answers"][0]["answer_start"] += 3
    folder = tmp_path / "xquad"
    folder.mkdir()
    (folder / "xquad.de.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(DataError, match=r"xquad\.de\.json: question 'xq-01': answer"):
        XQUAD.load(folder, "test", "de")


def test_unusable_inputs_fail_with_a_clear_message(tokenizer: PreTrainedTokenizerFast) -> None:
    unlabelled = SpanQAExample("u-1", "Where?", "Somewhere in Basel.", (), ())
    with pytest.raises(XstiltsError, match="no gold answer to train on"):
        span_qa.featurize([unlabelled], tokenizer, XQUAD, 32)
    with pytest.raises(XstiltsError, match="leaves no room"):
        span_qa.featurize([LONG_EXAMPLE], tokenizer, XQUAD, 5)
    # A whole set without answers (XTREME's download blanks test answers): predicted, not scored.
    assert span_qa.score(["Basel"], [unlabelled], XQUAD, "en") == {}
    with pytest.raises(XstiltsError, match="no gold answer"):  # some hidden: cannot score
        span_qa.score(["Basel", "x"], [unlabelled, LONG_EXAMPLE], XQUAD, "en")

    class Slow:
        is_fast = False

    with pytest.raises(XstiltsError, match="fast tokenizer"):
        span_qa.featurize([LONG_EXAMPLE], Slow(), XQUAD, 32)  # type: ignore[arg-type]


def test_a_question_longer_than_max_query_length_is_cut(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    long_question = " ".join(["river"] * 100) + "?"
    example = dataclasses.replace(LONG_EXAMPLE, question=long_question)
    features = span_qa.featurize([example], tokenizer, XQUAD, 200)
    assert all(f.context_start == 1 + 64 + 2 for f in features)  # <s> 64 tokens </s></s>
    features = span_qa.featurize([example], tokenizer, XQUAD, 40)
    assert features[0].context_start == 1 + (40 - 4) // 2 + 2  # at most half the room


# --------------------------------------------------------------------------------------------
# End to end: SQuAD 2.0 -> XQuAD, MLQA, TyDiQA on a tiny XLM-R through the study runner
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished_study(
    encoder_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    data = qa_data_dir(tmp_path_factory.mktemp("qa-data"))
    out = tmp_path_factory.mktemp("qa-study")
    train = {"epochs": 2, "batch_size": 8, "max_length": 48, "learning_rate": 1e-3}
    config = {
        "name": "tiny-qa", "encoder": {"name": str(encoder_dir)},
        "intermediate_tasks": ["squad_v2"], "target_tasks": ["xquad", "mlqa", "tydiqa"],
        "seeds": [0], "data_dir": str(data), "output_dir": str(out), "threads": 1,
        "intermediate": train, "target": train,
    }  # fmt: skip
    # Works before and after span_qa is registered for real: the test sets its own entries.
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(family_registry.FAMILY_OPS, "span_qa", span_qa.FAMILY)
        for spec in qa_tasks.SPECS:
            patch.setitem(task_registry.TASKS, spec.name, spec)
        summary = run_study(study_from_dict(config), progress=False)
    assert summary.runs_done == 3
    return out, data


def test_study_scores_every_language_in_range(finished_study: tuple[Path, Path]) -> None:
    out, _ = finished_study
    with ResultStore(out / STORE_NAME, read_only=True) as store:
        rows = store.frame()
    found = {
        (task, split): set(group.language)
        for (task, split), group in rows.groupby(["target_task", "split"])
    }
    assert found == {
        ("xquad", "dev"): {"en"}, ("xquad", "test"): {"en", "de", "zh"},
        ("mlqa", "dev"): {"en", "de"}, ("mlqa", "test"): {"en", "de", "zh"},
        ("tydiqa", "test"): {"en", "sw"},
    }  # fmt: skip
    assert set(rows.metric) == {"exact_match", "f1"}
    assert rows.value.between(0.0, 100.0).all()
    assert (rows.intermediate_task == "squad_v2").all()


def test_study_writes_json_predictions_keyed_by_question_id(
    finished_study: tuple[Path, Path],
) -> None:
    out, data = finished_study
    files = sorted((out / "runs").glob("*/predictions/*"))
    assert len(files) == 11  # xquad 1 dev + 3 test, mlqa 2 + 3, tydiqa 2
    for path in files:
        predicted = json.loads(path.read_text(encoding="utf-8"))
        split, language = path.stem.split("-")
        task = json.loads((path.parents[1] / "config.json").read_text())["target_task"]
        examples = SPECS[task].load(data / task, split, language)
        assert list(predicted) == [e.id for e in examples]
        for example in examples:  # extractive: a piece of the question's own context
            assert isinstance(predicted[example.id], str)
            assert predicted[example.id] in example.context


def test_predictions_files_rescore_to_the_stored_values(finished_study: tuple[Path, Path]) -> None:
    """``xstilts score`` on a written file gives what the run stored (one metric, two paths)."""
    out, data = finished_study
    with ResultStore(out / STORE_NAME, read_only=True) as store:
        rows = store.frame()
    rows = rows[rows.selection == "last"]  # XTREME's QA rule (the recipe's selection)
    gold = {
        ("xquad", "de"): data / "xquad" / "xquad.de.json",
        ("mlqa", "zh"): data / "mlqa" / "test" / "test-context-zh-question-zh.json",
        ("tydiqa", "sw"): data / "tydiqa" / "tydiqa-goldp-v1.1-dev" / "tydiqa.sw.dev.json",
    }
    for (task, language), gold_path in gold.items():
        run_id = rows[rows.target_task == task].run_id.iloc[0]
        (prediction,) = (out / "runs" / run_id / "predictions").glob(f"test-{language}.*")
        rescored = score_file(task, language, prediction, gold_path)
        stored = rows[
            (rows.run_id == run_id) & (rows.split == "test") & (rows.language == language)
        ]
        assert rescored == pytest.approx(dict(zip(stored.metric, stored.value, strict=True)))
