"""Masked-LM family and the ``mlm`` task: masking statistics, weight tying, resume, end to end.

The conftest tiny tokenizer has no ``<mask>``, so this module builds its own tiny XLM-R
(``tiny_models.build_tiny_encoder`` with a mask token, saved *with* its LM head so that loading a
pretrained head is exercised too).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

from helpers import result_rows
from tiny_models import DEMO_DATA, build_tiny_encoder, corpus
from xstilts.config import EncoderConfig, TrainConfig, study_from_dict
from xstilts.errors import DataError, XstiltsError
from xstilts.experiments.runner import run_study
from xstilts.experiments.task_data import TaskData
from xstilts.experiments.training import train_phase
from xstilts.families import classification, masked_lm
from xstilts.families import registry as family_registry
from xstilts.models.encoder import load_encoder
from xstilts.models.heads import EncoderWithHeads
from xstilts.tasks import registry as task_registry
from xstilts.train.loop import make_optimizer

FIXTURES = Path(__file__).parent / "fixtures" / "mlm"
MLM = task_registry.TASKS["mlm"]


@pytest.fixture(scope="module")
def tiny_mlm_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts = corpus(DEMO_DATA) + corpus(FIXTURES)
    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-xlmr-mlm"), texts, mask_token="<mask>")


@pytest.fixture()
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The two registrations (still correct once they are made for real)."""
    monkeypatch.setitem(task_registry.TASKS, "mlm", MLM)
    monkeypatch.setitem(family_registry.FAMILY_OPS, "masked_lm", masked_lm.FAMILY)


def model_with_head(encoder_folder: Path) -> tuple[EncoderWithHeads, Any]:
    torch.manual_seed(0)
    encoder, tokenizer = load_encoder(str(encoder_folder))
    head = masked_lm.new_head(
        encoder.config.hidden_size, MLM, EncoderConfig(name=str(encoder_folder))
    )
    return EncoderWithHeads(encoder, {"mlm": head}), tokenizer


# ---------------------------------------------------------------------------------------------
# The task: files, order, dev, errors
# ---------------------------------------------------------------------------------------------


def test_training_text_is_every_language_in_a_fixed_order() -> None:
    train = MLM.load(FIXTURES, "train", "en")
    assert [(e.language, e.id) for e in train] == [
        ("de", "de/a.txt:1"), ("de", "de/a.txt:2"), ("de", "de/b.txt:1"),
        ("en", "en.txt:1"), ("en", "en.txt:4"),  # empty and blank lines 2-3 skipped
        ("sw", "sw.txt:1"),
    ]  # fmt: skip
    assert train[0].text == "Die Katze schläft."
    assert MLM.languages_found(FIXTURES, "train") == ["de", "en", "sw"]  # notes.txt is no language


def test_dev_is_per_language_and_empty_where_absent(tmp_path: Path) -> None:
    assert MLM.load(FIXTURES, "dev", "en")[0].text == "The children built a tower."
    assert MLM.languages_found(FIXTURES, "dev") == ["en"]
    assert MLM.load(FIXTURES, "dev", "de") == []
    shutil.copy(FIXTURES / "en.txt", tmp_path / "en.txt")
    assert MLM.load(tmp_path, "dev", "en") == []  # no dev folder: not part of model selection
    assert MLM.languages_found(tmp_path, "dev") == []


def test_bad_bytes_name_file_and_line_and_no_text_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "tr.txt").write_bytes("Merhaba dünya.\nİkinci satır.\n".encode() + b"bozuk \xff\n")
    with pytest.raises(DataError, match=r"tr\.txt:3: not valid UTF-8"):
        MLM.load(tmp_path, "train", "en")
    with pytest.raises(DataError, match="no training text"):
        MLM.load(tmp_path / "missing", "train", "en")


# ---------------------------------------------------------------------------------------------
# Masking: BERT's statistics, specials and padding never masked, RNG discipline
# ---------------------------------------------------------------------------------------------


