"""Every real layout of a task, built in miniature (a few lines in the real format) and loaded.

Layouts: the original releases, XTREME's ``scripts/download_data.sh`` + ``utils_preprocess.py``
output (google-research/xtreme at 838c13b; it strips test labels, so those test sets load without
gold), and what ``xstilts fetch`` writes (the release names at the top of the task folder).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from xstilts.config import StudyConfig
from xstilts.errors import DataError, XstiltsError
from xstilts.experiments.task_data import describe_task, load_examples, task_data
from xstilts.families import classification, span_qa
from xstilts.tasks.registry import TASKS

XNLI_HEADER = "language\tgold_label\tsentence1\tsentence2\tpromptID\tpairID\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------ XNLI


def _xnli_release(folder: Path, prefix: str = "", mt_prefix: str = "") -> None:
    _write(
        folder / f"{mt_prefix}multinli.train.en.tsv", "premise\thypo\tlabel\nA\tB\tcontradictory\n"
    )
    rows = "de\tneutral\tEin Satz\tNoch einer\t1\t7\nen\tentailment\tOne\tTwo\t1\t7\n"
    for split in ("dev", "test"):
        _write(folder / f"{prefix}xnli.{split}.tsv", XNLI_HEADER + rows)


@pytest.mark.parametrize(
    ("prefix", "mt_prefix"),
    [("", ""), ("XNLI-1.0/", "XNLI-MT-1.0/multinli/")],
    ids=["flat", "zips"],
)
def test_xnli_release_layouts(tmp_path: Path, prefix: str, mt_prefix: str) -> None:
    _xnli_release(tmp_path, prefix, mt_prefix)
    spec = TASKS["xnli"]
    assert [e.label for e in spec.load(tmp_path, "train", "en")] == ["contradiction"]
    assert spec.languages_found(tmp_path, "test") == ["de", "en"]
    (example,) = spec.load(tmp_path, "test", "de")
    assert (example.id, example.text_a, example.label) == ("7", "Ein Satz", "neutral")


def test_xnli_xtreme_download_layout_reads_as_xtreme_does(tmp_path: Path) -> None:
    # utils_preprocess.py wrote these with csv.writer (quotes doubled, \r\n endings); XTREME reads
    # them back with quotechar=None, so the quotes stay in the text.
    _write(tmp_path / "train-en.tsv", 'A\t"He said ""no"""\tcontradiction\r\n')
    _write(tmp_path / "dev-sw.tsv", "Moja\tMbili\tneutral\r\n\r\n")
    _write(tmp_path / "test-sw.tsv", "Moja\tMbili\r\n")
    spec = TASKS["xnli"]
    (train,) = spec.load(tmp_path, "train", "en")
    assert (train.text_b, train.label) == ('"He said ""no"""', "contradiction")
    assert spec.languages_found(tmp_path, "dev") == ["sw"]
    assert [e.label for e in spec.load(tmp_path, "dev", "sw")] == ["neutral"]  # blank skipped
    test = spec.load(tmp_path, "test", "sw")
    assert [e.label for e in test] == [None]
    # An unlabelled (XTREME) test set is predicted, not scored.
    assert classification.score(["neutral"], test, spec, "sw") == {}


# ---------------------------------------------------------------------------------- PAWS-X

PAWSX_HEADER = "id\tsentence1\tsentence2\tlabel\n"


@pytest.mark.parametrize("prefix", ["", "x-final/"])
def test_pawsx_release_layouts(tmp_path: Path, prefix: str) -> None:
    _write(tmp_path / f"{prefix}en/train.tsv", PAWSX_HEADER + "1\ta\tb\t1\n")
    _write(tmp_path / f"{prefix}de/test_2k.tsv", PAWSX_HEADER + "4\tc\td\t0\n")
    spec = TASKS["pawsx"]
    assert [e.label for e in spec.load(tmp_path, "train", "en")] == ["1"]
    assert spec.languages_found(tmp_path, "test") == ["de"]
    assert [e.id for e in spec.load(tmp_path, "test", "de")] == ["4"]


