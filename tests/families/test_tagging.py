"""Tagging family and tasks: first-sub-word labels, long sentences split and re-joined, the XTREME
submission format, the udpos/panx/ccg folder layouts, and the whole chain on a tiny XLM-R.

Fixtures (``fixtures/tagging/``) are hand-written in the official layouts: XTREME's preprocessed
``{split}-{lang}.tsv`` (test files without tags), a UD ``.conllu`` treebank with a multiword token,
raw WikiANN ``{lang}-{split}`` files with ``xx:`` prefixes, and jiant's ``ccg.*`` +
``tags_to_id.json``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch import nn
from transformers import AutoTokenizer

from tiny_models import build_tiny_encoder
from xstilts.config import EncoderConfig, TrainConfig, study_from_dict
from xstilts.data.examples import TaggingExample
from xstilts.errors import DataError, XstiltsError
from xstilts.evaluate.metrics import tagging_f1
from xstilts.evaluate.xtreme_score import TASK_LANGUAGES, XTREME, XTREME_R
from xstilts.experiments.hashing import directory_digest
from xstilts.experiments.runner import STORE_NAME, run_study
from xstilts.experiments.store import ResultStore
from xstilts.experiments.task_data import TaskData
from xstilts.experiments.training import train_phase
from xstilts.families import registry as family_registry
from xstilts.families import tagging
from xstilts.families.tagging import (
    IGNORE_INDEX,
    TokenTaggingHead,
    featurize,
    format_predictions,
    predict,
    score,
    split_into_windows,
    word_pieces,
)
from xstilts.models.heads import EncoderWithHeads
from xstilts.tasks import registry as task_registry
from xstilts.tasks.catalog.ccg import CCG_LABEL_COUNT
from xstilts.tasks.catalog.panx import PANX_LANGUAGES
from xstilts.tasks.catalog.udpos import UDPOS_LANGUAGES

TESTS = Path(__file__).resolve().parents[1]
FIXTURES = TESTS / "families" / "fixtures" / "tagging"
SPECS = {name: task_registry.TASKS[name] for name in ("udpos", "panx", "ccg")}
UDPOS, PANX, CCG = SPECS["udpos"], SPECS["panx"], SPECS["ccg"]

# the 33-word last sentence of fixtures/tagging/udpos/train-en.tsv
LONG_SENTENCE = list(UDPOS.load(FIXTURES / "udpos", "train", "en")[5].tokens)


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny XLM-R whose word-level vocabulary covers the fixture words."""
    corpus = [
        line
        for path in sorted(FIXTURES.rglob("*"))
        if path.is_file() and path.suffix not in (".json", ".md")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-tagging"), corpus)


@pytest.fixture(scope="module")
def tokenizer(encoder_dir: Path) -> object:
    return AutoTokenizer.from_pretrained(str(encoder_dir))


class EchoModel(nn.Module):
    """A stand-in model whose tag at every position is that position's input id.

    With the ccg label set ("0" ... "1362") a word's predicted tag is then the id of the sub-word
    prediction read it from: a golden check of which position each word's tag comes from.
    """

    def __init__(self, num_labels: int) -> None:
        super().__init__()
        self.num_labels = num_labels
        self.anchor = nn.Parameter(torch.zeros(()))  # predict() asks the model for its device

    def forward(
        self, task: str, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> torch.Tensor:
        return nn.functional.one_hot(input_ids, self.num_labels).float() + self.anchor


def first_piece(tokenizer: object, word: str) -> int:
    """XTREME's reference: tokenize the word on its own, take its first sub-word (or <unk>)."""
    ids = tokenizer([word], is_split_into_words=True, add_special_tokens=False)["input_ids"]
    return ids[0] if ids else tokenizer.unk_token_id


def read_tag(text: str) -> list[list[str]]:
    """``xtreme/evaluate.py`` ``read_tag``: a blank line closes a sentence."""
    sentences, current = [], []
    for line in text.splitlines():
        if line.strip():
            current.append(line.strip())
        else:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    return sentences


# --------------------------------------------------------------------------------------------
# Windows and first-sub-word alignment
# --------------------------------------------------------------------------------------------


def test_split_into_windows_is_greedy_over_whole_words() -> None:
    assert split_into_windows([2, 1, 3, 1, 1], budget=4) == [(0, 2), (2, 4), (4, 5)]
    assert split_into_windows([4, 4], budget=4) == [(0, 1), (1, 2)]
    assert split_into_windows([1, 1, 1], budget=10) == [(0, 3)]
    assert split_into_windows([], budget=4) == []


def test_label_sits_on_first_sub_word_only(tokenizer: object) -> None:
    words = ("We", "don't", "like", "cold", "rain", "!")
    example = TaggingExample("s", words, ("PRON", "AUX", "VERB", "ADJ", "NOUN", "PUNCT"))
    [feature] = featurize([example], tokenizer, UDPOS, max_length=64)
    # Same ids as the tokenizer's own pre-tokenized encoding with special tokens.
    assert list(feature.input_ids) == tokenizer(list(words), is_split_into_words=True)["input_ids"]
    assert len(word_pieces([words], tokenizer)[0][1]) == 3  # don ' t
    labels = UDPOS.labels
    expected = [IGNORE_INDEX]  # <s>
    expected += [labels.index("PRON")]
    expected += [labels.index("AUX"), IGNORE_INDEX, IGNORE_INDEX]  # don ' t
    expected += [labels.index(t) for t in ("VERB", "ADJ", "NOUN", "PUNCT")]
    expected += [IGNORE_INDEX]  # </s>
    assert list(feature.label_ids) == expected
    assert feature.word_starts == (1, 2, 5, 6, 7, 8)
    assert (feature.example_index, feature.first_word) == (0, 0)


def test_empty_word_becomes_unknown_token_and_keeps_its_tag(tokenizer: object) -> None:
    example = TaggingExample("s", ("The", "", "museum"), ("DET", "X", "NOUN"))
    [feature] = featurize([example], tokenizer, UDPOS, max_length=16)
    assert feature.input_ids[feature.word_starts[1]] == tokenizer.unk_token_id
    assert feature.label_ids[feature.word_starts[1]] == UDPOS.labels.index("X")


def test_long_sentence_is_split_into_windows_and_every_token_predicted(tokenizer: object) -> None:
    words = [*LONG_SENTENCE[:10], "don't", "", "a-b-c-d-e-f-g-h", *LONG_SENTENCE[10:]]
    long = TaggingExample("long", tuple(words), None)
    short = TaggingExample("short", ("Rain", "is", "likely", "."), None)
    examples = [short, long, short]
    max_length = 8
    features = featurize(examples, tokenizer, CCG, max_length)
    assert all(len(f.input_ids) <= max_length for f in features)
    windows = [(f.first_word, len(f.word_starts)) for f in features if f.example_index == 1]
    assert len(windows) >= 5
    covered = [w for start, count in windows for w in range(start, start + count)]
    assert covered == list(range(len(words)))  # every word once, in order, none truncated

    predicted = predict(EchoModel(CCG_LABEL_COUNT), "ccg", examples, tokenizer, CCG, max_length, 3)
    assert [len(tags) for tags in predicted] == [len(e.tokens) for e in examples]
    assert predicted[1] == [str(first_piece(tokenizer, word)) for word in words]
    assert predicted[0] == predicted[2] == [str(first_piece(tokenizer, w)) for w in short.tokens]
    # a word longer than a whole window keeps its first sub-words, and its tag
    overlong = words.index("a-b-c-d-e-f-g-h")
    assert len(word_pieces([words], tokenizer)[0][overlong]) > max_length


def test_featurize_rejects_unknown_tags_and_ragged_sentences(tokenizer: object) -> None:
    with pytest.raises(XstiltsError, match="tag 'B-MISC'"):
        featurize([TaggingExample("7", ("Paris",), ("B-MISC",))], tokenizer, PANX, 16)
    with pytest.raises(XstiltsError, match="2 tokens but 1 tags"):
        featurize([TaggingExample("7", ("Paris", "."), ("O",))], tokenizer, PANX, 16)
    with pytest.raises(XstiltsError, match="leaves no room"):
        featurize([TaggingExample("7", ("Paris",), ("O",))], tokenizer, PANX, 2)


def test_loss_averages_over_tagged_positions_only() -> None:
    torch.manual_seed(0)
    head = TokenTaggingHead(4, 3, dropout=0.0)
    model = EncoderWithHeads(nn.Identity(), {"t": head})
    hidden = torch.randn(2, 5, 4)
    model.forward = lambda task, ids, mask: head(hidden, mask)  # type: ignore[method-assign]
    labels = torch.full((2, 5), IGNORE_INDEX)
    labels[0, 1], labels[1, 3] = 2, 0
    batch = {"input_ids": torch.zeros(2, 5, dtype=torch.long), "attention_mask": None}
    value = tagging.loss(model, "t", {**batch, "labels": labels})
    logits = head(hidden, None)
    expected = nn.functional.cross_entropy(logits[[0, 1], [1, 3]], torch.tensor([2, 0]))
    torch.testing.assert_close(value, expected)
    untagged = tagging.loss(model, "t", {**batch, "labels": torch.full((2, 5), IGNORE_INDEX)})
    assert untagged.item() == 0.0


# --------------------------------------------------------------------------------------------
# Score and submission format
# --------------------------------------------------------------------------------------------


def test_score_is_seqeval_f1_plus_token_accuracy_and_empty_without_gold() -> None:
    gold = [TaggingExample("0", ("a", "b", "c"), ("B-PER", "I-PER", "O"))]
    predicted = [["B-PER", "O", "O"]]
    assert score(predicted, gold, PANX, "en") == tagging_f1(predicted, [gold[0].tags])
    assert score(predicted, gold, PANX, "en")["f1"] == 0.0  # the chunk boundary is wrong
    untagged = [TaggingExample("0", ("a",), None)]
    assert score([["O"]], untagged, PANX, "fr") == {}
    with pytest.raises(XstiltsError, match="1 of 2 sentences have no tags"):
        score([["B-PER", "O", "O"], ["O"]], gold + untagged, PANX, "fr")


def test_submission_format_is_one_tag_per_line_and_blank_line_between_sentences() -> None:
    examples = [TaggingExample(str(i), ("w",) * n, None) for i, n in enumerate((2, 0, 1))]
    text = format_predictions(examples, [["NOUN", "VERB"], [], ["PUNCT"]])
    assert text == "NOUN\nVERB\n\n\nPUNCT\n\n"
    assert read_tag(text) == [["NOUN", "VERB"], [], ["PUNCT"]]


# --------------------------------------------------------------------------------------------
# Task specs and folder layouts
# --------------------------------------------------------------------------------------------


def test_specs_cover_xtreme_and_xtreme_r_languages() -> None:
    assert len(UDPOS_LANGUAGES) == 33 + 5 and len(PANX_LANGUAGES) == 40 + 8
    assert UDPOS_LANGUAGES[:33] == TASK_LANGUAGES[XTREME]["udpos"]
    assert PANX_LANGUAGES[:40] == TASK_LANGUAGES[XTREME]["panx"]
    assert UDPOS.metric == PANX.metric == "f1" and CCG.metric == "token_accuracy"
    assert len(UDPOS.labels) == 17 and set(PANX.labels) == {
        "O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC",
    }  # fmt: skip
    assert CCG.labels == tuple(str(i) for i in range(1363))
    assert all(spec.family == "tagging" for spec in SPECS.values())
    assert TASK_LANGUAGES[XTREME_R]["udpos"] == UDPOS_LANGUAGES


def test_udpos_reads_xtreme_tsv_and_ud_conllu_with_fused_multiword_tokens() -> None:
    folder = FIXTURES / "udpos"
    assert UDPOS.languages_found(folder, "test") == ["de", "fr"]
    assert UDPOS.evaluation_languages(folder, "test", []) == ["de", "fr"]  # official order
    german = UDPOS.load(folder, "test", "de")
    assert german[1].tokens == ("Wir", "gehen", "zum", "Markt", ".")  # zu+dem fused as XTREME
    assert german[1].tags == ("PRON", "VERB", "ADP", "NOUN", "PUNCT")
    assert german[0].id == "de_demo-ud-test.conllu:de-demo-1"
    french = UDPOS.load(folder, "test", "fr")
    assert [e.tags for e in french] == [None, None]  # XTREME strips test tags
    assert len(LONG_SENTENCE) == 33


def test_panx_reads_xtreme_tsv_and_raw_prefixed_files() -> None:
    folder = FIXTURES / "panx"
    assert PANX.languages_found(folder, "test") == ["de", "fr"]
    german = PANX.load(folder, "test", "de")
    assert german[0].tokens == ("Angela", "Merkel", "besuchte", "Paris", ".")
    assert german[0].tags == ("B-PER", "I-PER", "O", "B-LOC", "O")
    assert PANX.load(folder, "dev", "en")[0].tokens[0] == "John"
    assert PANX.load(folder, "test", "fr")[0].tags is None


def test_ccg_maps_categories_to_tags_to_id_ids() -> None:
    mapping = json.loads((FIXTURES / "ccg" / "tags_to_id.json").read_text())
    [example] = CCG.load(FIXTURES / "ccg", "dev", "en")
    assert example.tokens == ("Mary", "reads", "old", "books", ".")
    categories = ["NP", "(S[dcl]\\NP)/NP", "N/N", "N", "."]
    assert example.tags == tuple(str(mapping[c]) for c in categories)
    assert CCG.languages_found(FIXTURES / "ccg", "test") == []


def _copy(task: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / task, tmp_path / task))


def test_layout_errors_name_the_files(tmp_path: Path) -> None:
    udpos = _copy("udpos", tmp_path)
    (udpos / "test-de.tsv").write_text("Das\n")
    with pytest.raises(DataError, match=r"two layouts .*test-de\.tsv"):
        UDPOS.load(udpos, "test", "de")
    with pytest.raises(DataError, match=r"expected dev-de.tsv or de_\*-ud-dev.conllu"):
        UDPOS.load(udpos, "dev", "de")
    copy = udpos / "UD_German-Copy"
    copy.mkdir()
    shutil.copy(next(udpos.rglob("de_demo-ud-test.conllu")), copy)
    with pytest.raises(DataError, match="also found at"):
        UDPOS.load(udpos, "test", "de")

    panx = _copy("panx", tmp_path)
    shutil.copy(panx / "train-en.tsv", panx / "en-train")
    with pytest.raises(DataError, match="two layouts"):
        PANX.load(panx, "train", "en")
    (panx / "de-test").write_text("de:Paris\tB-LOCATION\n")
    with pytest.raises(DataError, match=r"de-test:1: label 'B-LOCATION'"):
        PANX.load(panx, "test", "de")
    (panx / "de-test").write_text("de:Paris\tB-LOC\nParis\tB-LOC\n")
    with pytest.raises(DataError, match=r"de-test:2: expected a language prefix"):
        PANX.load(panx, "test", "de")


def test_ccg_rejects_bad_tags_to_id_and_unknown_categories(tmp_path: Path) -> None:
    ccg = _copy("ccg", tmp_path)
    mapping = json.loads((ccg / "tags_to_id.json").read_text())
    with pytest.raises(DataError, match="English only"):
        CCG.load(ccg, "dev", "de")
    (ccg / "tags_to_id.json").write_text(json.dumps({**mapping, "N": 1363}))
    with pytest.raises(DataError, match=r"has id 1363; expected 0\.\.1362"):
        CCG.load(ccg, "dev", "en")
    (ccg / "tags_to_id.json").write_text(json.dumps({**mapping, "N": 0}))
    with pytest.raises(DataError, match="share id 0"):
        CCG.load(ccg, "dev", "en")
    del mapping["N/N"]
    (ccg / "tags_to_id.json").write_text(json.dumps(mapping))
    with pytest.raises(DataError, match=r"ccg.dev:1: category 'N/N' is not in tags_to_id"):
        CCG.load(ccg, "dev", "en")


# --------------------------------------------------------------------------------------------
# The real path: featurize -> train -> predict -> score, and a whole study
# --------------------------------------------------------------------------------------------


@pytest.fixture()
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registrations the lead adds for real (idempotent once they are there)."""
    monkeypatch.setitem(family_registry.FAMILY_OPS, "tagging", tagging.FAMILY)


@pytest.fixture()
def one_thread() -> Iterator[None]:
    """Tiny matrices: a second thread only contends (15 s instead of 1 s on a busy 2-core box)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_training_fits_the_english_sentences(
    registered: None, one_thread: None, encoder_dir: Path, tokenizer: object
) -> None:
    from transformers import AutoModel

    torch.manual_seed(0)
    encoder = AutoModel.from_pretrained(str(encoder_dir), add_pooling_layer=False)
    head = tagging.new_head(encoder.config.hidden_size, UDPOS, EncoderConfig(dropout=0.0))
    model = EncoderWithHeads(encoder, {"udpos": head})
    folder = FIXTURES / "udpos"
    train = UDPOS.load(folder, "train", "en")
    data = TaskData(UDPOS, folder, "digest", {}, train=train, dev_en=train)
    config = TrainConfig(
        learning_rate=3e-3, epochs=30, batch_size=8, max_length=16, warmup_ratio=0.0,
        eval_every_epochs=10,
    )  # fmt: skip
    result = train_phase(model, [data], tokenizer, config, seed=0, description="t", progress=False)
    predicted = predict(model, "udpos", train, tokenizer, UDPOS, 16, 4)
    scores = score(predicted, train, UDPOS, "en")
    assert scores["token_accuracy"] > 90.0 and result["best_dev"] == scores["f1"]


def test_study_ccg_then_udpos_and_panx_scores_and_writes_submissions(
    registered: None, encoder_dir: Path, tmp_path: Path
) -> None:
    settings = {"epochs": 2, "batch_size": 4, "max_length": 16, "learning_rate": 1e-3}
    study = study_from_dict({
        "name": "tagging", "encoder": {"name": str(encoder_dir)},
        "intermediate_tasks": ["ccg"], "target_tasks": ["udpos", "panx"], "seeds": [0],
        "data_dir": str(FIXTURES), "output_dir": str(tmp_path / "out"), "threads": 1,
        "intermediate": settings, "target": settings,
    })  # fmt: skip
    digest = directory_digest(FIXTURES)
    summary = run_study(study, progress=False)
    assert summary.runs_done == 2
    with ResultStore(tmp_path / "out" / STORE_NAME, read_only=True) as store:
        rows = store.frame()
    for task in ("udpos", "panx"):
        scored = rows[rows.target_task == task]
        evaluated = set(zip(scored.split, scored.language, strict=True))
        assert evaluated == {("dev", "en"), ("test", "de")}
        assert set(scored.metric) == {"f1", "precision", "recall", "token_accuracy"}
        assert scored.value.between(0, 100).all()
    for task, test_fr_lengths, test_de_lengths in (
        ("udpos", [6, 3], [6, 5, 4]),
        ("panx", [7], [5, 8]),
    ):
        run_id = rows[rows.target_task == task].run_id.iloc[0]
        predictions = tmp_path / "out" / "runs" / run_id / "predictions"
        french = read_tag((predictions / "test-fr.tsv").read_text(encoding="utf-8"))
        german = read_tag((predictions / "test-de.tsv").read_text(encoding="utf-8"))
        assert [len(s) for s in french] == test_fr_lengths  # predicted, though not scorable
        assert [len(s) for s in german] == test_de_lengths
        assert set(tag for s in french + german for tag in s) <= set(SPECS[task].labels)
    assert directory_digest(FIXTURES) == digest  # the data folder is only read
