"""A sentence-transformers input module that runs the exported ONNX encoder (build path).

`SentenceTransformer(modules=[OnnxEncoder(...), Pooling, Normalize])` keeps everything
sentence-transformers does (prompts, length-sorted batching, mean pooling, L2 norm) and
swaps only the transformer forward pass for the runner and tokeniser of the serving encoder
(bot.knowledge.encoder), so the index is embedded through sentence-transformers' API over
the very graph and tokeniser that encode questions. sentence-transformers' own
`backend="onnx"` needs optimum-onnx, which does not support transformers 5
(huggingface/optimum-onnx#114), so the module is ours; the files follow its layout
(`onnx/model.onnx`, `onnx/model_qint8_avx2.onnx`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from sentence_transformers.sentence_transformer.modules import InputModule

from bot.knowledge.encoder import PieceTokenizer, runner
from bot.knowledge.model_files import ONNX_FILES


class OnnxEncoder(InputModule):
    """Tokenise as the model folder's tokenizer.json does; encode with an exported ONNX graph."""

    config_keys = ["backend", "max_seq_length"]

    def __init__(self, model_dir: str | Path, backend: str = "onnx-int8", threads: int = 0,
                 max_seq_length: int = 512):
        super().__init__()
        if backend not in ONNX_FILES:
            raise ValueError(f"unknown ONNX backend {backend!r}")
        self.model_dir, self.backend, self.max_seq_length = Path(model_dir), backend, max_seq_length
        self._run = runner(self.model_dir, backend, threads)
        self.tokenizer = PieceTokenizer((self.model_dir / ONNX_FILES[backend][1]).parent, max_seq_length)

    def preprocess(self, inputs, prompt: str | None = None, **kwargs) -> dict[str, Any]:
        texts = [prompt + t for t in inputs] if prompt else list(inputs)
        ids, mask = self.tokenizer.batch(texts)
        return {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}

    def forward(self, features: dict[str, Any], **kwargs) -> dict[str, Any]:
        out = self._run(features["input_ids"].numpy(), features["attention_mask"].numpy())
        features["token_embeddings"] = torch.from_numpy(np.ascontiguousarray(out, dtype=np.float32))
        return features

    def get_word_embedding_dimension(self) -> int:
        return int(self._run(np.array([[0, 2]]), np.array([[1, 1]])).shape[-1])

    def save(self, output_path: str, *args, **kwargs) -> None:
        self.save_config(output_path)