def test_pawsx_xtreme_download_layout(tmp_path: Path) -> None:
    _write(tmp_path / "train-en.tsv", "a\tb\t1\r\n\tc\t0\r\n")
    _write(tmp_path / "dev-ja.tsv", "x\ty\t0\r\n")
    _write(tmp_path / "test-ja.tsv", "x\ty\r\n")
    spec = TASKS["pawsx"]
    assert [e.label for e in spec.load(tmp_path, "train", "en")] == ["1", "0"]
    assert spec.languages_found(tmp_path, "test") == ["ja"]
    assert [e.label for e in spec.load(tmp_path, "dev", "ja")] == ["0"]
    assert [e.label for e in spec.load(tmp_path, "test", "ja")] == [None]


# --------------------------------------------------------------------------------- Tatoeba


@pytest.mark.parametrize("prefix", ["", "v1/"], ids=["laser-flat", "laser-v1"])
def test_tatoeba_laser_layouts(tmp_path: Path, prefix: str) -> None:
    _write(tmp_path / f"{prefix}tatoeba.swh-eng.swh", "Habari\nAsante\n")
    _write(tmp_path / f"{prefix}tatoeba.swh-eng.eng", "Hello\nThanks\n\n")  # trailing blank
    spec = TASKS["tatoeba"]
    assert spec.languages_found(tmp_path, "test") == ["sw"]
    (pair,) = spec.load(tmp_path, "test", "sw")
    assert pair.target == ("Hello", "Thanks")  # the unmatched trailing blank line is dropped
    assert pair.gold == (("0", "0"), ("1", "1"))


def test_tatoeba_xtreme_download_layout_has_no_gold(tmp_path: Path) -> None:
    # tatoeba_preprocess: {l}-en.{l} copied, {l}-en.en sorted (the alignment is hidden).
    _write(tmp_path / "sw-en.sw", "Habari\nAsante\n")
    _write(tmp_path / "sw-en.en", "Hello\nThanks\n")
    spec = TASKS["tatoeba"]
    assert spec.languages_found(tmp_path, "test") == ["sw"]
    (pair,) = spec.load(tmp_path, "test", "sw")
    assert (pair.source, pair.gold) == (("Habari", "Asante"), ())


def test_tatoeba_blank_lines_inside_are_sentences_as_officially(tmp_path: Path) -> None:
    _write(tmp_path / "tatoeba.deu-eng.deu", "Hallo\n\n  Danke \n")
    _write(tmp_path / "tatoeba.deu-eng.eng", "Hello\n\nThanks\n")
    (pair,) = TASKS["tatoeba"].load(tmp_path, "test", "de")
    assert pair.source == ("Hallo", "", "Danke")  # [l.strip() for l in open(f)]


# ------------------------------------------------------------------------------------ BUCC


def test_bucc_xtreme_layout_strips_ids_and_counts_blank_gold_lines(tmp_path: Path) -> None:
    _write(tmp_path / "de-en.dev.de", "de-1 \tEin Haus\n")
    _write(tmp_path / "de-en.dev.en", "en-1\tA house\textra field\n")
    _write(tmp_path / "de-en.dev.gold", "de-1\ten-1 \n\n")
    _write(tmp_path / "de-en.test.de", "de-2\tZwei\n")
    _write(tmp_path / "de-en.test.en", "en-2\tTwo\n")
    spec = TASKS["bucc2018"]
    (dev,) = spec.load(tmp_path, "dev", "de")
    assert (dev.source_ids, dev.target) == (("de-1",), ("A house",))  # cut -f1/-f2, stripped
    assert dev.gold == (("de-1", "en-1"), ("", ""))  # the blank gold line counts (bucc_eval)
    (test,) = spec.load(tmp_path, "test", "de")
    assert test.gold == ()  # XTREME deletes the test gold


def test_bucc_original_tarball_layout(tmp_path: Path) -> None:
    stem = tmp_path / "fr-en" / "fr-en.training"
    _write(Path(f"{stem}.fr"), "fr-1\tUne maison\n")
    _write(Path(f"{stem}.en"), "en-1\tA house\n")
    _write(Path(f"{stem}.gold"), "fr-1\ten-1\n")
    (test,) = TASKS["bucc2018"].load(tmp_path, "test", "fr")
    assert test.gold == (("fr-1", "en-1"),)


