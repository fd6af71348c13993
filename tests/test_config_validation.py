"""Every value and the study file itself are checked before any training (issue #11 part B)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from xstilts.cli import main
from xstilts.config import load_study, study_from_dict
from xstilts.errors import ConfigError, XstiltsError
from xstilts.experiments.plan import StudyPlan, make_plan
from xstilts.experiments.store import ResultStore
from xstilts.models.encoder_config import check_local_encoder, is_path_like

BASE = "target_tasks: [xnli]\n"


def write(tmp_path: Path, text: str, name: str = "study.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("threads: -1\n", "threads: expected an integer in 1..4096, got -1"),
        ("target: {batch_size: 0}\n", "target.batch_size: must be >= 1"),
        ("intermediate: {learning_rate: .nan}\n", "intermediate.learning_rate: expected a finite"),
        ("target: {epochs: .inf}\n", "target.epochs: expected a finite number > 0"),
        ("target: {warmup_ratio: 1.5}\n", "target.warmup_ratio: expected a value in [0, 1]"),
        ("encoder: {dropout: 1.5}\n", "encoder.dropout: expected a value in [0, 1), got 1.5"),
        ("seeds: [4294967296]\n", "seeds[0]: expected an integer in 0..4294967295"),
        ("seeds: [-1]\n", "seeds[0]: expected an integer in 0..4294967295"),
        ("seeds: [1, 1]\n", "seeds[1]: 1 is listed twice"),
        ("target: {learning_rate: " + "9" * 400 + "}\n", "target.learning_rate: number 9999"),
        ("retrieval: {batch_size: 0}\n", "retrieval.batch_size: must be >= 1"),
        ("intermediate_tasks: [none+mnli]\n", "'none' (no intermediate phase) cannot be combined"),
        ("intermediate_tasks: [mnli+]\n", "intermediate_tasks[0]: 'mnli+' has an empty part"),
        ("intermediate_tasks: [mnli+mnli]\n", "names a task twice"),
        ("encoder: {name: ''}\n", "encoder.name: must not be empty"),
    ],
)
def test_values_out_of_range_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_study(write(tmp_path, BASE + text))
    assert message in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("skip", "message"),
    [
        ("[sst2]", "skip[0]: expected \"intermediate -> target\", got 'sst2'"),
        ("[sst2 -> pawsx]", "skip[0]: 'sst2 -> pawsx' is not a cell of this grid"),
        ("[none -> xnli]", "skip[0]: the baseline cell 'none -> xnli' cannot be skipped"),
        ("[sst2 -> xnli, 'sst2->xnli']", "skip[1]: 'sst2 -> xnli' is listed twice"),
        ("[sst2 -> xnli, sst2 -> tatoeba]", "every target of 'sst2' is skipped"),
    ],
)
def test_skipped_cells_are_checked(tmp_path: Path, skip: str, message: str) -> None:
    grid = "intermediate_tasks: [none, sst2]\ntarget_tasks: [xnli, tatoeba]\n"
    with pytest.raises(ConfigError) as error:
        load_study(write(tmp_path, f"{grid}skip: {skip}\n"))
    assert message in str(error.value) and "\n" not in str(error.value)
    assert load_study(write(tmp_path, f"{grid}skip: [sst2 -> xnli]\n")).skip == ["sst2 -> xnli"]


def test_seed_two_to_the_31_is_accepted(tmp_path: Path) -> None:
    assert load_study(write(tmp_path, BASE + "seeds: [2147483648]\n")).seeds == [2**31]


def test_duplicate_keys_name_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "seeds: [0]\nname: a\nseeds: [1]\n")
    with pytest.raises(ConfigError, match=rf"{path}:4: key 'seeds' repeats the key of line 2"):
        load_study(path)
    nested = write(tmp_path, BASE + "target:\n  epochs: 1\n  epochs: 2\n", "nested.yaml")
    with pytest.raises(ConfigError, match=rf"{nested}:4: key 'epochs' repeats"):
        load_study(nested)


def test_merge_keys_may_override(tmp_path: Path) -> None:
    text = BASE + "intermediate: &base {epochs: 1, batch_size: 8}\ntarget: {<<: *base, epochs: 3}\n"
    study = load_study(write(tmp_path, text))
    assert (study.target.epochs, study.target.batch_size) == (3.0, 8)


def test_alias_bomb_is_refused_without_echo(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 30)]
    path = write(tmp_path, "\n".join(lines) + "\n" + BASE)
    with pytest.raises(ConfigError, match="more than 200 aliases") as error:
        load_study(path)
    assert len(str(error.value)) < 300


def test_huge_values_are_not_echoed(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "name: [" + ", ".join(["abcdef"] * 20_000) + "]\n")
    with pytest.raises(ConfigError, match="name: expected a string") as error:
        load_study(path)
    assert len(str(error.value)) < 300
    digits = write(tmp_path, BASE + "threads: " + "7" * 5000 + "\n", "digits.yaml")
    with pytest.raises(ConfigError, match=r"digits\.yaml: a value cannot be read"):
        load_study(digits)


def test_non_utf8_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "study.yaml"
    path.write_bytes(BASE.encode() + b"name: caf\xe9\n")
    with pytest.raises(ConfigError, match=rf"{path}:2: not valid UTF-8"):
        load_study(path)


def test_path_like_encoder_names_must_exist(tmp_path: Path) -> None:
    assert not is_path_like("xlm-roberta-large") and not is_path_like("FacebookAI/xlm-roberta")
    for name in ("./missing", "/no/such/encoder", "~/no-such-encoder", "models/", "a/b/c"):
        assert is_path_like(name)
        with pytest.raises(XstiltsError, match="no such folder"):
            check_local_encoder(name)


def test_relative_encoder_resolves_beside_the_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "study" / "enc").mkdir(parents=True)
    (tmp_path / "study" / "enc" / "config.json").write_text(json.dumps({"num_hidden_layers": 2}))
    monkeypatch.chdir(tmp_path)  # the working directory has no ./enc
    study = load_study(write(tmp_path / "study", BASE + "encoder: {name: ./enc}\n"))
    assert study.encoder.name == str(tmp_path / "study" / "enc")


def test_retrieval_layer_is_checked_against_the_encoder_depth(
    demo_data: Path, tmp_path: Path
) -> None:
    encoder = tmp_path / "enc"
    encoder.mkdir()
    (encoder / "config.json").write_text(json.dumps({"num_hidden_layers": 2}))
    (encoder / "model.safetensors").write_bytes(b"weights")  # hashed, never loaded

    def plan(layer: int) -> StudyPlan:
        study = study_from_dict({
            "encoder": {"name": str(encoder)}, "target_tasks": ["tatoeba"],
            "retrieval": {"layer": layer}, "data_dir": str(demo_data),
            "output_dir": str(tmp_path / "out"),
        })  # fmt: skip
        return make_plan(study)

    for layer in (-3, 0, 2):  # a negative layer counts from the last hidden state (of 3)
        assert plan(layer).target_settings["tatoeba"].values.layer == layer % 3
    for layer in (99, 3, -4):
        with pytest.raises(ConfigError, match=rf"retrieval.layer: layer {layer} is out of range"):
            plan(layer)


def test_offline_mode_names_itself(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from xstilts.models.encoder import load_encoder

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(XstiltsError, match="offline mode is on"):
        load_encoder("no-such-org/no-such-model-xstilts")


@pytest.mark.parametrize(("column", "value"), [("target_task", "../../etc"), ("run_id", "a/b")])
def test_export_refuses_unsafe_stored_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str, value: str
) -> None:
    row = {
        "run_id": "abc", "study": "s", "encoder": "e", "intermediate_task": "none",
        "target_task": "xnli", "language": "en", "seed": 0, "split": "test",
        "selection": "en_dev", "metric": "accuracy", "value": 1.0, "config_json": "{}",
        "started_at": datetime(2026, 1, 1), "seconds": 1.0,
    }  # fmt: skip
    row[column] = value
    with ResultStore(tmp_path / "results.duckdb") as store:
        store.add_run([row])
    assert main(["export", str(tmp_path), "--out", str(tmp_path / "sub"), "--run", "a"]) == 2
    assert "is not a safe name" in capsys.readouterr().err
    assert not (tmp_path / "sub").exists()


def test_control_characters_and_unusable_paths_are_one_line_errors(tmp_path: Path) -> None:
    path = tmp_path / "study.yaml"
    path.write_bytes(BASE.encode() + b"name: a\xc2\x81b\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}:2: character U+0081 is not")):
        load_study(path)
    for key in ("data_dir", "output_dir"):
        long_name = write(tmp_path, BASE + f"{key}: {'a' * 300}\n", f"{key}.yaml")
        with pytest.raises(ConfigError, match=f"{key}: 'aaa.* is not a usable path") as error:
            load_study(long_name)
        assert len(str(error.value)) < 400


def test_long_values_in_messages_are_cut(tmp_path: Path) -> None:
    path = write(tmp_path, f"target_tasks: [{'x' * 100_000}]\n")
    with pytest.raises(ConfigError, match=r"target_tasks\[0\]: unknown task 'xxx") as error:
        load_study(path)
    assert len(str(error.value)) < 600


def test_export_into_a_file_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = {
        "run_id": "abc", "study": "s", "encoder": "e", "intermediate_task": "none",
        "target_task": "xnli", "language": "en", "seed": 0, "split": "test",
        "selection": "en_dev", "metric": "accuracy", "value": 1.0, "config_json": "{}",
        "started_at": datetime(2026, 1, 1), "seconds": 1.0,
    }  # fmt: skip
    with ResultStore(tmp_path / "results.duckdb") as store:
        store.add_run([row])
    predictions = tmp_path / "runs" / "abc" / "predictions"
    predictions.mkdir(parents=True)
    (predictions / "test-en.tsv").write_text("entailment\n", encoding="utf-8")
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    assert main(["export", str(tmp_path), "--out", str(tmp_path / "a-file"), "--run", "a"]) == 2
    assert "Not a directory" in capsys.readouterr().err
