"""The learned linear map applied to every e5 vector before it is compared (see
bot/build/adapter.py): the rows and near-misses at index time, each question at serve time."""
from __future__ import annotations

import numpy as np


def adapt(W: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Each vector mapped by W and normalised again (one vector or a matrix of rows)."""
    mapped = np.atleast_2d(vectors) @ W.T
    mapped /= np.maximum(np.linalg.norm(mapped, axis=1, keepdims=True), 1e-12)
    mapped = mapped.astype(np.float32)
    return mapped if np.ndim(vectors) == 2 else mapped[0]
