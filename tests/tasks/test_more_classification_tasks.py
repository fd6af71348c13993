"""PAWS-X, QQP and ANLI+ specs: release layouts, ANLI+ composition, the classification family."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import torch

from xstilts.config import EncoderConfig
from xstilts.data.classification_format import (
    BINARY_LABELS,
    NLI_LABELS,
    read_mnli_tsv,
    read_snli_jsonl,
)
from xstilts.errors import DataError
from xstilts.families import classification
from xstilts.models.encoder import load_encoder
from xstilts.models.heads import EncoderWithHeads
from xstilts.tasks.catalog.anli import ANLI_ROUNDS, load_anli_plus
from xstilts.tasks.catalog.pawsx import load_pawsx, pawsx_languages_found
from xstilts.tasks.catalog.qqp import load_qqp
from xstilts.tasks.registry import TASKS

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures"
SPECS = TASKS

_PAWSX_HEADER = "id\tsentence1\tsentence2\tlabel\n"


def make_pawsx_release(root: Path) -> Path:
    """``x-final/`` as released: English train/dev/test, German dev/test (+ translated train)."""
    final = root / "pawsx" / "x-final"
    (final / "en").mkdir(parents=True)
    (final / "de").mkdir(parents=True)
    (final / "en" / "train.tsv").write_text(
        _PAWSX_HEADER
        + "1\tThe bridge opened in 1902 .\tThe bridge was opened in 1902 .\t1\n"
        + "2\tHe moved to Basel in 1990 .\tHe moved to Bern in 1990 .\t0\n",
        encoding="utf-8",
    )
    for name in ("dev_2k.tsv", "test_2k.tsv"):
        (final / "en" / name).write_text(
            _PAWSX_HEADER + "7\tThe museum is old .\tThe museum is not new .\t1\n", encoding="utf-8"
        )
        shutil.copy(FIXTURES / "pawsx" / "de" / "dev_2k.tsv", final / "de" / name)
    (final / "de" / "translated_train.tsv").write_text(
        _PAWSX_HEADER + "32035\t\t\t0\n" + "3\tDie Brücke ist alt.\tDie Brücke ist neu.\t0\n",
        encoding="utf-8",
    )  # the empty row is a failed machine translation (google-research-datasets/paws#4)
    return root / "pawsx"


def make_anli_plus(root: Path, with_mnli: bool = True) -> Path:
    """ANLI v1.0 rounds under anli_v1.0/ plus GLUE MNLI and SNLI 1.0, as the module doc says."""
    folder = root / "anli"
    for round_name in ANLI_ROUNDS:
        (folder / "anli_v1.0" / round_name).mkdir(parents=True)
        for split in ("train", "dev"):
            target = folder / "anli_v1.0" / round_name / f"{split}.jsonl"
            shutil.copy(FIXTURES / "anli" / "R1" / "dev.jsonl", target)
    if with_mnli:
        (folder / "MNLI").mkdir()
        shutil.copy(FIXTURES / "mnli" / "dev_matched.tsv", folder / "MNLI" / "train.tsv")
    (folder / "snli_1.0").mkdir()
    shutil.copy(
        FIXTURES / "snli" / "snli_1.0_dev.jsonl", folder / "snli_1.0" / "snli_1.0_train.jsonl"
    )
    return folder


# ---------------------------------------------------------------------------------------------
# PAWS-X
# ---------------------------------------------------------------------------------------------


def test_pawsx_spec() -> None:
    spec = SPECS["pawsx"]
    assert spec.family == "classification" and spec.metric == "accuracy"
    assert spec.languages == ("de", "en", "es", "fr", "ja", "ko", "zh")
    assert spec.labels == BINARY_LABELS and spec.text_pair
    assert (spec.train_split, spec.dev_split, spec.test_split) == ("train", "dev", "test")


def test_pawsx_loads_its_fixture() -> None:
    examples = load_pawsx(FIXTURES / "pawsx", "dev", "de")
    assert [(e.id, e.label) for e in examples] == [("1", "0"), ("2", "1"), ("3", "1")]
    assert examples[2].text_a == 'Das Museum liegt am "Alten Markt".'  # bare quotes kept
    assert pawsx_languages_found(FIXTURES / "pawsx", "dev") == ["de"]
    assert pawsx_languages_found(FIXTURES / "pawsx", "train") == []


def test_pawsx_release_inside_x_final(tmp_path: Path) -> None:
    folder = make_pawsx_release(tmp_path)
    spec = SPECS["pawsx"]
    assert [e.id for e in spec.load(folder, "train", "en")] == ["1", "2"]
    assert spec.evaluation_languages(folder, "test", []) == ["de", "en"]
    assert spec.evaluation_languages(folder, "test", ["de"]) == ["de"]
    assert len(spec.load(folder, "test", "de")) == 3
    # translate-train: the failed (empty) translation is dropped from training
    assert [e.id for e in spec.load(folder, "train", "de")] == ["3"]


def test_pawsx_through_the_classification_family(tiny_encoder: Path, tmp_path: Path) -> None:
    """The spec plugs into the unchanged classification family: loss, predict, score, format."""
    folder = make_pawsx_release(tmp_path)
    spec = SPECS["pawsx"]
    torch.manual_seed(0)
    encoder, tokenizer = load_encoder(str(tiny_encoder))
    head = classification.FAMILY.new_head(32, spec, EncoderConfig(name=str(tiny_encoder)))
    model = EncoderWithHeads(encoder, {"pawsx": head})
    train = spec.load(folder, "train", "en")
    features = classification.FAMILY.featurize(train, tokenizer, spec, 32)
    batch = classification.FAMILY.collate(features, tokenizer.pad_token_id)
    assert batch["labels"].tolist() == [1, 0]
    assert torch.isfinite(classification.FAMILY.loss(model, "pawsx", batch))
    test = spec.load(folder, "test", "de")
    predicted = classification.FAMILY.predict(model, "pawsx", test, tokenizer, spec, 32, 8)
    assert set(predicted) <= set(BINARY_LABELS)
    score = classification.FAMILY.score(predicted, test, spec, "de")["accuracy"]
    assert score in (0.0, pytest.approx(100 / 3), pytest.approx(200 / 3), 100.0)
    assert classification.FAMILY.format_predictions(test, predicted).count("\n") == 3


def test_pawsx_errors(tmp_path: Path) -> None:
    folder = tmp_path / "pawsx"
    folder.mkdir()
    (folder / "dev-de.tsv").write_text("s1\ts2\t0\n", encoding="utf-8")
    assert [e.label for e in load_pawsx(folder, "dev", "de")] == ["0"]  # XTREME's rewrite
    with pytest.raises(DataError, match=re.escape("expected one of: fr/dev_2k.tsv, x-final/fr")):
        load_pawsx(folder, "dev", "fr")
    with pytest.raises(DataError, match=re.escape("dev-fr.tsv; to get it: https://storage")):
        load_pawsx(folder, "dev", "fr")
    with pytest.raises(DataError, match="PAWS-X has no language 'it'"):
        load_pawsx(folder, "dev", "it")
    (folder / "de").mkdir()
    (folder / "de" / "dev_2k.tsv").write_text(_PAWSX_HEADER + "1\ta\tb\t2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"de/dev_2k.tsv:2: label '2' should be 0 or 1"):
        load_pawsx(folder, "dev", "de")


# ---------------------------------------------------------------------------------------------
# QQP
# ---------------------------------------------------------------------------------------------


def test_qqp_loads_its_fixture() -> None:
    spec = SPECS["qqp"]
    assert spec.family == "classification" and spec.labels == BINARY_LABELS
    assert spec.test_split is None and spec.languages == ("en",)
    examples = spec.load(FIXTURES / "qqp", "dev", "en")
    assert [(e.id, e.label) for e in examples] == [
        ("201359", "1"),
        ("263843", "0"),
        ("172974", "1"),
    ]
    assert examples[2].text_a == 'What does "quid pro quo" mean?'
    assert spec.languages_found(FIXTURES / "qqp", "dev") == ["en"]


def test_qqp_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no split 'test'; this task has train, dev"):
        load_qqp(FIXTURES / "qqp", "test", "en")
    folder = tmp_path / "qqp"
    folder.mkdir()
    # the first GLUE QQP.zip: a question broken by a raw newline splits one row in two
    (folder / "train.tsv").write_text(
        "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"
        '5\t10\t11\tWas Muhammad\n"\tWas Muhammad a real historical figure?\t0\n',
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"train.tsv:2: expected 6 tab-separated fields, found 4"):
        load_qqp(folder, "train", "en")


# ---------------------------------------------------------------------------------------------
# ANLI+
# ---------------------------------------------------------------------------------------------


def test_anli_plus_training_set_is_anli_rounds_plus_mnli_plus_snli(tmp_path: Path) -> None:
    folder = make_anli_plus(tmp_path)
    spec = SPECS["anli"]
    assert spec.family == "classification" and spec.labels == NLI_LABELS
    assert spec.test_split is None
    train = spec.load(folder, "train", "en")
    anli_round = 3  # fixture rows per round
    mnli = len(read_mnli_tsv(folder / "MNLI" / "train.tsv"))
    snli = len(read_snli_jsonl(folder / "snli_1.0" / "snli_1.0_train.jsonl"))
    assert snli < sum(1 for _ in (FIXTURES / "snli" / "snli_1.0_dev.jsonl").open())  # "-" dropped
    assert len(train) == 3 * anli_round + mnli + snli
    assert {e.label for e in train} <= set(NLI_LABELS)
    assert train[0].label == "entailment"  # ANLI's "e"
    dev = spec.load(folder, "dev", "en")
    assert len(dev) == 3 * anli_round  # ANLI dev rounds only
    assert [e.label for e in dev[:3]] == ["entailment", "contradiction", "neutral"]


def test_anli_plus_accepts_the_multinli_release_and_top_level_rounds(tmp_path: Path) -> None:
    folder = make_anli_plus(tmp_path, with_mnli=False)
    for round_name in ANLI_ROUNDS:  # rounds at the top instead of under anli_v1.0/
        shutil.move(folder / "anli_v1.0" / round_name, folder / round_name)
    (folder / "multinli_1.0").mkdir()
    shutil.copy(
        FIXTURES / "snli" / "snli_1.0_dev.jsonl",
        folder / "multinli_1.0" / "multinli_1.0_train.jsonl",
    )  # MultiNLI's jsonl release has SNLI's fields
    snli = len(read_snli_jsonl(folder / "snli_1.0" / "snli_1.0_train.jsonl"))
    assert len(load_anli_plus(folder, "train", "en")) == 9 + 2 * snli


def test_anli_plus_errors(tmp_path: Path) -> None:
    folder = make_anli_plus(tmp_path, with_mnli=False)
    with pytest.raises(DataError, match=r"no MNLI training file \(ANLI\+ = ANLI \+ MNLI \+ SNLI\)"):
        load_anli_plus(folder, "train", "en")
    assert len(load_anli_plus(folder, "dev", "en")) == 9  # dev needs ANLI only
    (folder / "anli_v1.0" / "R3" / "dev.jsonl").unlink()
    with pytest.raises(DataError, match=re.escape("no ANLI R3 dev file; expected one of: R3/dev")):
        load_anli_plus(folder, "dev", "en")
    with pytest.raises(DataError, match="no split 'test'"):
        load_anli_plus(folder, "test", "en")
