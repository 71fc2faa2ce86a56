"""Stand-ins for the real model in unit tests: a fake embedder and the weights digest it goes by."""
from __future__ import annotations

import hashlib

import numpy as np


class FakeEmbedder:
    """Deterministic character-bigram hashing vectors: no model, no download."""

    name = "fake-embedder"
    dim = 64

    calls = 0  # encode calls, so tests can tell a cached build from a fresh one

    def encode(self, texts, prompt, progress=False):
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for a, b in zip(text, text[1:] + " "):
                h = int(hashlib.md5((a + b).encode()).hexdigest()[:8], 16)
                out[i, h % self.dim] += 1.0
            out[i] /= max(np.linalg.norm(out[i]), 1e-9)
        return out

    def queries(self, texts):
        return self.encode(texts, "query")

    def passages(self, texts):
        return self.encode(texts, "passage")


FAKE_WEIGHTS = "name:" + FakeEmbedder.name  # the weights digest of a model that is no folder
