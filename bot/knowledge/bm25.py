"""BM25 scores from the files bm25s saves, with numpy alone.

The index is built with bm25s (bot/build/index.py), which imports scipy when it can: ~20 MB and
~0.1 s that a serving process does not need to add up a few hundred precomputed scores.
This reads the same files and scores exactly as `bm25s.BM25.get_scores` does
(tests/model/test_bm25.py compares the two).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

# bm25s's file names inside its folder.
PARAMS, VOCAB = "params.index.json", "vocab.index.json"
ARRAYS = {"data": "data.csc.index.npy", "indices": "indices.csc.index.npy", "indptr": "indptr.csc.index.npy"}
NONOCCURRENCE = "nonoccurrence_array.index.npy"


class BM25:
    """A loaded bm25s index: `vocab_dict`, `scores` (CSC arrays, token → documents) and
    `get_scores(tokens)`, as bm25s names them."""

    def __init__(self, folder: Path):
        folder = Path(folder)
        params = json.loads((folder / PARAMS).read_text(encoding="utf-8"))
        self.dtype, self.int_dtype = np.dtype(params["dtype"]), np.dtype(params["int_dtype"])
        self.vocab_dict: dict[str, int] = json.loads((folder / VOCAB).read_text(encoding="utf-8"))
        self.scores = {key: np.load(folder / name, allow_pickle=False) for key, name in ARRAYS.items()}
        self.scores["num_docs"] = int(params["num_docs"])
        nonoccurrence = folder / NONOCCURRENCE  # only BM25L and BM25+ write one
        self.nonoccurrence = np.load(nonoccurrence, allow_pickle=False) if nonoccurrence.is_file() else None

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """Per document, the sum of the precomputed scores of the known `tokens`."""
        ids = np.asarray([self.vocab_dict[t] for t in tokens if t in self.vocab_dict], dtype=self.int_dtype)
        data, indices, indptr = self.scores["data"], self.scores["indices"], self.scores["indptr"]
        if len(ids) and ids.max() >= len(indptr) - 1:  # bm25s's "" token has no column
            raise ValueError("a query token has no column in the BM25 matrix")
        scores = np.zeros(self.scores["num_docs"], dtype=self.dtype)
        for start, end in zip(indptr[ids], indptr[ids + 1]):
            np.add.at(scores, indices[start:end], data[start:end])
        if self.nonoccurrence is not None:
            scores += self.nonoccurrence[ids].sum()
        return scores
