"""The sentence-transformers embedder: loaded once, encodes queries and passages."""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np

from bot.errors import ModelError

logger = logging.getLogger(__name__)
BACKENDS = ("torch", "onnx", "onnx-int8", "openvino")
# ONNX backends: (runtime, graph file inside the model folder), as scripts/export_onnx.py writes them.
ONNX_FILES = {
    "onnx": ("onnxruntime", "onnx/model.onnx"),
    "onnx-int8": ("onnxruntime", "onnx/model_qint8_avx2.onnx"),
    "openvino": ("openvino", "onnx/model.onnx"),
}
# The tokeniser of the ONNX backends, next to the graphs (see bot.onnx_encoder.PieceTokenizer).
PIECES, PRETOKENIZER = "sentencepiece.model", "pretokenizer.json"
_TORCH_FILES = ("model.safetensors", "pytorch_model.bin")
_FINGERPRINTS = ".fingerprints.json"


def weight_files(model: str, backend: str = "torch") -> list[Path]:
    """The files whose bytes decide the vectors a backend produces."""
    path = Path(model)
    if backend in ONNX_FILES:
        graph = path / ONNX_FILES[backend][1]
        return [graph, graph.with_name(graph.name + "_data"), graph.with_name(PIECES),
                graph.with_name(PRETOKENIZER)]
    return [path / name for name in _TORCH_FILES if (path / name).is_file()]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def weights_fingerprint(model: str, backend: str = "torch") -> str:
    """sha256 of a local model's weight files for `backend`; for a hub name, the name.

    Digests are remembered in the model folder against each file's size and mtime, so a
    start does not re-read hundreds of MB; a changed file is hashed again."""
    path = Path(model)
    if not path.is_dir():
        return "name:" + model
    files = [f for f in weight_files(model, backend) if f.is_file()]
    if not files:
        raise ModelError(f"no {backend} weights in {path}: run `make setup` "
                         "(or scripts/prepare_model.py and scripts/export_onnx.py)")
    memo_path = path / _FINGERPRINTS
    try:
        memo = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    digests, changed = [], False
    for f in files:
        st = f.stat()
        key, stamp = f.relative_to(path).as_posix(), [st.st_size, st.st_mtime_ns]
        entry = memo.get(key)
        if not (isinstance(entry, dict) and entry.get("stamp") == stamp):
            entry, changed = {"stamp": stamp, "sha256": _sha256(f)}, True
            memo[key] = entry
        digests.append(entry["sha256"])
    if changed:
        try:  # best effort: a read-only model folder only costs the hashing time
            memo_path.write_text(json.dumps(memo, indent=1))
        except OSError:
            pass
    return digests[0] if len(digests) == 1 else hashlib.sha256("".join(digests).encode()).hexdigest()


class Embedder:
    """Thin wrapper over SentenceTransformer with the e5 prompts."""

    def __init__(self, model: str, threads: int = 0, backend: str = "torch"):
        if backend not in BACKENDS:
            raise ModelError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.name, self.backend = model, backend
        # Dynamic int8 quantises activations with one scale per batch tensor, so a text's
        # vector would depend on the texts batched with it (and on padding). One text per
        # call keeps every vector reproducible and equal to how questions are encoded; on
        # this CPU it is as fast as batches of 32 (7.1 s against 6.6 s for 888 texts).
        # fp32 backends batch exactly (cosine > 0.99999 to one at a time).
        self.batch_size = 1 if backend == "onnx-int8" else 32
        self._check_local(model)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        if threads and backend == "torch":
            import torch

            torch.set_num_threads(threads)
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            self.model = self._load(model, backend, threads)
        except ModelError:
            raise
        except Exception as exc:  # any load failure becomes one clear message
            raise ModelError(f"cannot load model {model!r}: {exc}. "
                             "Run `make setup` (or scripts/prepare_model.py)") from exc
        dimension = getattr(self.model, "get_embedding_dimension", None)
        self.dim = int((dimension or self.model.get_sentence_embedding_dimension)())
        self.prompts = dict(getattr(self.model, "prompts", {}) or {})

    @classmethod
    def from_settings(cls, settings) -> "Embedder":
        return cls(settings.model, settings.threads, settings.backend)

    @staticmethod
    def _load(model: str, backend: str, threads: int):
        """torch: the folder as saved. ONNX backends: the same pipeline with the
        transformer swapped for the exported graph (bot.onnx_encoder)."""
        from sentence_transformers import SentenceTransformer

        if backend == "torch":
            return SentenceTransformer(model, device="cpu")
        from sentence_transformers.sentence_transformer.modules import Normalize, Pooling

        from bot.onnx_encoder import OnnxEncoder

        folder = Path(model)
        if not folder.is_dir():
            raise ModelError(f"backend {backend} needs a local model folder, got {model!r}")
        st_config = json.loads((folder / "config_sentence_transformers.json").read_text())
        max_len = json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"]
        try:
            encoder = OnnxEncoder(folder, backend, threads, max_len)
        except FileNotFoundError as exc:
            raise ModelError(str(exc)) from None
        pooling = Pooling.load(str(folder), subfolder="1_Pooling")
        return SentenceTransformer(modules=[encoder, pooling, Normalize()], device="cpu",
                                   prompts=st_config.get("prompts"))

    @staticmethod
    def _check_local(model: str) -> None:
        path = Path(model)
        looks_local = path.is_absolute() or model.startswith((".", "models/"))
        if looks_local and not (path / "modules.json").is_file():
            raise ModelError(f"model folder {model} is missing or incomplete: run `make setup` "
                             "(or `python scripts/prepare_model.py`)")
        if looks_local:
            try:
                json.loads((path / "config.json").read_text())
            except (OSError, ValueError) as exc:
                raise ModelError(f"model folder {model} is damaged ({exc}): run "
                                 "`python scripts/prepare_model.py --force`") from None

    def _encode(self, texts: list[str], prompt: str, progress: bool = False) -> np.ndarray:
        kwargs = {"prompt_name": prompt} if prompt in self.prompts else {}
        vecs = self.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True,
                                 batch_size=self.batch_size, show_progress_bar=progress, **kwargs)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query")

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage")

    def encode(self, texts: list[str], prompt: str, progress: bool = False) -> np.ndarray:
        return self._encode(texts, prompt, progress)
