"""Hub rows (``google/xtreme`` schema) → official layouts → OUR registered loaders.

Rows are built in memory in the exact Hub schema (the ``xtreme.py`` features the parquet files
were generated from: ClassLabel columns as ids, ``answers`` as ``{answer_start: [...], text:
[...]}``, Tatoeba sentences with their line ending, BUCC ids in ``source_lang``/``target_lang``).
Several tests emulate the loading script on an official fixture and check that the round trip
official → Hub rows → :func:`convert_rows` → loader gives the examples the official file gives.
No test touches the network: :func:`fetch` is driven by a fake ``load_dataset``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from xstilts.data import hub
from xstilts.data.hub import HubConversionWarning, convert_rows, fetch, hub_plan, hub_splits
from xstilts.data.readers import read_tsv_records
from xstilts.data.squad_format import read_squad
from xstilts.data.tagging_format import PANX_LABELS, read_tagging_tsv
from xstilts.errors import DataError, XstiltsError
from xstilts.evaluate.xtreme_score import TASK_LANGUAGES, XTREME
from xstilts.tasks.qa_tasks import TYDIQA_NAMES
from xstilts.tasks.registry import get_task
from xstilts.tasks.retrieval_tasks import TATOEBA_CODES
from xstilts.tasks.tagging_tasks import UPOS_LABELS

FIXTURES = Path(__file__).parent / "fixtures"


def load(task: str, data_dir: Path, split: str, language: str) -> list[Any]:
    """Through the registry, as the runner does."""
    return get_task(task).load(data_dir / task, split, language)


def found(task: str, data_dir: Path, split: str) -> list[str]:
    return get_task(task).languages_found(data_dir / task, split)


def squad_row(question_id: str, context: str, question: str, answers, title=None) -> dict:
    row = {
        "id": question_id,
        "context": context,
        "question": question,
        "answers": {"answer_start": [s for s, _ in answers], "text": [t for _, t in answers]},
    }
    if title is not None:
        row["title"] = title
    return row


# --------------------------------------------------------------------------------------------
# The Hub tables agree with ours
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "task", ["xnli", "pawsx", "panx", "udpos", "xquad", "mlqa", "tydiqa", "bucc2018", "tatoeba"]
)
def test_hub_covers_exactly_the_xtreme_languages(task: str) -> None:
    assert set(hub.hub_languages(task)) == set(TASK_LANGUAGES[XTREME][task])


def test_language_code_tables_agree_with_the_task_modules() -> None:
    assert {iso: TATOEBA_CODES[iso] for iso in hub.TATOEBA_HUB_CODES} == hub.TATOEBA_HUB_CODES
    assert {name: iso for iso, name in TYDIQA_NAMES.items()} == hub.TYDIQA_ID_LANGUAGES


def test_class_label_orders() -> None:
    # PanxParser / UdposParser ClassLabel names, id order; UPOS is alphabetical = our labels.
    assert hub.PANX_HUB_LABELS == PANX_LABELS
    assert hub.UPOS_HUB_LABELS == UPOS_LABELS


def test_hub_splits_per_config() -> None:
    assert hub_splits("XNLI") == ("validation", "test")
    assert hub_splits("tydiqa") == ("train", "validation")
    assert hub_splits("XQuAD.de") == ("validation",)
    assert hub_splits("tatoeba.deu") == ("validation",)
    assert hub_splits("bucc18.de") == ("validation", "test")
    assert hub_splits("udpos.Thai") == ("test",)
    assert hub_splits("udpos.Kazakh") == ("train", "test")
    assert hub_splits("udpos.German") == ("train", "validation", "test")
    with pytest.raises(XstiltsError, match="unknown google/xtreme config"):
        hub_splits("XCOPA.et")


def test_plan_adds_english_and_squad_where_training_needs_them() -> None:
    assert hub_plan("panx", ["de"]) == [
        ("PAN-X.de", "train"), ("PAN-X.de", "validation"), ("PAN-X.de", "test"),
        ("PAN-X.en", "train"), ("PAN-X.en", "validation"), ("PAN-X.en", "test"),
    ]  # fmt: skip
    assert hub_plan("xquad", ["de"])[:2] == [("SQuAD", "train"), ("SQuAD", "validation")]
    assert ("XQuAD.de", "validation") in hub_plan("xquad", ["de"])
    assert hub_plan("mlqa", ["de"])[0] == ("SQuAD", "train")
    assert ("MLQA.de.de", "test") in hub_plan("mlqa", ["de"])
    assert hub_plan("udpos", ["th"]) == [
        ("udpos.English", "train"), ("udpos.English", "validation"), ("udpos.English", "test"),
        ("udpos.Thai", "test"),
    ]  # fmt: skip
    assert hub_plan("tatoeba", ["sw"]) == [("tatoeba.swh", "validation")]  # no English config
    assert len(hub_plan("tatoeba")) == 36


def test_plan_refuses_languages_and_tasks_not_on_the_hub() -> None:
    with pytest.raises(XstiltsError, match="xquad on google/xtreme has no language"):
        hub_plan("xquad", ["ro"])  # an XTREME-R addition
    with pytest.raises(XstiltsError, match="not on google/xtreme"):
        hub_plan("xcopa")


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------


def _xnli_rows_from_release(path: Path) -> list[dict[str, str]]:
    """What the loading script yields from XNLI-1.0: four columns, pairID dropped."""
    return [
        {key: row[key] for key in ("sentence1", "sentence2", "language", "gold_label")}
        for _, row in read_tsv_records(path, ["language"])
    ]


def test_xnli_round_trip_of_the_official_fixture(tmp_path: Path) -> None:
    official = FIXTURES / "xnli"
    rows = _xnli_rows_from_release(official / "xnli.dev.tsv")
    convert_rows("xnli", "XNLI", "validation", rows, tmp_path)
    languages = found("xnli", tmp_path, "dev")
    assert languages == get_task("xnli").languages_found(official, "dev")
    for language in languages:
        ours = load("xnli", tmp_path, "dev", language)
        theirs = get_task("xnli").load(official, "dev", language)
        strip = [dataclasses.replace(e, id="") for e in theirs]
        assert [dataclasses.replace(e, id="") for e in ours] == strip
        assert [e.id for e in ours] == [str(i) for i in range(1, len(ours) + 1)]


def test_xnli_language_filter_and_test_split(tmp_path: Path) -> None:
    rows = [
        {"language": "en", "gold_label": "neutral", "sentence1": "A man.", "sentence2": "B."},
        {"language": "de", "gold_label": "entailment", "sentence1": "Ein Mann.", "sentence2": "B."},
        {"language": "fr", "gold_label": "contradiction", "sentence1": "Un.", "sentence2": "B."},
    ]
    convert_rows("xnli", "XNLI", "test", rows, tmp_path, languages=["en", "de"])
    assert found("xnli", tmp_path, "test") == ["de", "en"]
    assert [e.label for e in load("xnli", tmp_path, "test", "de")] == ["entailment"]
    header = (tmp_path / "xnli" / "xnli.test.tsv").read_text().splitlines()[0]
    assert header == "language\tgold_label\tsentence1\tsentence2\tpairID"


def test_pawsx_round_trip_and_file_names(tmp_path: Path) -> None:
    official = FIXTURES / "pawsx"
    theirs = get_task("pawsx").load(official, "dev", "de")
    rows = [{"sentence1": e.text_a, "sentence2": e.text_b, "label": e.label} for e in theirs]
    convert_rows("pawsx", "PAWS-X.de", "validation", rows, tmp_path)
    assert load("pawsx", tmp_path, "dev", "de") == theirs  # release ids are 1..n as well
    english = [{"sentence1": "A b.", "sentence2": "B a.", "label": "1"}]
    for split in ("train", "validation", "test"):
        convert_rows("pawsx", "PAWS-X.en", split, english, tmp_path)
    convert_rows("pawsx", "PAWS-X.de", "train", rows, tmp_path)
    assert (tmp_path / "pawsx" / "en" / "train.tsv").is_file()
    assert (tmp_path / "pawsx" / "de" / "translated_train.tsv").is_file()
    assert found("pawsx", tmp_path, "train") == ["de", "en"]
    assert [e.label for e in load("pawsx", tmp_path, "test", "en")] == ["1"]


# --------------------------------------------------------------------------------------------
# Tagging
# --------------------------------------------------------------------------------------------


def test_panx_round_trip_of_the_raw_wikiann_fixture(tmp_path: Path) -> None:
    """PanxParser: ``langs`` = the prefix, ``tokens`` = the rest, ``ner_tags`` = ClassLabel ids."""
    theirs = read_tagging_tsv(FIXTURES / "panx" / "en-dev", strip_language_prefix=True)
    rows = [
        {
            "tokens": list(e.tokens),
            "ner_tags": [PANX_LABELS.index(t) for t in e.tags or ()],
            "langs": ["en"] * len(e.tokens),
        }
        for e in theirs
    ]
    convert_rows("panx", "PAN-X.en", "validation", rows, tmp_path)
    assert (tmp_path / "panx" / "en-dev").read_text() == (FIXTURES / "panx" / "en-dev").read_text()
    assert load("panx", tmp_path, "dev", "en") == theirs


def test_panx_test_split_keeps_tags_and_accepts_label_names(tmp_path: Path) -> None:
    rows = [
        {"tokens": ["Angela", "Merkel", "lacht"], "ner_tags": [1, 2, 0], "langs": ["de"] * 3},
        {"tokens": ["Berlin"], "ner_tags": ["B-LOC"], "langs": ["de"]},
    ]
    convert_rows("panx", "PAN-X.de", "test", rows, tmp_path)
    examples = load("panx", tmp_path, "test", "de")
    assert [e.tags for e in examples] == [("B-PER", "I-PER", "O"), ("B-LOC",)]
    assert examples[0].tokens == ("Angela", "Merkel", "lacht")
    assert found("panx", tmp_path, "test") == ["de"]


def test_udpos_configs_named_by_language(tmp_path: Path) -> None:
    theirs = load("udpos", FIXTURES, "train", "en")  # fixtures/udpos/train-en.tsv
    rows = [
        {"tokens": list(e.tokens), "pos_tags": [UPOS_LABELS.index(t) for t in e.tags or ()]}
        for e in theirs
    ]
    convert_rows("udpos", "udpos.English", "train", rows, tmp_path)
    assert load("udpos", tmp_path, "train", "en") == theirs
    thai = [{"tokens": ["แมว", "กิน"], "pos_tags": [7, 15]}]  # NOUN VERB
    convert_rows("udpos", "udpos.Thai", "test", thai, tmp_path)
    assert load("udpos", tmp_path, "test", "th")[0].tags == ("NOUN", "VERB")
    with pytest.raises(XstiltsError, match="has no split 'validation'"):
        convert_rows("udpos", "udpos.Thai", "validation", thai, tmp_path)


# --------------------------------------------------------------------------------------------
# Span QA
# --------------------------------------------------------------------------------------------


def _hub_rows_from_squad(path: Path, *, title: bool = True) -> list[dict]:
    """The loading script's QA generator: contexts, questions and answer texts stripped."""
    document = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for article in document["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = [(a["answer_start"], a["text"].strip()) for a in qa["answers"]]
                rows.append(
                    squad_row(
                        qa["id"],
                        paragraph["context"].strip(),
                        qa["question"].strip(),
                        answers,
                        article.get("title", "").strip() if title else None,
                    )
                )
    return rows


def test_xquad_round_trip_with_squad_train_and_dev(tmp_path: Path) -> None:
    squad_dev = FIXTURES / "squad" / "dev-v1.1.json"
    squad_rows = _hub_rows_from_squad(squad_dev)
    convert_rows("xquad", "SQuAD", "train", squad_rows, tmp_path)
    convert_rows("xquad", "SQuAD", "validation", squad_rows, tmp_path)
    xquad_rows = _hub_rows_from_squad(FIXTURES / "squad" / "xquad.de.json", title=False)
    convert_rows("xquad", "XQuAD.de", "validation", xquad_rows, tmp_path)
    assert load("xquad", tmp_path, "train", "en") == read_squad(squad_dev)
    assert load("xquad", tmp_path, "dev", "en") == read_squad(squad_dev)
    assert load("xquad", tmp_path, "test", "de") == read_squad(FIXTURES / "squad" / "xquad.de.json")
    assert found("xquad", tmp_path, "test") == ["de"]


def test_stripped_context_offsets_are_repaired_or_dropped(tmp_path: Path) -> None:
    # The release had "  Paris is ..." with answer_start 2; the script stripped the context.
    rows = [
        squad_row("q1", "Paris is the capital.", "Capital?", [(2, "Paris")]),
        squad_row("q2", "Paris is the capital.", "What?", [(0, "capital"), (0, "Paris")]),
    ]
    with pytest.warns(HubConversionWarning) as caught:
        convert_rows("squad", "SQuAD", "validation", rows, tmp_path)
    messages = " ".join(str(w.message) for w in caught)
    assert "2 answer offset(s)" in messages  # q1 "Paris" 2 -> 0; q2 "capital" 0 -> 13
    assert "dropped" not in messages
    examples = load("squad", tmp_path, "dev", "en")
    assert examples[0].answer_starts == (0,)
    assert examples[1].answer_texts == ("capital", "Paris")
    assert examples[1].answer_starts == (13, 0)
    far = [
        squad_row("q3", "x" * 100 + " Paris", "Where?", [(0, "Paris")]),
        squad_row("q4", "x" * 100 + " Paris", "Where?", [(0, "Rome"), (0, "xx")]),
    ]
    with pytest.warns(HubConversionWarning, match=r"dropped 2 answer.*q3, q4.*1 question"):
        convert_rows("squad", "SQuAD", "train", far, tmp_path)
    (kept,) = load("squad", tmp_path, "train", "en")  # q3 had no answer left
    assert (kept.id, kept.answer_texts, kept.answer_starts) == ("q4", ("xx",), (0,))


def test_mlqa_same_language_configs(tmp_path: Path) -> None:
    rows = [
        squad_row("m1", "Der Rhein fließt in die Nordsee.", "Wohin?", [(20, "die Nordsee")], "R"),
        squad_row("m2", "Der Rhein fließt in die Nordsee.", "Was?", [(4, "Rhein")], "R"),
        squad_row("m3", "Die Elbe ist lang.", "Welcher?", [(4, "Elbe")], "E"),
    ]
    for split in ("validation", "test"):
        convert_rows("mlqa", "MLQA.de.de", split, rows, tmp_path)
    squad = _hub_rows_from_squad(FIXTURES / "squad" / "dev-v1.1.json")
    convert_rows("mlqa", "SQuAD", "train", squad, tmp_path)
    assert found("mlqa", tmp_path, "dev") == ["de"]
    assert found("mlqa", tmp_path, "train") == ["en"]
    test = load("mlqa", tmp_path, "test", "de")
    assert [e.id for e in test] == ["m1", "m2", "m3"]
    assert test[0].answer_texts == ("die Nordsee",)
    document = json.loads((tmp_path / "mlqa/dev/dev-context-de-question-de.json").read_text())
    assert [len(a["paragraphs"]) for a in document["data"]] == [1, 1]  # shared context grouped
    with pytest.raises(XstiltsError, match="only same-language MLQA"):
        convert_rows("mlqa", "MLQA.de.en", "test", rows, tmp_path)


def test_tydiqa_split_by_id_prefix(tmp_path: Path) -> None:
    rows = [
        squad_row("english-1-1", "Paris is in France.", "Where?", [(12, "France")], "P"),
        squad_row("arabic-2-1", "باريس في فرنسا", "أين؟", [(9, "فرنسا")], "P"),
        squad_row("swahili-3-1", "Nairobi ni mji.", "Nini?", [(0, "Nairobi")], "N"),
    ]
    convert_rows("tydiqa", "tydiqa", "train", rows, tmp_path, languages=["en", "ar"])
    convert_rows("tydiqa", "tydiqa", "validation", rows, tmp_path)
    assert [e.id for e in load("tydiqa", tmp_path, "train", "en")] == ["english-1-1"]
    assert not (tmp_path / "tydiqa/tydiqa-goldp-v1.1-train/tydiqa.sw.train.json").exists()
    assert found("tydiqa", tmp_path, "test") == ["en", "ar", "sw"]
    assert load("tydiqa", tmp_path, "test", "ar")[0].answer_texts == ("فرنسا",)
    with pytest.raises(DataError, match=r"tydiqa\[train\]:1: id 'klingon-1'"):
        convert_rows("tydiqa", "tydiqa", "train", [{**rows[0], "id": "klingon-1"}], tmp_path)


# --------------------------------------------------------------------------------------------
# Retrieval
# --------------------------------------------------------------------------------------------


def test_tatoeba_round_trip_strips_line_endings(tmp_path: Path) -> None:
    official = FIXTURES / "tatoeba"
    source = (official / "tatoeba.deu-eng.deu").read_text(encoding="utf-8").splitlines(True)
    target = (official / "tatoeba.deu-eng.eng").read_text(encoding="utf-8").splitlines(True)
    rows = [
        {"source_sentence": s, "target_sentence": t, "source_lang": "deu", "target_lang": "eng"}
        for s, t in zip(source, target, strict=True)
    ]
    assert rows[0]["source_sentence"].endswith("\n")  # as the script yields them
    convert_rows("tatoeba", "tatoeba.deu", "validation", rows, tmp_path)
    assert load("tatoeba", tmp_path, "test", "de") == get_task("tatoeba").load(
        official, "test", "de"
    )
    for suffix in ("deu", "eng"):
        name = f"tatoeba.deu-eng.{suffix}"
        assert (tmp_path / "tatoeba" / name).read_text() == (official / name).read_text()


def test_bucc_gold_pairs_become_the_three_files(tmp_path: Path) -> None:
    """The script yields one row per gold pair; ids sit in ``source_lang``/``target_lang``."""
    official = load("bucc2018", FIXTURES, "dev", "de")[0]
    source = dict(zip(official.source_ids, official.source, strict=True))
    target = dict(zip(official.target_ids, official.target, strict=True))
    rows = [
        {
            "source_sentence": source[s],
            "target_sentence": target[t],
            "source_lang": s,
            "target_lang": t,
        }
        for s, t in official.gold
    ]
    convert_rows("bucc2018", "bucc18.de", "validation", rows, tmp_path)
    (ours,) = load("bucc2018", tmp_path, "dev", "de")
    assert ours.gold == official.gold
    assert set(ours.source_ids) == {s for s, _ in official.gold}  # no distractors on the Hub
    assert [source[i] for i in ours.source_ids] == list(ours.source)
    assert found("bucc2018", tmp_path, "dev") == ["de"]
    clash = [rows[0], {**rows[1], "source_lang": rows[0]["source_lang"]}]
    with pytest.raises(DataError, match="names two different sentences"):
        convert_rows("bucc2018", "bucc18.de", "test", clash, tmp_path)


# --------------------------------------------------------------------------------------------
# Writing: atomic, idempotent, one-line fields, clear errors
# --------------------------------------------------------------------------------------------


def test_converting_twice_changes_nothing(tmp_path: Path) -> None:
    rows = [{"tokens": ["Rom"], "ner_tags": [5], "langs": ["it"]}]
    (path,) = convert_rows("panx", "PAN-X.it", "train", rows, tmp_path)
    stamp = path.stat().st_mtime_ns
    assert convert_rows("panx", "PAN-X.it", "train", rows, tmp_path) == [path]
    assert path.stat().st_mtime_ns == stamp
    convert_rows("panx", "PAN-X.it", "train", [*rows, *rows], tmp_path)
    assert path.read_text() == "it:Rom\tB-LOC\n\nit:Rom\tB-LOC\n\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["it-train"]  # no temporaries


def test_tabs_and_line_breaks_in_tsv_fields_become_spaces(tmp_path: Path) -> None:
    rows = [{"sentence1": "a\tb", "sentence2": "c\nd", "label": "0"}]
    with pytest.warns(HubConversionWarning, match="2 text field"):
        convert_rows("pawsx", "PAWS-X.fr", "test", rows, tmp_path)
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
        convert_rows(task, config, split, rows, tmp_path)


def test_config_task_and_split_mismatches_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(XstiltsError, match="does not belong to task 'panx'"):
        convert_rows("panx", "PAWS-X.de", "train", [], tmp_path)
    with pytest.raises(XstiltsError, match="has no split 'train'"):
        convert_rows("xnli", "XNLI", "train", [], tmp_path)
    with pytest.raises(XstiltsError, match="cannot be converted"):
        convert_rows("xcopa", "XNLI", "test", [], tmp_path)


# --------------------------------------------------------------------------------------------
# fetch, offline
# --------------------------------------------------------------------------------------------


class FakeHub:
    """Stands in for ``datasets.load_dataset``; records what was asked."""

    def __init__(self, tables: dict[tuple[str, str], list[dict]]) -> None:
        self.tables = tables
        self.calls: list[tuple[str, str, dict]] = []

    def __call__(self, repo: str, config: str, **kwargs: Any) -> list[dict]:
        self.calls.append((repo, config, kwargs))
        return self.tables[(config, kwargs["split"])]


def test_fetch_converts_every_planned_split_and_records_the_source(tmp_path: Path) -> None:
    de = [{"tokens": ["Köln"], "ner_tags": [5], "langs": ["de"]}]
    en = [{"tokens": ["John"], "ner_tags": [1], "langs": ["en"]}]
    tables = {(f"PAN-X.{lang}", split): rows for lang, rows in (("de", de), ("en", en))
              for split in ("train", "validation", "test")}  # fmt: skip
    fake = FakeHub(tables)
    result = fetch("panx", ["de"], tmp_path, revision="abc123", load_dataset=fake)
    assert [(c, k["split"]) for _, c, k in fake.calls] == hub_plan("panx", ["de"])
    assert {k.get("revision") for _, _, k in fake.calls} == {"abc123"}
    assert {repo for repo, _, _ in fake.calls} == {"google/xtreme"}
    assert len(result.files) == 6
    assert result.notes == ()
    assert found("panx", tmp_path, "test") == ["de", "en"]
    assert load("panx", tmp_path, "train", "de")[0].tags == ("B-LOC",)
    record = json.loads((tmp_path / "panx" / hub.SOURCE_FILE).read_text())
    assert record["files"]["de-test"] == {
        "repo": "google/xtreme", "revision": "abc123", "config": "PAN-X.de", "split": "test",
    }  # fmt: skip
    again = fetch("panx", ["de"], tmp_path, revision="abc123", load_dataset=fake)
    assert again.files == result.files


def test_fetch_xnli_says_the_training_file_is_missing(tmp_path: Path) -> None:
    row = {"language": "en", "gold_label": "neutral", "sentence1": "a", "sentence2": "b"}
    fake = FakeHub({("XNLI", "validation"): [row], ("XNLI", "test"): [row]})
    result = fetch("xnli", [], tmp_path, load_dataset=fake)
    assert any("multinli.train.en.tsv" in note for note in result.notes)
    assert found("xnli", tmp_path, "dev") == ["en"]


def test_fetch_refuses_gold_only_bucc_unless_asked(tmp_path: Path) -> None:
    row = {"source_sentence": "Hallo.\n", "target_sentence": "Hello.\n",
           "source_lang": "de-1", "target_lang": "en-1"}  # fmt: skip
    fake = FakeHub({("bucc18.de", split): [row] for split in ("validation", "test")})
    with pytest.raises(XstiltsError, match="gold pairs"):
        fetch("bucc2018", ["de"], tmp_path, load_dataset=fake)
    assert fake.calls == []
    result = fetch("bucc2018", ["de"], tmp_path, allow_bucc_gold_only=True, load_dataset=fake)
    assert any("NOT BUCC 2018 F1" in note for note in result.notes)
    assert load("bucc2018", tmp_path, "test", "de")[0].gold == (("de-1", "en-1"),)


def test_fetch_reports_conversion_warnings_as_notes(tmp_path: Path) -> None:
    row = {"source_sentence": "a\tb\n", "target_sentence": "c\n"}
    fake = FakeHub({("tatoeba.deu", "validation"): [row]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # fetch collects them instead of letting them out
        result = fetch("tatoeba", ["de"], tmp_path, load_dataset=fake)
    assert any("tabs or line breaks" in note for note in result.notes)


def test_fetch_without_network_is_one_user_error(tmp_path: Path) -> None:
    def offline(repo: str, config: str, **kwargs: Any) -> list[dict]:
        raise ConnectionError("Couldn't reach 'google/xtreme' on the Hub (LocalEntryNotFoundError)")

    with pytest.raises(XstiltsError, match=r"PAN-X\.en.*needs access to huggingface\.co"):
        fetch("panx", ["en"], tmp_path, load_dataset=offline)


def test_fetch_without_the_datasets_package(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)  # makes ``import datasets`` fail
    with pytest.raises(XstiltsError, match="needs the 'datasets' package"):
        fetch("tatoeba", ["de"], tmp_path)


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
    convert_rows("panx", "PAN-X.it", "validation", table, tmp_path)
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
    convert_rows("xquad", "XQuAD.de", "validation", qa, tmp_path)
    assert load("xquad", tmp_path, "test", "de")[0].answer_starts == (0,)
