"""Every synthetic language is tested on the same items, and its sets map back to English."""

from __future__ import annotations

from pathlib import Path

from xstilts.pretraining.design import ControlledDesign, DiversityLevel
from xstilts.pretraining.task_data import TaskSizes, write_task_data
from xstilts.tasks.registry import get_task

SIZES = TaskSizes(30, 12, 15, 9, 21, 10)
DESIGN = ControlledDesign(
    diversity=(DiversityLevel(1.0, "reverse"), DiversityLevel(0.5, "shuffle", "ka")),
    budgets=(0, 1000),
)


def _write(folder: Path) -> list:
    languages = [language for language, _ in DESIGN.languages()]
    write_task_data(folder, languages, SIZES)
    return languages


def test_the_sets_are_deterministic(tmp_path: Path):
    _write(tmp_path / "a")
    _write(tmp_path / "b")
    for path in sorted((tmp_path / "a").rglob("*.*")):
        twin = tmp_path / "b" / path.relative_to(tmp_path / "a")
        assert path.read_bytes() == twin.read_bytes()


def test_every_language_is_the_english_test_set_transformed(tmp_path: Path):
    languages = _write(tmp_path)
    spec = get_task("synth_xnli")
    folder = tmp_path / "synth_xnli"
    english = spec.load(folder, "test", "en")
    assert len(english) == SIZES.target_test
    found = spec.evaluation_languages(folder, "test", [])
    assert found == sorted(["en", *(language.code for language in languages)])
    for language in languages:
        examples = spec.load(folder, "test", language.code)
        assert [e.label for e in examples] == [e.label for e in english]
        assert [language.invert(e.text_a) for e in examples] == [e.text_a for e in english]
        assert [language.invert(e.text_b) for e in examples] == [e.text_b for e in english]
        if language.script_share == 1.0:
            assert all(e.text_a != en.text_a for e, en in zip(examples, english, strict=True))


def test_bitext_and_intermediate_sets_load_through_their_specs(tmp_path: Path):
    languages = _write(tmp_path)
    bitext = get_task("synth_tatoeba")
    folder = tmp_path / "synth_tatoeba"
    codes = sorted(language.code for language in languages)
    assert bitext.evaluation_languages(folder, "test", []) == codes
    (pair,) = bitext.load(folder, "test", languages[0].code)
    assert len(pair.source) == SIZES.bitext and pair.gold[3] == ("3", "3")
    assert [languages[0].invert(s) for s in pair.source] == list(pair.target)
    nli = get_task("synth_nli")
    assert len(nli.load(tmp_path / "synth_nli", "train", "en")) == SIZES.intermediate_train