# -------------------------------------------------------------------------------------- QA


def _squad(path: Path, answers: list[dict]) -> Path:
    qa = {"id": "q1", "question": "Wo?", "answers": answers}
    document = {"version": "1.1", "data": [{"paragraphs": [{"context": "In Basel.", "qas": [qa]}]}]}
    return _write(path, json.dumps(document))


def test_xquad_xtreme_download_blanks_answers_so_test_is_not_scored(tmp_path: Path) -> None:
    _squad(tmp_path / "xquad.de.json", [{"answer_start": 0, "text": ""}])
    spec = TASKS["xquad"]
    assert spec.languages_found(tmp_path, "test") == ["de"]
    test = spec.load(tmp_path, "test", "de")
    assert test[0].answer_texts == ()
    assert span_qa.score(["Basel"], test, spec, "de") == {}


def test_tydiqa_xtreme_download_layout(tmp_path: Path) -> None:
    answer = [{"answer_start": 3, "text": "Basel"}]
    _squad(tmp_path / "tydiqa-goldp-v1.1-train" / "tydiqa.goldp.en.train.json", answer)
    _squad(tmp_path / "tydiqa-goldp-v1.1-dev" / "tydiqa.goldp.sw.dev.json", answer)
    spec = TASKS["tydiqa"]
    assert spec.languages_found(tmp_path, "train") == ["en"]
    assert spec.languages_found(tmp_path, "test") == ["sw"]
    assert spec.load(tmp_path, "test", "sw")[0].answer_texts == ("Basel",)


def test_mlqa_zip_layout(tmp_path: Path) -> None:
    answer = [{"answer_start": 3, "text": "Basel"}]
    _squad(tmp_path / "MLQA_V1" / "test" / "test-context-de-question-de.json", answer)
    assert TASKS["mlqa"].languages_found(tmp_path, "test") == ["de"]


# --------------------------------------------------------------------------------- tagging


def test_udpos_and_panx_xtreme_and_raw_layouts(tmp_path: Path) -> None:
    udpos = tmp_path / "udpos"
    _write(udpos / "dev-de.tsv", "Haus\tNOUN\n\nGeht\tVERB\n")
    _write(udpos / "test-de.tsv", "Haus\n")  # XTREME strips test tags
    assert [e.tags for e in TASKS["udpos"].load(udpos, "dev", "de")] == [("NOUN",), ("VERB",)]
    assert [e.tags for e in TASKS["udpos"].load(udpos, "test", "de")] == [None]
    panx = tmp_path / "panx"
    _write(panx / "de-dev", "de:Berlin\tB-LOC\n\n")  # raw WikiANN after download_panx's renames
    _write(panx / "test-fr.tsv", "Paris\n")
    assert TASKS["panx"].load(panx, "dev", "de")[0].tokens == ("Berlin",)
    assert TASKS["panx"].languages_found(panx, "test") == ["fr"]


# ---------------------------------------------------------------------------- no data found


