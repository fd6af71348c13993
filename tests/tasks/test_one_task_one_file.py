"""One task = one file: a task written in a module of its own is found by the registry, planned,
trained, scored with ``xstilts score`` and tabulated, and appears in the generated task table,
with no other file of the package changed.

The module is written to a temporary folder that the catalog package (``xstilts.tasks.catalog``)
reads as one of its folders, exactly as if the file had been dropped into
``src/xstilts/tasks/catalog/``; the registry's own discovery finds it. Only the registry dict that
the running process already built is topped up with what that discovery returns.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import result_rows
from xstilts import cli
from xstilts.analysis.robustness import headline_metric
from xstilts.analysis.tables import language_table
from xstilts.config import study_from_dict
from xstilts.experiments.plan import make_plan, run_status
from xstilts.experiments.runner import run_study
from xstilts.tasks import catalog, registry
from xstilts.tasks.spec import TaskSpec
from xstilts.tasks.table import task_table

TOY_TASK = '''
"""Toy sentiment: one sentence per line, ``text<TAB>label``, one file per split and language."""

from pathlib import Path

from xstilts.data.examples import ClassificationExample
from xstilts.tasks.spec import TaskSpec


def load(task_dir: Path, split: str, language: str) -> list[ClassificationExample]:
    lines = (task_dir / f"{split}-{language}.tsv").read_text(encoding="utf-8").splitlines()
    rows = [line.split("\\t") for line in lines]
    return [ClassificationExample(f"{split}-{language}-{i}", text, None, label)
            for i, (text, label) in enumerate(rows)]


def languages_found(task_dir: Path, split: str) -> list[str]:
    return [lang for lang in SPEC.languages if (task_dir / f"{split}-{lang}.tsv").is_file()]


SPEC = TaskSpec(
    name="toysent", family="classification", languages=("en", "de"), load=load,
    languages_found=languages_found, metric="accuracy", labels=("neg", "pos"), text_pair=False,
    scorer="classification", prediction_suffix="tsv",
    description="toy sentiment, English training, German zero-shot",
    citation="Nobody 2026. A toy task. Tests", source="written by the test",
)
'''

WORDS = {
    "pos": ["good", "fine", "great", "gut", "schön"],
    "neg": ["bad", "poor", "awful", "schlecht"],
}


@pytest.fixture()
def extra_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder the catalog package reads as one of its own, as ``src/xstilts/tasks/catalog/``
    is; the modules imported from it are forgotten again afterwards."""
    folder = tmp_path / "catalog"
    folder.mkdir()
    monkeypatch.setattr(catalog, "__path__", [*catalog.__path__, str(folder)])
    yield folder
    for path in folder.glob("*.py"):
        sys.modules.pop(f"{catalog.__name__}.{path.stem}", None)


def _discover_with_toy(folder: Path) -> dict[str, TaskSpec]:
    """The registry's own discovery, with ``toysent.py`` dropped into the catalog."""
    (folder / "toysent.py").write_text(TOY_TASK, encoding="utf-8")
    return registry.discover()


def _toy_data(task_dir: Path) -> dict[str, list[str]]:
    """Files in the toy layout; returns the gold labels of each test language."""
    task_dir.mkdir(parents=True)
    gold: dict[str, list[str]] = {}
    for split, language, n in (("train", "en", 48), ("dev", "en", 12), ("dev", "de", 8),
                               ("test", "en", 12), ("test", "de", 8)):  # fmt: skip
        labels = ["pos" if i % 2 else "neg" for i in range(n)]
        lines = [f"{WORDS[label][i % len(WORDS[label])]} film\t{label}" for i, label in
                 enumerate(labels)]  # fmt: skip
        (task_dir / f"{split}-{language}.tsv").write_text("\n".join(lines) + "\n")
        if split == "test":
            gold[language] = labels
    return gold


