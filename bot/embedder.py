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
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.onnx")


def weights_fingerprint(model: str) -> str:
    """sha256 of a local model's weight files; for a hub name, the name itself."""
    path = Path(model)
    if not path.is_dir():
        return "name:" + model
    h = hashlib.sha256()
    found = False
    for name in _WEIGHT_FILES:
        f = path / name
        if f.is_file():
            found = True
            with f.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 22), b""):
                    h.update(block)
    if not found:
        raise ModelError(f"no weights in {path}: run `make setup` (or scripts/prepare_model.py)")
    return h.hexdigest()


class Embedder:
    """Thin wrapper over SentenceTransformer with the e5 prompts."""

    def __init__(self, model: str, threads: int = 0):
        self.name = model
        self._check_local(model)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        if threads:
            import torch

            torch.set_num_threads(threads)
        try:
            from sentence_transformers import SentenceTransformer

            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            self.model = SentenceTransformer(model, device="cpu")
        except Exception as exc:  # any load failure becomes one clear message
            raise ModelError(f"cannot load model {model!r}: {exc}. "
                             "Run `make setup` (or scripts/prepare_model.py)") from exc
        dimension = getattr(self.model, "get_embedding_dimension", None)
        self.dim = int((dimension or self.model.get_sentence_embedding_dimension)())
        self.prompts = dict(getattr(self.model, "prompts", {}) or {})

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

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        kwargs = {"prompt_name": prompt} if prompt in self.prompts else {}
        vecs = self.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True,
                                 batch_size=32, show_progress_bar=False, **kwargs)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query")

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage")

    def encode(self, texts: list[str], prompt: str) -> np.ndarray:
        return self._encode(texts, prompt)
