"""A continued-MLM cell of a given encoder: exact budgets in its record, a loadable encoder with its
LM head, reuse, and resume after an interruption to the weights of an uninterrupted run."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from corpus_folders import LANGUAGES, build_corpora, demo_lines
from safetensors.torch import load_file

import xstilts.train.loop as loop
from tiny_models import build_tiny_encoder
from xstilts.config_pretraining import MaskedLMSettings
from xstilts.families.masked_lm_head import pretrained_head_state
from xstilts.models.encoder import load_encoder
from xstilts.models.identity import encoder_identity
from xstilts.pretraining.continued import CellRequest, cell_folder, read_record, train_cell
from xstilts.pretraining.text_corpus import source_fingerprint

BUDGETS = {"de": 120, "fr": 60, "ru": 0, "en": 45}


@pytest.fixture(autouse=True)
def one_thread():
    """As the studies of the tests do (threads: 1): 2 shared cores, no thread contention."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("continued")
    build_corpora(root / "corpora")
    texts = [line for code in LANGUAGES for line in demo_lines(code)]
    return root / "corpora", build_tiny_encoder(root / "base", texts, mask_token="<mask>")


def request_for(corpora: Path, encoder: Path, budgets: dict[str, int] = BUDGETS) -> CellRequest:
    settings = MaskedLMSettings(
        learning_rate=1e-3, batch_size=4, max_length=16, checkpoint_every_steps=2
    )
    sources = {c: source_fingerprint(corpora, "", c) for c, t in budgets.items() if t > 0}
    weights = encoder_identity(str(encoder)).weights
    return CellRequest(str(encoder), weights, budgets, sources, corpora, "", "", settings, seed=3)


def weights_of(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(str(folder / "encoder" / "model.safetensors"))


def test_a_cell_trains_its_budgets_exactly_and_is_reused(base, tmp_path: Path):
    corpora, encoder = base
    folder = train_cell(tmp_path, request_for(corpora, encoder), progress=False)
    record = read_record(folder)
    assert {c: r["tokens"] for c, r in record["budgets"].items()} == BUDGETS
    assert record["tokens"] == 225 and record["steps"] == 5  # 18 blocks of <= 14 tokens, 4 a batch
    assert record["world_size"] == 1 and record["base_encoder_weights"].startswith("sha256:")
    assert not list(tmp_path.glob("*.training"))  # the resume state is removed when done
    token_files = sorted(path.stat().st_size for path in (tmp_path / "tokens").glob("*.u32"))
    assert token_files == [4 * 45, 4 * 60, 4 * 120]  # uint32, exactly each budget; ru has none
    held_out = record["held_out"]  # the manipulation check, budget-0 ru included
    assert set(held_out) == {"de", "fr", "ru", "en"}
    assert all(s["loss"] > 0 and s["tokens"] > 0 for s in held_out.values())
    _, tokenizer = load_encoder(str(folder / "encoder"))
    assert tokenizer.mask_token == "<mask>"
    before, after = load_file(str(encoder / "model.safetensors")), weights_of(folder)
    name = "encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(before[f"roberta.{name}"], after[name])  # it trained
    head = pretrained_head_state(str(folder / "encoder"))
    assert set(head) == {
        "dense.weight",
        "dense.bias",
        "layer_norm.weight",
        "layer_norm.bias",
        "bias",
    }
    stamp = (folder / "encoder" / "model.safetensors").stat().st_mtime_ns
    assert train_cell(tmp_path, request_for(corpora, encoder), progress=False) == folder
    assert (folder / "encoder" / "model.safetensors").stat().st_mtime_ns == stamp


def test_the_key_follows_budgets_and_corpus(base, tmp_path: Path):
    corpora, encoder = base
    one = cell_folder(tmp_path, request_for(corpora, encoder))
    other = cell_folder(tmp_path, request_for(corpora, encoder, {**BUDGETS, "fr": 61}))
    settings = dataclasses.replace(request_for(corpora, encoder), seed=4)
    assert len({one, other, cell_folder(tmp_path, settings)}) == 3


class Interrupted(Exception):
    pass


def test_an_interrupted_cell_resumes_to_the_uninterrupted_weights(
    base, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    corpora, encoder = base
    clean = train_cell(tmp_path / "clean", request_for(corpora, encoder), progress=False)
    original = loop.save_checkpoint

    def save_then_die(*args, **kwargs):
        original(*args, **kwargs)
        raise Interrupted  # the process dies right after its first checkpoint (step 2 of 5)

    monkeypatch.setattr(loop, "save_checkpoint", save_then_die)
    with pytest.raises(Interrupted):
        train_cell(tmp_path / "killed", request_for(corpora, encoder), progress=False)
    assert list((tmp_path / "killed").glob("*.training/checkpoint"))
    monkeypatch.setattr(loop, "save_checkpoint", original)
    resumed = train_cell(tmp_path / "killed", request_for(corpora, encoder), progress=False)
    first, second = weights_of(clean), weights_of(resumed)
    assert first.keys() == second.keys()
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert read_record(clean)["budgets"] == read_record(resumed)["budgets"]


RUN = """
import os, signal, sys
from pathlib import Path
sys.path[:0] = [sys.argv[4], sys.argv[5]]
import xstilts.train.loop as loop
if sys.argv[3] == "die":  # SIGKILL ourselves right after the first checkpoint is on disk
    original = loop.save_checkpoint
    def save_and_die(*args, **kwargs):
        original(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
    loop.save_checkpoint = save_and_die
from test_continued import request_for
from xstilts.pretraining.continued import train_cell
corpora, encoder = Path(sys.argv[1]).parent / "corpora", Path(sys.argv[1]).parent / "base"
print(train_cell(Path(sys.argv[2]), request_for(corpora, encoder), progress=False))
"""


def _run(base: tuple[Path, Path], out: Path, mode: str = "run") -> subprocess.Popen:
    here = Path(__file__).parent
    env = {**os.environ, "PYTHONPATH": str(here.parents[1] / "src")}
    args = [sys.executable, "-c", RUN, str(base[0]), str(out), mode, str(here), str(here.parent)]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


@pytest.mark.slow
def test_a_cell_killed_with_sigkill_resumes_to_identical_weights(base, tmp_path: Path):
    clean = _run(base, tmp_path / "clean")
    assert clean.wait(timeout=600) == 0
    killed = _run(base, tmp_path / "killed", "die")
    assert killed.wait(timeout=600) == -signal.SIGKILL
    assert list((tmp_path / "killed").glob("*.training/checkpoint"))
    resumed = _run(base, tmp_path / "killed")
    assert resumed.wait(timeout=600) == 0
    folders = [Path(p.stdout.read().decode().strip()) for p in (clean, resumed)]  # type: ignore[union-attr]
    first, second = (weights_of(folder) for folder in folders)
    assert all(torch.equal(first[k], second[k]) for k in first)