def test_masking_statistics_golden() -> None:
    generator = torch.Generator().manual_seed(1234)
    rows, width, vocab, mask_id = 400, 64, 1000, 4
    ids = torch.randint(10, vocab, (rows, width), generator=generator)
    lengths = torch.randint(3, width + 1, (rows,), generator=generator)
    positions = torch.arange(width).unsqueeze(0)
    padding = positions >= lengths.unsqueeze(1)
    special = (positions == 0) | (positions == lengths.unsqueeze(1) - 1) | padding
    ids[padding] = 1
    eligible = ~special

    corrupted, selected = masked_lm.mask_tokens(ids, eligible, mask_id, vocab, generator)

    assert not (selected & special).any()  # <s>, </s> and padding are never masked
    assert torch.equal(corrupted[~selected], ids[~selected])  # nothing else is touched
    n_eligible, n_selected = int(eligible.sum()), int(selected.sum())
    assert n_eligible > 12_000
    assert abs(n_selected / n_eligible - 0.15) < 0.01  # sd ~0.003
    to_mask = (corrupted == mask_id) & selected
    unchanged = (corrupted == ids) & selected
    to_random = selected & ~to_mask & ~unchanged
    assert abs(int(to_mask.sum()) / n_selected - 0.8) < 0.03  # sd ~0.007
    assert abs(int(to_random.sum()) / n_selected - 0.1) < 0.02  # sd ~0.005
    assert abs(int(unchanged.sum()) / n_selected - 0.1) < 0.02
    assert int(corrupted.max()) < vocab and int(corrupted.min()) >= 0
    # the same seed gives the same masks
    first, again = (
        masked_lm.mask_tokens(ids, eligible, mask_id, vocab, torch.Generator().manual_seed(99))
        for _ in range(2)
    )
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])


def test_masking_edge_cases() -> None:
    ids = torch.tensor([[0, 11, 12, 2, 1]])
    none_eligible = torch.zeros_like(ids, dtype=torch.bool)
    corrupted, selected = masked_lm.mask_tokens(ids, none_eligible, 4, 50)
    assert not selected.any() and torch.equal(corrupted, ids)
    # a draw that selects nothing still selects one eligible token: the loss is always defined
    only_one = torch.tensor([[False, False, True, False, False]])
    for seed in range(20):
        _, selected = masked_lm.mask_tokens(
            ids, only_one, 4, 50, torch.Generator().manual_seed(seed)
        )
        assert selected.tolist() == only_one.tolist()


def test_training_masks_come_from_the_checkpointed_global_rng(tiny_mlm_encoder: Path) -> None:
    model, tokenizer = model_with_head(tiny_mlm_encoder)
    model.eval()  # no dropout: equal losses mean equal masks
    lines = MLM.load(DEMO_DATA / "mlm", "train", "en")[:16]
    batch = masked_lm.collate(
        masked_lm.featurize(lines, tokenizer, MLM, 32), tokenizer.pad_token_id
    )
    state = torch.get_rng_state()
    first = masked_lm.loss(model, "mlm", batch)
    assert not torch.equal(state, torch.get_rng_state())  # masking drew from the global RNG
    second = masked_lm.loss(model, "mlm", batch)
    torch.set_rng_state(state)  # what a resumed run does
    assert masked_lm.loss(model, "mlm", batch).item() == first.item() != second.item()


# ---------------------------------------------------------------------------------------------
# Head: pretrained weights, tying, frozen embeddings
# ---------------------------------------------------------------------------------------------


