"""Multiple-choice family: flattening golden tests, XCOPA end to end, the submission format."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch import nn

from multiple_choice_data import FIXTURES, corpus_of, make_xcopa_folders
from tiny_models import build_tiny_encoder
from xstilts.config import EncoderConfig, study_from_dict
from xstilts.data.examples import MultipleChoiceExample
from xstilts.errors import XstiltsError
from xstilts.evaluate.score import score_file
from xstilts.experiments.runner import STORE_NAME, run_study
from xstilts.experiments.store import ResultStore
from xstilts.families import multiple_choice as mc
from xstilts.families import registry as family_registry
from xstilts.models.encoder import load_encoder
from xstilts.models.heads import EncoderWithHeads
from xstilts.tasks.catalog.commonsenseqa import load_commonsenseqa
from xstilts.tasks.catalog.hellaswag import load_hellaswag
from xstilts.tasks.catalog.siqa import load_siqa
from xstilts.tasks.catalog.xcopa import load_xcopa
from xstilts.tasks.registry import TASKS

SPECS = TASKS


@pytest.fixture(scope="module")
def mc_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_xcopa_folders(tmp_path_factory.mktemp("mc-data"))


@pytest.fixture(scope="module")
def mc_encoder(mc_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_encoder(tmp_path_factory.mktemp("mc-xlmr"), corpus_of(mc_data))


@pytest.fixture(scope="module")
def registered() -> Iterator[None]:
    """The family and tasks in the registries (a no-op once they are registered for real)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(family_registry.FAMILY_OPS, "multiple_choice", mc.FAMILY)
        yield


# ---------------------------------------------------------------------------------------------
# Golden tests: flattening (B, C, L) -> (B*C, L) and back
# ---------------------------------------------------------------------------------------------


def test_collate_pads_to_batch_choices_and_width() -> None:
    features = [mc.ChoiceFeature(((5, 6, 7), (8,)), 1), mc.ChoiceFeature(((9,), (10, 11)), 0)]
    batch = mc.collate(features, pad_id=1)
    assert batch["input_ids"].tolist() == [[[5, 6, 7], [8, 1, 1]], [[9, 1, 1], [10, 11, 1]]]
    assert batch["attention_mask"].tolist() == [[[1, 1, 1], [1, 0, 0]], [[1, 0, 0], [1, 1, 0]]]
    assert batch["choice_mask"].tolist() == [[True, True], [True, True]]
    assert batch["labels"].tolist() == [1, 0]


