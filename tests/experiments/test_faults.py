"""Faults injected into whole studies: each ends in the uninterrupted table, or one line.

A crash is raised at the k-th step of the write protocols (renames, manifests, removals) of a
real study; the next run must end with exactly the rows of an uninterrupted one. Disk-full and
read-only failures go through the CLI: one ``xstilts: error:`` line, exit 2, no temporary left,
and the same table once the fault is gone. (Real SIGKILLs at every protocol step are in
``tests/test_files.py``; SIGKILLs mid-training in ``test_resume.py``.)
"""

from __future__ import annotations

import errno
import os
import pickle
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from helpers import result_rows
from xstilts import cli, files
from xstilts.experiments import runner as runner_module
from xstilts.experiments.plan import STORE_NAME
from xstilts.experiments.store import ResultStore
from xstilts.locking import output_lock

PACKAGE = str(Path(files.__file__).parent)


class Crash(BaseException):
    """Stands in for a kill: nothing catches it (``except Exception`` does not)."""


def write_study(tmp: Path, encoder: Path, data: Path, out: Path, **overrides: Any) -> Path:
    config = {
        "name": "faults", "encoder": {"name": str(encoder)},
        "intermediate_tasks": ["none", "mnli"], "target_tasks": ["xnli"],
        "languages": ["en", "de"], "seeds": [0], "data_dir": str(data), "output_dir": str(out),
        "threads": 1,
        "intermediate": {"epochs": 1, "batch_size": 16, "max_length": 32, "learning_rate": 1e-3,
                         "max_train_examples": 32, "eval_every_epochs": 0.5,
                         "checkpoint_every_steps": 1},
        "target": {"epochs": 1, "batch_size": 16, "max_length": 32, "learning_rate": 1e-3,
                   "max_train_examples": 32, "eval_every_epochs": 0.5, "checkpoint_every_steps": 1},
        **overrides,
    }  # fmt: skip
    path = tmp / f"study-{out.name}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def run_cli(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.main(["run", str(config), "--quiet"])
    return code, capsys.readouterr().err


def leftovers(out: Path) -> list[str]:
    """Temporaries and half-replaced folders anywhere under ``out``."""
    names = [".tmp-", ".old"]
    return sorted(
        str(p.relative_to(out)) for p in out.rglob("*") if any(n in p.name for n in names)
    )