def test_decoder_is_the_embedding_matrix_and_frozen_embeddings_stay_frozen(
    tiny_mlm_encoder: Path,
) -> None:
    model, tokenizer = model_with_head(tiny_mlm_encoder)
    head = model.heads["mlm"]
    saved = load_file(str(tiny_mlm_encoder / "model.safetensors"))
    assert torch.equal(head.dense.weight, saved["lm_head.dense.weight"])  # pretrained head
    assert torch.equal(head.layer_norm.weight, saved["lm_head.layer_norm.weight"])

    lines = MLM.load(FIXTURES, "train", "en")
    batch = masked_lm.collate(
        masked_lm.featurize(lines, tokenizer, MLM, 32), tokenizer.pad_token_id
    )
    torch.manual_seed(0)
    masked_lm.loss(model, "mlm", batch).backward()
    embeddings = model.encoder.embeddings.word_embeddings.weight
    assert head.decoder_weight is embeddings
    assert head.decoder_weight.data_ptr() == embeddings.data_ptr()  # same storage
    # listed once, under the encoder: the optimiser and checkpoints see one matrix
    assert sum(p is embeddings for p in model.parameters()) == 1
    assert not any(name.startswith("heads.mlm.") and "decoder" in name
                   for name, _ in model.named_parameters())  # fmt: skip
    assert embeddings.grad is not None and embeddings.grad.abs().sum() > 0  # decoder gradient

    model.zero_grad(set_to_none=True)
    embeddings.requires_grad_(False)  # encoder.freeze_embeddings
    before = embeddings.detach().clone()
    dense_before = head.dense.weight.detach().clone()
    optimizer = make_optimizer(model, TrainConfig(learning_rate=1e-2))
    assert all(p is not embeddings for group in optimizer.param_groups for p in group["params"])
    for _ in range(2):
        masked_lm.loss(model, "mlm", batch).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    assert embeddings.grad is None and torch.equal(embeddings, before)
    assert head.decoder_weight is embeddings and not embeddings.requires_grad
    assert not torch.equal(head.dense.weight, dense_before)  # the rest of the head trains


def test_a_tokenizer_without_mask_token_is_a_user_error(tiny_encoder: Path) -> None:
    _, tokenizer = load_encoder(str(tiny_encoder))  # conftest's tokenizer has no <mask>
    with pytest.raises(XstiltsError, match="no mask token"):
        masked_lm.featurize(MLM.load(FIXTURES, "train", "en"), tokenizer, MLM, 32)


# ---------------------------------------------------------------------------------------------
# Dev prediction: fixed-seed masks, deterministic scores, one line per example
# ---------------------------------------------------------------------------------------------


def test_dev_predictions_are_deterministic_and_formatted_per_line(tiny_mlm_encoder: Path) -> None:
    model, tokenizer = model_with_head(tiny_mlm_encoder)
    dev = MLM.load(DEMO_DATA / "mlm", "train", "en")[::7]  # 50 lines of all languages
    state = torch.get_rng_state()
    small = masked_lm.predict(model, "mlm", dev, tokenizer, MLM, 32, 3)
    assert torch.equal(state, torch.get_rng_state())  # evaluation leaves the training RNG alone
    large = masked_lm.predict(model, "mlm", dev, tokenizer, MLM, 32, 64)
    assert small == large  # independent of batching
    assert all(p.positions for p in small)  # every line has at least one masked token
    assert all(0 not in p.positions for p in small)  # <s> is never masked
    scores = masked_lm.score(small, dev, MLM, "en")
    assert set(scores) == {"accuracy"} and 0.0 <= scores["accuracy"] <= 100.0
    correct = sum(a == b for p in small for a, b in zip(p.predicted_ids, p.gold_ids, strict=True))
    total = sum(len(p.gold_ids) for p in small)
    assert scores["accuracy"] == pytest.approx(100.0 * correct / total)
    lines = masked_lm.format_predictions(dev, small).splitlines()
    assert len(lines) == len(dev)
    first = small[0]
    assert lines[0] == " ".join(
        f"{p}:{t}" for p, t in zip(first.positions, first.predicted_tokens, strict=True)
    )


# ---------------------------------------------------------------------------------------------
# The runner: a mixed mnli+mlm phase resumes bit-for-bit; a whole study end to end
# ---------------------------------------------------------------------------------------------


def _phase_tasks() -> list[TaskData]:
    mnli_spec = task_registry.TASKS["mnli"]
    mnli = TaskData(mnli_spec, DEMO_DATA / "mnli", "mnli", {})
    mnli.train = mnli_spec.load(DEMO_DATA / "mnli", "train", "en")[:48]
    mnli.dev_en = mnli_spec.load(DEMO_DATA / "mnli", "dev", "en")[:24]
    mlm = TaskData(MLM, FIXTURES, "mlm", {})
    mlm.train = MLM.load(DEMO_DATA / "mlm", "train", "en")[::7] + MLM.load(FIXTURES, "train", "en")
    mlm.dev_en = MLM.load(FIXTURES, "dev", "en")  # joins English-dev model selection
    return [mnli, mlm]


