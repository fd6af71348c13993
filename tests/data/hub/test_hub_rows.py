"""Reading rows and writing files (``xstilts.data.hub.rows``): atomic, idempotent, one-line
fields, clear errors, and the row types a real ``datasets.Dataset`` yields."""

from __future__ import annotations

from pathlib import Path

import pytest
from hub_helpers import hub_source, load, squad_row

from xstilts.data import hub
from xstilts.data.hub import HubConversionWarning, convert_rows
from xstilts.errors import DataError


def test_converting_twice_changes_nothing(tmp_path: Path) -> None:
    rows = [{"tokens": ["Rom"], "ner_tags": [5], "langs": ["it"]}]
    (path,) = convert_rows(hub_source("panx"), "PAN-X.it", "train", rows, tmp_path)
    stamp = path.stat().st_mtime_ns
    assert convert_rows(hub_source("panx"), "PAN-X.it", "train", rows, tmp_path) == [path]
    assert path.stat().st_mtime_ns == stamp
    convert_rows(hub_source("panx"), "PAN-X.it", "train", [*rows, *rows], tmp_path)
    assert path.read_text() == "it:Rom\tB-LOC\n\nit:Rom\tB-LOC\n\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["it-train"]  # no temporaries


def test_tabs_and_line_breaks_in_tsv_fields_become_spaces(tmp_path: Path) -> None:
    rows = [{"sentence1": "a\tb", "sentence2": "c\nd", "label": "0"}]
    with pytest.warns(HubConversionWarning, match="2 text field"):
        convert_rows(hub_source("pawsx"), "PAWS-X.fr", "test", rows, tmp_path)
    (example,) = load("pawsx", tmp_path, "test", "fr")
    assert (example.text_a, example.text_b) == ("a b", "c d")


@pytest.mark.parametrize(
    ("task", "config", "split", "rows", "message"),
    [
        (
            "panx",
            "PAN-X.de",
            "train",
            [{"tokens": ["a"], "langs": ["de"]}],
            r"PAN-X\.de\[train\]:1: row lacks field 'ner_tags'",
        ),
        ("panx", "PAN-X.de", "train", [{"tokens": ["a"], "ner_tags": [7]}], "id 7 outside 0..6"),
        ("panx", "PAN-X.de", "train", [{"tokens": ["a", "b"], "ner_tags": [0]}], "2 tokens but 1"),
        ("udpos", "udpos.German", "test", [{"tokens": ["a"], "pos_tags": ["NOUNS"]}], "not one of"),
        (
            "xnli",
            "XNLI",
            "test",
            [{"language": "en", "gold_label": "maybe", "sentence1": "a", "sentence2": "b"}],
            "gold_label 'maybe'",
        ),
        (
            "pawsx",
            "PAWS-X.de",
            "test",
            [{"sentence1": "a", "sentence2": "b", "label": "2"}],
            "label '2'",
        ),
        (
            "tatoeba",
            "tatoeba.deu",
            "validation",
            [{"source_sentence": "\n", "target_sentence": "a\n"}],
            "source_sentence is empty",
        ),
    ],
)
def test_bad_rows_name_config_split_and_row(task, config, split, rows, message, tmp_path) -> None:
    with pytest.raises(DataError, match=message):
        convert_rows(hub_source(task), config, split, rows, tmp_path)


def test_real_datasets_rows_if_installed(tmp_path: Path) -> None:
    """The row types a real ``datasets.Dataset`` with the Hub features yields (skipped when the
    optional package is absent)."""
    datasets = pytest.importorskip("datasets")
    features = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=list(hub.PANX_HUB_LABELS))),
            "langs": datasets.Sequence(datasets.Value("string")),
        }
    )
    table = datasets.Dataset.from_dict(
        {"tokens": [["Rom", "ist"]], "ner_tags": [[5, 0]], "langs": [["it", "it"]]},
        features=features,
    )
    convert_rows(hub_source("panx"), "PAN-X.it", "validation", table, tmp_path)
    assert load("panx", tmp_path, "dev", "it")[0].tags == ("B-LOC", "O")
    qa_features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "context": datasets.Value("string"),
            "question": datasets.Value("string"),
            "answers": datasets.Sequence(
                {"answer_start": datasets.Value("int32"), "text": datasets.Value("string")}
            ),
        }
    )
    qa = datasets.Dataset.from_list(
        [squad_row("x1", "Rom ist alt.", "Was?", [(0, "Rom")])], features=qa_features
    )
    convert_rows(hub_source("xquad"), "XQuAD.de", "validation", qa, tmp_path)
    assert load("xquad", tmp_path, "test", "de")[0].answer_starts == (0,)
