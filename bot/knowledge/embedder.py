"""The sentence-transformers embedder (build path): embeds the index, exports, compares backends.

It imports torch and sentence-transformers. Serving encodes questions with the torch-free
bot.knowledge.encoder over the same graph and tokeniser; this module depends on that one,
never the other way round.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from bot.errors import ModelError
from bot.knowledge.model_files import BACKENDS, check_local, read_layout

logger = logging.getLogger(__name__)


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
        check_local(model)
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
        transformer swapped for the exported graph (bot.knowledge.onnx_module)."""
        from sentence_transformers import SentenceTransformer

        if backend == "torch":
            # A folder on disk is never looked up on the Hub, whatever HF_HUB_OFFLINE says.
            return SentenceTransformer(model, device="cpu", local_files_only=Path(model).is_dir())
        from sentence_transformers.sentence_transformer.modules import Normalize, Pooling

        from bot.knowledge.onnx_module import OnnxEncoder

        folder = Path(model)
        if not folder.is_dir():
            raise ModelError(f"backend {backend} needs a local model folder, got {model!r}")
        layout = read_layout(folder)
        try:
            encoder = OnnxEncoder(folder, backend, threads, layout.max_seq_length)
        except FileNotFoundError as exc:
            raise ModelError(str(exc)) from None
        pooling = Pooling.load(str(folder), subfolder="1_Pooling")
        return SentenceTransformer(modules=[encoder, pooling, Normalize()], device="cpu",
                                   prompts=layout.prompts)

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