def _run_phase(encoder_folder: Path, checkpoint: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    torch.manual_seed(0)
    encoder, tokenizer = load_encoder(str(encoder_folder))
    spec = task_registry.TASKS["mnli"]
    heads = {
        "mnli": classification.FAMILY.new_head(32, spec, EncoderConfig()),
        "mlm": masked_lm.new_head(32, MLM, EncoderConfig(name=str(encoder_folder))),
    }
    model = EncoderWithHeads(encoder, heads)
    config = TrainConfig(epochs=1, batch_size=16, max_length=32, learning_rate=1e-3,
                         eval_every_epochs=0.5, checkpoint_every_steps=1)  # fmt: skip
    result = train_phase(model, _phase_tasks(), tokenizer, config, 0, "mix", checkpoint, False)
    result.pop("seconds")
    return result, {name: p.detach().clone() for name, p in model.named_parameters()}


def test_mixed_phase_killed_mid_training_resumes_to_the_same_model(
    tiny_mlm_encoder: Path, registered: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result, parameters = _run_phase(tiny_mlm_encoder, tmp_path / "uninterrupted")
    assert result["steps"] == 3 + 4  # 48 MNLI pairs and 50 + 6 lines of text, batches of 16
    assert len(result["dev_history"]) == 2  # MNLI accuracy and masked-token accuracy averaged

    calls = {"n": 0}

    def dies_on_third_mlm_batch(model: Any, task: str, batch: dict[str, Any]) -> torch.Tensor:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed")
        return masked_lm.loss(model, task, batch)

    dying = dataclasses.replace(masked_lm.FAMILY, loss=dies_on_third_mlm_batch)
    monkeypatch.setitem(family_registry.FAMILY_OPS, "masked_lm", dying)
    with pytest.raises(KeyboardInterrupt):
        _run_phase(tiny_mlm_encoder, tmp_path / "resumed")
    monkeypatch.setitem(family_registry.FAMILY_OPS, "masked_lm", masked_lm.FAMILY)
    resumed_result, resumed = _run_phase(tiny_mlm_encoder, tmp_path / "resumed")

    assert resumed_result == result
    assert resumed.keys() == parameters.keys()
    for name, value in parameters.items():
        assert torch.equal(resumed[name], value), name


def _study(encoder: Path, out: Path) -> Any:
    return study_from_dict({
        "name": "mlm-baseline",
        "encoder": {"name": str(encoder), "freeze_embeddings": True},
        "intermediate_tasks": ["none", "mnli+mlm"],
        "target_tasks": ["xnli"],
        "seeds": [0],
        "data_dir": str(DEMO_DATA),
        "output_dir": str(out),
        "threads": 1,
        "intermediate": {"epochs": 1, "batch_size": 32, "max_length": 40, "learning_rate": 1e-3,
                         "max_train_examples": 96},
        "target": {"epochs": 1, "batch_size": 32, "max_length": 40, "learning_rate": 1e-3,
                   "max_train_examples": 64},
    })  # fmt: skip


def test_study_with_continued_mlm_end_to_end_and_deterministic(
    tiny_mlm_encoder: Path, registered: None, tmp_path: Path
) -> None:
    summary = run_study(_study(tiny_mlm_encoder, tmp_path / "a"), progress=False)
    assert summary.runs_done == 2
    rows = result_rows(tmp_path / "a")
    assert set(rows.intermediate_task) == {"none", "mnli+mlm"}
    assert set(rows.language) == {"en", "de", "fr", "es", "ru", "tr", "sw"}
    assert rows.value.between(0, 100).all()

    folders = [p for p in (tmp_path / "a" / "intermediate").iterdir() if p.name.startswith("mnli+")]
    (folder,) = [p for p in folders if (p / "encoder.safetensors").is_file()]
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["tasks"] == "mnli+mlm"
    assert meta["result"]["steps"] == 3 + 3  # 96 MNLI pairs and 96 lines of text, batches of 32
    saved = load_file(str(folder / "encoder.safetensors"))
    assert "embeddings.word_embeddings.weight" not in saved  # frozen: the tied decoder too

    run_study(_study(tiny_mlm_encoder, tmp_path / "b"), progress=False)
    pd.testing.assert_frame_equal(rows, result_rows(tmp_path / "b"))