def test_choice_logits_flatten_example_major_and_unflatten() -> None:
    features = [mc.ChoiceFeature(((5, 6, 7), (8,)), 1), mc.ChoiceFeature(((9,), (10, 11)), 0)]
    batch = mc.collate(features, pad_id=1)
    seen: list[torch.Tensor] = []

    def fake_model(task: str, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        seen.append(ids)
        return (ids * mask).sum(-1).float()  # score = sum of the attended token ids

    logits = mc.choice_logits(fake_model, "xcopa", batch)
    # row b*C + c of the flattened batch is choice c of example b
    assert seen[0].tolist() == [[5, 6, 7], [8, 1, 1], [9, 1, 1], [10, 11, 1]]
    assert logits.tolist() == [[18.0, 8.0], [9.0, 21.0]]


def test_uneven_choice_counts_are_masked_out_of_the_softmax() -> None:
    features = [mc.ChoiceFeature(((5,), (6, 7)), 1), mc.ChoiceFeature(((8,), (9,), (10,)), 2)]
    batch = mc.collate(features, pad_id=1)
    assert batch["input_ids"].shape == (2, 3, 2)
    assert batch["choice_mask"].tolist() == [[True, True, False], [True, True, True]]
    # the missing choice attends to one pad token, so no attention row is fully masked
    assert batch["attention_mask"][0, 2].tolist() == [1, 0]

    def big_for_pads(task: str, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return (ids == 1).all(-1).float() * 100.0  # the padded choice would win if not masked

    logits = mc.choice_logits(big_for_pads, "t", batch)
    assert logits.argmax(-1).tolist() == [0, 0]
    loss = nn.functional.cross_entropy(logits, batch["labels"])
    assert torch.isfinite(loss)


def test_encode_choices_pairs_first_segment_with_each_choice(mc_encoder: Path) -> None:
    _, tokenizer = load_encoder(str(mc_encoder))
    examples = load_xcopa(FIXTURES / "xcopa", "dev", "it")
    # XTREME's run_xcopa.py template: f"{premise} What was the {question}?"
    assert mc.first_segment(examples[0]) == "Il bollitore iniziò a fischiare. What was the effect?"
    features = mc.encode_choices(examples, tokenizer, max_length=64)
    for example, feature in zip(examples, features, strict=True):
        assert feature.label == example.label
        expected = [
            tokenizer(mc.first_segment(example), choice)["input_ids"] for choice in example.choices
        ]
        assert [list(ids) for ids in feature.choices] == expected
    short = mc.encode_choices(examples, tokenizer, max_length=8)
    assert all(len(ids) <= 8 for f in short for ids in f.choices)


def test_first_segment_of_siqa_hellaswag_and_commonsenseqa() -> None:
    siqa = load_siqa(FIXTURES / "siqa", "dev", "en")[0]
    assert mc.first_segment(siqa) == (
        "Jordan stayed late at the office to finish the report for Casey. "
        "What does Jordan need to do before this?"
    )  # run_xcopa.py for SIQA: f"{context} {question}"
    hellaswag = load_hellaswag(FIXTURES / "hellaswag", "dev", "en")[0]
    assert mc.first_segment(hellaswag) == "A man sprays a red car with a hose."
    assert hellaswag.choices[3] == "he scrubs the doors with a soapy sponge."
    csqa = load_commonsenseqa(FIXTURES / "commonsenseqa", "dev", "en")[0]
    assert mc.first_segment(csqa) == "Where would you put a kettle to boil water for tea?"


class _LongestChoiceWins(nn.Module):
    """Scores a sequence by its number of attended tokens: the longest choice is predicted."""

    def __init__(self) -> None:
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, task: str, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return mask.sum(-1).float()


def test_predict_restores_input_order_across_sorted_batches(mc_encoder: Path) -> None:
    _, tokenizer = load_encoder(str(mc_encoder))
    words = ["the", "man", "was", "hungry", "and", "he", "ate", "a", "sandwich"]
    examples = [
        MultipleChoiceExample(
            str(i), "the man was hungry", "",
            tuple(" ".join(words[: 1 + (i * 7 + c * 3) % 9]) for c in range(3)), None,
        )
        for i in range(10)
    ]  # fmt: skip
    expected = [max(range(3), key=lambda c: len(e.choices[c].split())) for e in examples]
    spec = SPECS["siqa"]
    # batch_size counts sequences: 6 // 3 choices = 2 examples per batch, 5 sorted batches
    predicted = mc.predict(_LongestChoiceWins(), "t", examples, tokenizer, spec, 64, 6)
    assert predicted == expected


# ---------------------------------------------------------------------------------------------
# Learning, end to end, and the submission format
# ---------------------------------------------------------------------------------------------


def test_head_and_loss_learn_copa_training_set(mc_data: Path, mc_encoder: Path) -> None:
    torch.manual_seed(0)
    encoder, tokenizer = load_encoder(str(mc_encoder))
    spec = SPECS["xcopa"]
    config = EncoderConfig(name=str(mc_encoder), dropout=0.0)
    model = EncoderWithHeads(encoder, {"xcopa": mc.FAMILY.new_head(32, spec, config)})
    train = spec.load(mc_data / "xcopa", "train", "en")
    assert len(train) == 16
    batch = mc.FAMILY.collate(mc.FAMILY.featurize(train, tokenizer, spec, 64), 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: more threads only contend on a shared CPU
    try:
        for _ in range(25):
            model.train()
            loss = mc.FAMILY.loss(model, "xcopa", batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    finally:
        torch.set_num_threads(threads)
    assert losses[-1] < 0.5 * losses[0]
    predicted = mc.FAMILY.predict(model, "xcopa", train, tokenizer, spec, 64, 64)
    assert mc.FAMILY.score(predicted, train, spec, "en")["accuracy"] >= 90.0


def test_xcopa_study_siqa_then_copa_then_zero_shot(
    mc_data: Path, mc_encoder: Path, registered: None, tmp_path: Path
) -> None:
    settings = {"epochs": 2, "batch_size": 4, "max_length": 48, "learning_rate": 1e-3}
    study = study_from_dict({
        "name": "xcopa-tiny", "encoder": {"name": str(mc_encoder)},
        "intermediate_tasks": ["none", "siqa"], "target_tasks": ["xcopa"], "seeds": [0],
        "data_dir": str(mc_data), "output_dir": str(tmp_path / "out"), "threads": 1,
        "intermediate": settings, "target": settings,
    })  # fmt: skip
    summary = run_study(study, progress=False)
    assert summary.runs_done == 2
    with ResultStore(tmp_path / "out" / STORE_NAME, read_only=True) as store:
        rows = store.frame()
    assert set(rows.intermediate_task) == {"none", "siqa"}
    assert set(zip(rows.split, rows.language, strict=True)) == {
        ("dev", "it"), ("dev", "tr"), ("test", "it"), ("test", "tr"),
    }  # fmt: skip
    assert set(rows.metric) == {"accuracy"} and rows.value.between(0, 100).all()
    assert (tmp_path / "out" / "intermediate").is_dir()  # SIQA checkpoint trained once

    # The prediction files are XCOPA submission jsonl; the official-format scorer agrees.
    for run_dir in (tmp_path / "out" / "runs").iterdir():
        run_rows = rows[rows.run_id == run_dir.name]
        for language, gold in [("it", mc_data / "xcopa/data/it/test.it.jsonl"),
                               ("tr", mc_data / "xcopa/test.tr.jsonl")]:  # fmt: skip
            written = (run_dir / "predictions" / f"test-{language}.jsonl").read_text("utf-8")
            records = [json.loads(line) for line in written.splitlines()]
            gold_records = [json.loads(line) for line in gold.read_text("utf-8").splitlines()]
            assert [r["idx"] for r in records] == [g["idx"] for g in gold_records]
            assert all(r["label"] in (0, 1) for r in records)
            submission = tmp_path / f"test-{language}.jsonl"
            submission.write_text(written, encoding="utf-8")
            official = score_file("xcopa", language, submission, gold)["accuracy"]
            stored = run_rows[(run_rows.split == "test") & (run_rows.language == language)]
            assert official == pytest.approx(float(stored.value.iloc[0]))


def test_format_predictions_is_xcopa_jsonl() -> None:
    examples = load_xcopa(FIXTURES / "xcopa", "dev", "it")
    text = mc.format_predictions(examples, [1, 0, 0])
    assert text == '{"idx": 1, "label": 1}\n{"idx": 2, "label": 0}\n{"idx": 3, "label": 0}\n'
    assert mc.score([1, 0, 0], examples, SPECS["xcopa"], "it") == {
        "accuracy": pytest.approx(200 / 3)
    }
    other = MultipleChoiceExample("abc-1", "c", "q", ("a", "b"), 0)
    assert json.loads(mc.format_predictions([other], [1])) == {"idx": "abc-1", "label": 1}


def test_family_refuses_unlabelled_training_and_scoring() -> None:
    spec = SPECS["xcopa"]
    unlabelled = [MultipleChoiceExample("0", "p", "q", ("a", "b"), None)]
    with pytest.raises(XstiltsError, match="training example '0' has no label"):
        mc.featurize(unlabelled, None, spec, 16)  # type: ignore[arg-type]
    assert mc.score([0], unlabelled, spec, "it") == {}  # all hidden: predicted, not scored
    labelled = MultipleChoiceExample("1", "p", "q", ("a", "b"), 1)
    with pytest.raises(XstiltsError, match="some gold labels of this split are hidden"):
        mc.score([0, 1], [*unlabelled, labelled], spec, "it")
    with pytest.raises(XstiltsError, match="1 predictions for 2 examples"):
        mc.format_predictions(unlabelled * 2, [0])