def test_a_task_in_its_own_file_runs_plan_train_score_results(
    tiny_encoder: Path, tmp_path: Path, extra_catalog: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    found = _discover_with_toy(extra_catalog)
    assert sorted(found.keys() - registry.TASKS.keys()) == ["toysent"]
    assert all(found[name] is spec for name, spec in registry.TASKS.items())
    toy = found["toysent"]
    monkeypatch.setitem(registry.TASKS, toy.name, toy)
    gold = _toy_data(tmp_path / "data" / toy.name)
    train = {"epochs": 1, "batch_size": 16, "max_length": 16, "learning_rate": 1e-3}
    study = study_from_dict({
        "name": "toy", "encoder": {"name": str(tiny_encoder)}, "intermediate_tasks": ["none"],
        "target_tasks": [toy.name], "seeds": [0], "data_dir": str(tmp_path / "data"),
        "output_dir": str(tmp_path / "out"), "threads": 1, "target": train,
    })  # fmt: skip

    planned = run_status(make_plan(study))
    assert [(item.unit.target_task, item.done) for item in planned] == [(toy.name, False)]

    assert run_study(study, progress=False).runs_done == 1
    rows = result_rows(tmp_path / "out")
    assert set(rows.target_task) == {toy.name} and set(rows.language) == {"en", "de"}
    assert set(rows.metric) == {"accuracy"} and rows.value.between(0, 100).all()

    # `xstilts score` on the run's own prediction file gives the stored test score.
    (run_dir,) = (tmp_path / "out" / "runs").iterdir()
    prediction = run_dir / "predictions" / "test-de.tsv"
    gold_file = tmp_path / "test-de.tsv"
    gold_file.write_text("\n".join(gold["de"]) + "\n")
    code = cli.main(["score", toy.name, "--lang", "de", "--pred", str(prediction),
                     "--gold", str(gold_file)])  # fmt: skip
    scored = json.loads(capsys.readouterr().out)
    stored = rows.query("split == 'test' and language == 'de' and selection == 'en_dev'")
    assert code == 0 and scored["accuracy"] == pytest.approx(stored.value.item())

    # results: the per-language table and the robustness headline read the spec.
    table = language_table(rows, toy.name, "test", "accuracy", "en_dev")
    assert table.loc["de", "none"] == pytest.approx(stored.value.item())
    assert headline_metric(toy.name, rows.metric) == toy.metric


def test_the_generated_task_table_gains_the_toy_task(extra_catalog: Path) -> None:
    before = task_table(registry.TASKS.values())
    after = task_table(_discover_with_toy(extra_catalog).values())
    added = set(after.splitlines()) - set(before.splitlines())
    assert added == {
        "| `toysent` | classification | train, dev, test | 2: en de | accuracy | "
        "classification (.tsv) | - | Nobody 2026. A toy task. Tests |"
    }


def test_every_catalog_module_is_one_task_named_after_its_file() -> None:
    names = sorted(path.stem for path in Path(catalog.__file__).parent.glob("*.py"))
    assert sorted(registry.TASKS) == [name for name in names if name != "__init__"]


@pytest.mark.parametrize(
    "text",
    ["X = 1\n", "from xstilts.tasks.catalog.xnli import SPEC\n"],
    ids=["no SPEC", "the SPEC of another task"],
)
def test_a_catalog_module_without_its_own_spec_is_refused(extra_catalog: Path, text: str) -> None:
    (extra_catalog / "broken.py").write_text(text, encoding="utf-8")
    with pytest.raises(TypeError, match=r"broken\.py: a task module defines SPEC = TaskSpec"):
        registry.discover()


def test_the_committed_task_table_is_the_generated_one() -> None:
    committed = Path(__file__).resolve().parents[2] / "docs" / "tasks.md"
    assert committed.read_text(encoding="utf-8") == task_table(registry.TASKS.values()), (
        "docs/tasks.md is out of date: python -m xstilts.tasks.table docs/tasks.md"
    )


def test_the_table_command_checks_and_writes(tmp_path: Path) -> None:
    from xstilts.tasks.table import main

    path = tmp_path / "tasks.md"
    assert main([str(path), "--check"]) == 1
    assert main([str(path)]) == 0 and main([str(path), "--check"]) == 0
    assert path.read_text(encoding="utf-8") == task_table(registry.TASKS.values())
