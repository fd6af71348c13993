"""Study YAML validation: every error names the file and the key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from xstilts.config import load_study, study_from_dict
from xstilts.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_study_resolves_paths_against_the_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "name: s\ntarget_tasks: [xnli]\nintermediate_tasks: [none, mnli]\n")
    study = load_study(path)
    assert study.target_tasks == ["xnli"]
    assert study.intermediate_tasks == ["none", "mnli"]
    assert Path(study.data_dir) == tmp_path / "data"
    assert Path(study.output_dir) == tmp_path / "runs"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("target_tasks: [xnli]\nlearnig_rate: 1\n", "learnig_rate: unknown key"),
        (
            "target_tasks: [xnli]\ntarget: {learning_rate: fast}\n",
            "target.learning_rate: expected a number",
        ),
        ("target_tasks: [xnli]\ntarget: {batch_sise: 3}\n", "target.batch_sise: unknown key"),
        ("target_tasks: [xnli]\ntarget: {eval_batch_size: 0}\n", "target.eval_batch_size: must be"),
        ("target_tasks: [xnlii]\n", "target_tasks[0]: unknown task 'xnlii'"),
        (
            "target_tasks: [xnli]\nintermediate_tasks: [none, mlni]\n",
            "intermediate_tasks[1]: unknown task",
        ),
        ("target_tasks: []\n", "target_tasks: at least one"),
        (
            "target_tasks: [xnli]\nintermediate_tasks: [mnli@backtranslate]\n",
            "intermediate_tasks[0]: unknown variant 'backtranslate' of 'mnli'",
        ),
        (
            "target_tasks: [xnli]\nintermediate: {sampler: random}\n",
            "intermediate.sampler: expected proportional, uniform or temperature",
        ),
        ("target_tasks: [xnli]\ntrackers: [neptune]\n", "trackers[0]: unknown tracker"),
        ("target_tasks: [xnli]\nlanguages: [en, xx]\n", "languages[1]: no task carries 'xx'"),
        ("target_tasks: [xnli]\nseeds: [1, two]\n", "seeds[1]: expected an integer"),
        (
            "target_tasks: [xnli]\nencoder: {pooling: max}\n",
            "encoder.pooling: expected 'cls' or 'mean'",
        ),
        (
            "target_tasks: [xnli]\nencoder: {freeze_embeddings: yes please}\n",
            "encoder.freeze_embeddings",
        ),
        ("- just\n- a list\n", "top level: expected a mapping"),
    ],
)
def test_bad_keys_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_study(path)
    assert str(error.value).startswith(str(path))
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: s\ntarget_tasks: [xnli\nseeds: [0]\n")
    with pytest.raises(ConfigError, match=rf"{path}:\d+: "):
        load_study(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_study(tmp_path / "absent.yaml")


def test_canonical_json_is_stable() -> None:
    a = study_from_dict({"target_tasks": ["xnli"], "seeds": [1]})
    b = study_from_dict({"seeds": [1], "target_tasks": ["xnli"]})
    assert a.to_json() == b.to_json()