def test_missing_files_name_every_path_tried_and_how_to_get_them(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        TASKS["tatoeba"].load(tmp_path, "test", "sw")
    message = str(info.value)
    for tried in ("tatoeba.swh-eng.swh", "v1/tatoeba.swh-eng.eng", "sw-en.sw", "sw-en.en"):
        assert tried in message
    assert "bash scripts/download_data.sh" in message and "xstilts fetch tatoeba" in message
    tried = re.escape("xnli.test.tsv, XNLI-1.0/xnli.test.tsv, test-de.tsv")
    with pytest.raises(DataError, match=tried):
        TASKS["xnli"].load(tmp_path, "test", "de")


def test_no_evaluation_data_says_where_it_looked(tmp_path: Path) -> None:
    (tmp_path / "tatoeba").mkdir()
    study = StudyConfig(name="s", data_dir=str(tmp_path), languages=["sw"])
    with pytest.raises(XstiltsError) as info:
        describe_task(TASKS["tatoeba"], study, as_target=True)
    message = str(info.value)
    assert "no evaluation data for task 'tatoeba'" in message
    assert "e.g. test 'sw'" in message and "tatoeba.swh-eng.swh" in message
    assert "download_data.sh" in message


@pytest.mark.parametrize(
    ("task", "hint"),
    [("xcopa", "xstilts fetch xcopa --out {data}"), ("siqa", "xstilts fetch siqa --out {data}"),
     ("hellaswag", "the release, rowanz/hellaswag"), ("bucc2018", "the release, BUCC 2018"),
     ("ccg", "the release, CCGbank")],
)  # fmt: skip
def test_a_missing_task_folder_says_how_to_get_the_data(
    tmp_path: Path, task: str, hint: str
) -> None:
    """Fetchable tasks name the fetch command; a script-only Hub copy (HellaSwag), BUCC's gold-only
    Hub copy and a task with no Hub copy (CCG) name their release instead."""
    study = StudyConfig(name="s", data_dir=str(tmp_path))
    with pytest.raises(XstiltsError) as info:
        describe_task(TASKS[task], study, as_target=task in ("xcopa", "bucc2018"))
    message = str(info.value)
    assert f"data folder for task {task!r} not found; to get it: " in message
    assert hint.format(data=tmp_path) in message


@pytest.mark.parametrize(
    ("task", "hint"),
    [("anli", "xstilts fetch anli"), ("hellaswag", "the release, rowanz/hellaswag")],
)
def test_a_missing_training_file_says_how_to_get_it(tmp_path: Path, task: str, hint: str) -> None:
    (tmp_path / task).mkdir()
    study = StudyConfig(name="s", data_dir=str(tmp_path))
    data = task_data(describe_task(TASKS[task], study, as_target=False))
    with pytest.raises(DataError) as info:
        load_examples(data, study.intermediate)
    message = str(info.value)
    assert "expected one of" in message and f"to get it: {hint}" in message


def test_no_evaluation_data_adds_the_fetch_command_the_loader_lacks(tmp_path: Path) -> None:
    (tmp_path / "xcopa").mkdir()
    study = StudyConfig(name="s", data_dir=str(tmp_path), languages=["et"])
    with pytest.raises(XstiltsError) as info:
        describe_task(TASKS["xcopa"], study, as_target=True)
    message = str(info.value)
    assert "expected one of: test.et.jsonl" in message
    assert message.endswith(f"to get it: xstilts fetch xcopa --out {tmp_path}")


# ------------------------------------------------------------------------------ XTREME-R: XCOPA


def test_xcopa_xtreme_download_layout_hides_the_zeroed_test_labels(tmp_path: Path) -> None:
    record = {"premise": "P", "choice1": "a", "choice2": "b", "question": "cause", "idx": 0}
    _write(tmp_path / "train-en.jsonl", json.dumps({**record, "label": 1}) + "\n")
    _write(tmp_path / "val-sw.jsonl", json.dumps({**record, "label": 1}) + "\n")
    _write(tmp_path / "test-sw.jsonl", json.dumps({**record, "label": 0}) + "\n")  # label forced
    spec = TASKS["xcopa"]
    assert [e.label for e in spec.load(tmp_path, "train", "en")] == [1]
    assert spec.languages_found(tmp_path, "test") == ["sw"]
    assert [e.label for e in spec.load(tmp_path, "dev", "sw")] == [1]
    assert [e.label for e in spec.load(tmp_path, "test", "sw")] == [None]


@pytest.mark.parametrize(
    ("task", "split", "hint"),
    [
        ("udpos", "test", "ud-treebanks-v2.5.tgz"),
        ("panx", "test", "xstilts fetch panx"),
        ("bucc2018", "test", "comparable.limsi.fr/bucc2018"),
        ("pawsx", "test", "x-final.tar.gz"),
        ("mlqa", "test", "MLQA_V1.zip"),
        ("tydiqa", "test", "tydiqa-goldp-v1.1-dev.tgz"),
        ("xquad", "test", "deepmind/xquad"),
    ],
)
def test_every_xtreme_target_says_how_to_get_missing_data(
    tmp_path: Path, task: str, split: str, hint: str
) -> None:
    with pytest.raises(DataError) as info:
        TASKS[task].load(tmp_path, split, "de")
    assert hint in str(info.value) and "download_data.sh" in str(info.value)