@pytest.fixture(scope="module")
def reference(tiny_encoder: Path, demo_data: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The uninterrupted table, and how many protocol steps that run took."""
    tmp = tmp_path_factory.mktemp("faults")
    out = tmp / "reference"
    steps = count_steps(
        lambda: cli.main(["run", str(write_study(tmp, tiny_encoder, demo_data, out)), "--quiet"])
    )
    return result_rows(out), steps


def _steps_patched(
    monkeypatch: pytest.MonkeyPatch, crash_at: int | None, counter: list[int]
) -> None:
    def step(function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            caller = sys._getframe(1).f_code.co_filename
            if PACKAGE not in caller:  # a library's own file juggling is not our protocol
                return function(*args, **kwargs)
            counter[0] += 1
            if counter[0] == crash_at:
                raise Crash(f"crash at step {crash_at} ({function.__name__})")
            return function(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(os, "replace", step(os.replace))
    monkeypatch.setattr(shutil, "rmtree", step(shutil.rmtree))
    monkeypatch.setattr(files, "write_manifest", step(files.write_manifest))


def count_steps(run: Callable[[], int]) -> int:
    with pytest.MonkeyPatch.context() as monkeypatch:
        counter = [0]
        _steps_patched(monkeypatch, None, counter)
        assert run() == 0
    return counter[0]


def assert_same_table(out: Path, expected: pd.DataFrame, crashed: Sequence[str] = ()) -> None:
    """The rows equal ``expected`` and nothing is left over, except the temporaries a simulated
    crash left under this (still living) process's pid, which a real kill's successor sweeps
    (``tests/test_files.py`` kills for real)."""
    pd.testing.assert_frame_equal(result_rows(out), expected)
    own = f"-{os.getpid()}-"
    assert [p for p in leftovers(out) if not (p in crashed and own in p)] == []


def crash(config: Path, step: int) -> list[str]:
    """Run the study until the ``step``-th protocol step raises; what it left over."""
    with pytest.MonkeyPatch.context() as patch:
        _steps_patched(patch, step, [0])
        with pytest.raises(Crash):
            cli.main(["run", str(config), "--quiet"])
    return leftovers(Path(yaml.safe_load(config.read_text(encoding="utf-8"))["output_dir"]))


SLOW = pytest.mark.slow


@pytest.mark.parametrize(
    "fraction", [0.5, *(pytest.param(f, marks=SLOW) for f in (0.03, 0.25, 0.75, 0.97))]
)
def test_a_crash_at_a_protocol_step_then_resume_gives_the_same_table(
    reference: Any, tiny_encoder: Path, demo_data: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fraction: float,
) -> None:  # fmt: skip
    expected, steps = reference
    config = write_study(tmp_path, tiny_encoder, demo_data, tmp_path / "out")
    crashed = crash(config, max(1, round(fraction * steps)))
    assert run_cli(config, capsys)[0] == 0
    assert_same_table(tmp_path / "out", expected, crashed)


def test_a_crafted_checkpoint_after_a_crash_runs_nothing_and_is_retrained(
    reference: Any, tiny_encoder: Path, demo_data: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    expected, steps = reference
    out = tmp_path / "out"
    config = write_study(tmp_path, tiny_encoder, demo_data, out)
    crashed = crash(config, steps // 2)
    checkpoints = [p for p in out.rglob("checkpoint") if (p / "manifest.json").is_file()]
    checkpoints += list(out.rglob("*.training"))
    assert checkpoints, "the crash should leave a resume checkpoint"
    marker = tmp_path / "pwned"
    for folder in checkpoints:
        (folder / "optimizer.pt").write_bytes(pickle.dumps({"x": Marker(marker)}))
    assert run_cli(config, capsys)[0] == 0
    assert not marker.exists()
    assert "optimizer.pt" in caplog.text and "from the start" in caplog.text
    assert_same_table(out, expected, crashed)


class Marker:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def test_a_kill_between_rows_file_and_store_commit_loses_no_work(
    reference: Any, tiny_encoder: Path, demo_data: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    out = tmp_path / "out"
    config = write_study(tmp_path, tiny_encoder, demo_data, out)

    def killed(self: ResultStore, rows: Any, items: Any = ()) -> int:
        raise Crash("killed before the commit")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ResultStore, "add_run", killed)
        with pytest.raises(Crash):
            cli.main(["run", str(config), "--quiet"])
    trained: list[str] = []
    original = runner_module.StudyRunner.run_unit
    monkeypatch.setattr(
        runner_module.StudyRunner, "run_unit",
        lambda self, unit: trained.append(unit.run_id) or original(self, unit),
    )  # fmt: skip
    assert run_cli(config, capsys)[0] == 0
    assert len(trained) == 1  # the first run came back from its rows.json, not retrained
    assert_same_table(out, reference[0])


def _enospc(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "somewhere")


def _safetensors_full(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("Error while serializing: I/O error: No space left on device (os error 28)")


def _read_only(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.EROFS, os.strerror(errno.EROFS), "somewhere")


def _denied(*args: Any, **kwargs: Any) -> None:
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), "somewhere")


@pytest.mark.parametrize(
    ("where", "fault", "says"),
    [
        ("xstilts.train.checkpoint.save_file", _safetensors_full, "no space left"),
        pytest.param("xstilts.files.atomic_write_with", _enospc, "no space left", marks=SLOW),
        pytest.param(
            "xstilts.train.state_tree.save_file", _safetensors_full, "no space left", marks=SLOW
        ),
        pytest.param(
            "xstilts.experiments.runner.save_file", _read_only, "read-only file system", marks=SLOW
        ),
        ("xstilts.files.atomic_write_with", _denied, "permission denied"),
    ],
)
def test_disk_full_and_read_only_are_one_line_then_resumable(
    reference: Any, tiny_encoder: Path, demo_data: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], where: str, fault: Callable[..., None], says: str,
) -> None:  # fmt: skip
    out = tmp_path / "out"
    config = write_study(tmp_path, tiny_encoder, demo_data, out)
    module, name = where.rsplit(".", 1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module + "." + name, fault)
        code, err = run_cli(config, capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("xstilts: error: ") and says in err
    assert "Traceback" not in err and leftovers(out) == []
    assert run_cli(config, capsys)[0] == 0
    assert_same_table(out, reference[0])


def test_a_second_run_on_a_busy_folder_stops_with_one_line(
    tiny_encoder: Path, demo_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    config = write_study(tmp_path, tiny_encoder, demo_data, out)
    with output_lock(out):  # another `xstilts run` holds the folder
        code, err = run_cli(config, capsys)
    assert code == 2 and err.count("\n") == 1 and "in use by another xstilts run" in err
    assert not (out / STORE_NAME).exists()


def test_a_destroyed_store_is_one_line_and_rebuilt_from_the_run_folders(
    reference: Any, tiny_encoder: Path, demo_data: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    out = tmp_path / "out"
    config = write_study(tmp_path, tiny_encoder, demo_data, out)
    assert run_cli(config, capsys)[0] == 0
    store = out / STORE_NAME
    store.write_bytes(store.read_bytes()[:4096])
    capsys.readouterr()
    assert cli.main(["results", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"xstilts rebuild-store {out}" in err
    assert cli.main(["rebuild-store", str(out)]) == 0
    assert "rebuilt" in capsys.readouterr().out
    assert_same_table(out, reference[0])
    assert run_cli(config, capsys)[0] == 0  # nothing left to run, nothing changes
    assert_same_table(out, reference[0])


def test_a_corrupt_intermediate_encoder_is_set_aside_and_trained_again(
    reference: Any, tiny_encoder: Path, demo_data: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    out = tmp_path / "out"
    config = write_study(tmp_path, tiny_encoder, demo_data, out)
    assert run_cli(config, capsys)[0] == 0
    (encoder,) = out.glob("intermediate/*/encoder.safetensors")
    data = bytearray(encoder.read_bytes())
    data[-10] ^= 0x40
    encoder.write_bytes(bytes(data))
    (out / STORE_NAME).unlink()
    shutil.rmtree(out / "runs")
    assert run_cli(config, capsys)[0] == 0
    assert "encoder.safetensors: checksum mismatch" in caplog.text
    assert_same_table(out, reference[0])


def test_a_seed_of_2_to_the_31_runs_end_to_end(
    tiny_encoder: Path, demo_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    config = write_study(tmp_path, tiny_encoder, demo_data, out, seeds=[2**31],
                         intermediate_tasks=["none"])  # fmt: skip
    assert run_cli(config, capsys)[0] == 0
    assert set(result_rows(out)["seed"]) == {2**31}


@pytest.mark.slow
def test_a_crash_at_every_protocol_step_then_resume_gives_the_same_table(
    reference: Any, tiny_encoder: Path, demo_data: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    expected, steps = reference
    for step in range(1, steps + 1):
        out = tmp_path / f"out-{step}"
        config = write_study(tmp_path, tiny_encoder, demo_data, out)
        crashed = crash(config, step)
        assert run_cli(config, capsys)[0] == 0, step
        assert_same_table(out, expected, crashed)
        shutil.rmtree(out)
