"""Effective settings: recipe < explicit study keys < per-task overrides; provenance in run ids."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from xstilts.config import ConfigError, study_from_dict
from xstilts.experiments import intermediate as intermediate_phase
from xstilts.experiments import provenance
from xstilts.experiments import target as target_phase
from xstilts.experiments.plan import make_plan
from xstilts.experiments.runner import run_study
from xstilts.experiments.settings import effective_retrieval, effective_train, with_settings
from xstilts.models.identity import encoder_identity
from xstilts.tasks.recipe import xtreme_layer

QA_FIXTURES = Path(__file__).resolve().parents[1] / "families" / "fixtures" / "span_qa"


def study(encoder: Path | str, data: Path, out: Path, **sections: Any) -> Any:
    return study_from_dict({
        "name": "s", "encoder": {"name": str(encoder)}, "intermediate_tasks": ["none"],
        "target_tasks": ["xnli"], "data_dir": str(data), "output_dir": str(out), **sections,
    })  # fmt: skip


def values(effective: Any, *keys: str) -> dict[str, Any]:
    return {key: getattr(effective.values, key) for key in keys}


def test_without_a_target_section_every_target_gets_its_reference_recipe(tmp_path: Path) -> None:
    config = study("e", tmp_path, tmp_path)
    tydiqa = effective_train(config, "target", ["tydiqa"])
    assert values(tydiqa, "max_length", "doc_stride", "learning_rate", "epochs") == {
        "max_length": 384, "doc_stride": 128, "learning_rate": 3e-5, "epochs": 3.0,
    }  # fmt: skip
    assert values(tydiqa, "batch_size", "warmup_steps", "weight_decay", "selection") == {
        "batch_size": 32, "warmup_steps": 500, "weight_decay": 1e-4, "selection": "last",
    }  # fmt: skip
    assert (
        tydiqa.sources["max_length"] == "recipe:google-research/xtreme scripts/train_qa.sh MAXL=384"
    )
    xnli = effective_train(config, "target", ["xnli"])
    assert values(xnli, "max_length", "learning_rate", "epochs", "batch_size", "selection") == {
        "max_length": 128, "learning_rate": 3e-5, "epochs": 5.0, "batch_size": 32,
        "selection": "en_dev",
    }  # fmt: skip
    assert xnli.sources["eval_every_epochs"] == "default"  # no recipe value: the dataclass's


def test_explicit_study_value_beats_the_recipe_and_a_task_override_beats_both(
    tmp_path: Path,
) -> None:
    config = study(
        "e", tmp_path, tmp_path,
        target={"max_length": 256, "epochs": 1},
        tasks={"tydiqa": {"max_length": 512}},
    )  # fmt: skip
    xnli = effective_train(config, "target", ["xnli"])
    tydiqa = effective_train(config, "target", ["tydiqa"])
    assert (xnli.values.max_length, xnli.sources["max_length"]) == (256, "study")
    assert (tydiqa.values.max_length, tydiqa.sources["max_length"]) == (512, "tasks.tydiqa")
    assert tydiqa.values.epochs == xnli.values.epochs == 1.0  # the study's explicit epochs
    # a key the study leaves unset never replaces a recipe value, even where it equals a default
    assert tydiqa.values.learning_rate == 3e-5 and tydiqa.sources["learning_rate"].startswith(
        "recipe:"
    )


def test_a_warmup_ratio_set_by_the_study_replaces_the_recipes_warmup_steps(tmp_path: Path) -> None:
    config = study("e", tmp_path, tmp_path, target={"warmup_ratio": 0.2})
    tydiqa = effective_train(config, "target", ["tydiqa"])
    assert (tydiqa.values.warmup_steps, tydiqa.values.warmup_ratio) == (None, 0.2)


def test_multi_task_phase_keeps_shared_values_and_falls_back_where_recipes_differ(
    tmp_path: Path,
) -> None:
    config = study("e", tmp_path, tmp_path)
    shared = effective_train(config, "intermediate", ["mnli", "squad"])
    assert shared.values.learning_rate == 1e-5  # both jiant recipes agree
    assert shared.values.max_length == 128  # 256 vs 384: the study section's value, and why
    assert shared.sources["max_length"] == "default (tasks differ: mnli=256, squad=384)"


def test_per_task_override_keys_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"tasks\.tydiqa\.layer: unknown key for a span_qa task"):
        study("e", tmp_path, tmp_path, tasks={"tydiqa": {"layer": 3}})
    with pytest.raises(ConfigError, match=r"tasks\.nope: unknown task 'nope'"):
        study("e", tmp_path, tmp_path, tasks={"nope": {"epochs": 1}})
    with pytest.raises(ConfigError, match=r"tasks\.xnli\.epochs: must be > 0"):
        study("e", tmp_path, tmp_path, tasks={"xnli": {"epochs": 0}})


def test_retrieval_layer_follows_xtreme_for_the_encoders_depth(
    tiny_encoder: Path, tmp_path: Path
) -> None:
    # run_tatoeba.sh: mBERT --specific_layer 7 of the last 12 = hidden_states[8]; XLM-R Large 13
    # of the last 24 = hidden_states[14]
    assert (xtreme_layer(12), xtreme_layer(24), xtreme_layer(2)) == (8, 14, 2)
    identity = encoder_identity(str(tiny_encoder))
    assert identity.depth == 2 and identity.initializer_range == 0.02
    tatoeba = effective_retrieval(study(tiny_encoder, tmp_path, tmp_path), "tatoeba", identity)
    assert (tatoeba.values.layer, tatoeba.values.max_length) == (2, 512)
    assert tatoeba.sources["layer"].endswith("--specific_layer (7 of 12, 13 of 24)")
    explicit = study(tiny_encoder, tmp_path, tmp_path, retrieval={"layer": -1})
    assert effective_retrieval(explicit, "tatoeba", identity).values.layer == 2


def test_out_of_range_layer_fails_before_any_training(
    tiny_encoder: Path, demo_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained before the layer was checked")

    for phase in (intermediate_phase, target_phase):
        monkeypatch.setattr(phase, "train_phase", no_training)
    config = study(
        tiny_encoder, demo_data, tmp_path, intermediate_tasks=["none", "mnli"],
        target_tasks=["xnli", "tatoeba"], retrieval={"layer": 3},
    )  # fmt: skip
    message = r"retrieval\.layer: layer 3 is out of range for encoder .* \(2 layers: 0 = emb"
    with pytest.raises(ConfigError, match=message):
        make_plan(config)
    with pytest.raises(ConfigError, match=message):
        run_study(config, progress=False)
    assert not (tmp_path / "results.duckdb").exists()


class Stop(Exception):
    pass


def test_runner_trains_tydiqa_at_384_128_and_xnli_at_its_recipe(
    tiny_encoder: Path, demo_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ``target:`` section: what the training phase receives is each task's recipe."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "tydiqa").symlink_to(QA_FIXTURES / "tydiqa")
    (data / "xnli").symlink_to(demo_data / "xnli")
    seen: dict[str, Any] = {}

    def spy(model, tasks, tokenizer, config, *args, task_configs=None, **kwargs):  # type: ignore[no-untyped-def]
        (task,) = tasks
        seen[task.spec.name] = (config, with_settings(task.spec, config).defaults)
        raise Stop

    monkeypatch.setattr(target_phase, "train_phase", spy)
    for target in ("tydiqa", "xnli"):
        with pytest.raises(Stop):
            run_study(study(tiny_encoder, data, tmp_path / target, target_tasks=[target]), False)
    tydiqa, tydiqa_family = seen["tydiqa"]
    assert (tydiqa.max_length, tydiqa_family["doc_stride"], tydiqa.selection) == (384, 128, "last")
    xnli, _ = seen["xnli"]
    assert (xnli.learning_rate, xnli.epochs, xnli.batch_size, xnli.max_length) == (
        3e-5, 5.0, 32, 128,
    )  # fmt: skip


def run_ids(config: Any) -> set[str]:
    return {unit.run_id for unit in make_plan(config).units}


def test_run_ids_differ_with_any_setting_the_weights_or_the_world_size(
    tiny_encoder: Path, demo_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = run_ids(study(tiny_encoder, demo_data, tmp_path))
    assert run_ids(study(tiny_encoder, demo_data, tmp_path)) == base  # stable
    # an effective setting, through any layer
    assert not run_ids(study(tiny_encoder, demo_data, tmp_path, target={"epochs": 1})) & base
    override = study(tiny_encoder, demo_data, tmp_path, tasks={"xnli": {"learning_rate": 1e-4}})
    assert not run_ids(override) & base
    # the same folder holding other weights (one bit of one tensor flipped)
    folder = tmp_path / "encoder"
    shutil.copytree(tiny_encoder, folder)
    before = run_ids(study(folder, demo_data, tmp_path))
    weights = folder / "model.safetensors"
    raw = bytearray(weights.read_bytes())
    raw[-1] ^= 1
    weights.write_bytes(bytes(raw))
    assert not run_ids(study(folder, demo_data, tmp_path)) & before
    # the number of processes
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert not run_ids(study(tiny_encoder, demo_data, tmp_path)) & base
    monkeypatch.setenv("WORLD_SIZE", "1")
    # the versions of torch/transformers/xstilts
    versions = {**provenance.package_versions(), "torch": "0.0-other"}
    monkeypatch.setattr("xstilts.experiments.plan.package_versions", lambda: versions)
    assert not run_ids(study(tiny_encoder, demo_data, tmp_path)) & base


def test_code_version_is_a_digest_of_the_package_source() -> None:
    version = provenance.code_version()
    assert len(version) == 16 and int(version, 16) >= 0
    assert provenance.package_versions()["xstilts_code"] == version


def test_the_readme_study_is_valid_and_leaves_the_recipes_in_charge() -> None:
    import yaml

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("# study.yaml", 1)[1].split("\n", 1)[1].split("```", 1)[0]
    config = study_from_dict(yaml.safe_load(block), "README.md")
    assert effective_train(config, "target", ["tydiqa"]).values.max_length == 384
    assert effective_train(config, "target", ["udpos"]).sources["epochs"] == "tasks.udpos"
    assert config.retrieval.sweep_layers


def test_layer_sweep_reports_every_layer_and_labels_the_best_as_oracle(
    tiny_encoder: Path, demo_data: Path, tmp_path: Path
) -> None:
    from xstilts.experiments.store import ResultStore

    config = study(
        tiny_encoder, demo_data, tmp_path, target_tasks=["tatoeba"],
        retrieval={"sweep_layers": True, "max_length": 32}, languages=["de", "sw"],
    )  # fmt: skip
    run_study(config, progress=False)
    with ResultStore(tmp_path / "results.duckdb", read_only=True) as store:
        rows = store.frame("metric = 'accuracy' AND split = 'test'")
    for language, group in rows.groupby("language"):
        sweep = group[group.selection == "layer_sweep"].set_index("layer")["value"]
        assert sorted(sweep.index) == [0, 1, 2]  # every hidden state of the 2-layer encoder
        (headline,) = group[group.selection == "no_selection"].itertuples()
        assert headline.layer == 2 and headline.value == sweep[2]  # XTREME's rule at depth 2
        (oracle,) = group[group.selection == "oracle"].itertuples()
        assert oracle.value == sweep.max() and sweep[oracle.layer] == sweep.max(), language
        assert oracle.layer == min(sweep[sweep == sweep.max()].index)
