"""Hybrid retrieval: dense (FAISS) and BM25 scores per fact, fused into ranked hits."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from bot.lexical import tokenize

YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_K1 = 1.5  # bm25s default, used for the score's upper bound


@dataclass(frozen=True)
class Hit:
    """One candidate fact with the scores that ranked it."""

    fact_id: str
    score: float       # the fused score that ranks hits (convex or RRF)
    confidence: float  # normalised convex score in [0, 1], used to decide
    dense: float       # best cosine over the fact's statement and question variants
    lexical: float     # BM25 score over its upper bound for this query, in [0, 1]


class Retriever:
    """Scores every fact for a normalised question; the fact base is small (a few hundred)."""

    def __init__(self, index, embedder, base, settings):
        self.index, self.embedder, self.settings = index, embedder, settings
        self.doc_ids = list(index.docs)
        self._pos = {fid: i for i, fid in enumerate(self.doc_ids)}
        self._row_doc = np.array([self._pos[r] for r in index.rows])
        self._years = [set(YEAR.findall(base.by_id(fid).text)) for fid in self.doc_ids]
        self._numbers = [set(re.findall(r"\d+(?:\.\d+)?", base.by_id(fid).text)) for fid in self.doc_ids]
        self._vocab = index.bm25.vocab_dict
        self._idf = self._idf_table()

    def _idf_table(self) -> dict[str, float]:
        """Document frequency per token, read back from the BM25 matrix (lucene idf)."""
        n = len(self.doc_ids)
        scores = self.index.bm25.scores
        indptr = np.asarray(scores["indptr"])
        df = np.diff(indptr)
        inv = {i: t for t, i in self._vocab.items()}
        self._max_idf = math.log(1 + (n + 0.5) / 0.5)
        return {inv[i]: math.log(1 + (n - d + 0.5) / (d + 0.5)) for i, d in enumerate(df) if i in inv}

    def dense_scores(self, vector: np.ndarray) -> np.ndarray:
        sims, rows = self.index.faiss.search(vector.reshape(1, -1), self.index.faiss.ntotal)
        best = np.full(len(self.doc_ids), -1.0, dtype=np.float32)
        np.maximum.at(best, self._row_doc[rows[0]], sims[0])
        return best

    def lexical_scores(self, question: str) -> np.ndarray:
        tokens = tokenize(question, self.settings.tokenizer)
        unique = list(dict.fromkeys(tokens))
        known = [t for t in unique if t in self._vocab]
        upper = sum(self._idf.get(t, self._max_idf) for t in unique) * (_K1 + 1)
        if not known or upper <= 0:
            return np.zeros(len(self.doc_ids), dtype=np.float32)
        raw = self.index.bm25.get_scores(known)
        return np.clip(raw / upper, 0.0, 1.0).astype(np.float32)

    def agreement(self, question: str) -> np.ndarray:
        """+1 per number of the question a fact states, -1 when the question names a
        year and the fact speaks only of other years."""
        years = set(YEAR.findall(question))
        numbers = set(re.findall(r"\d+(?:\.\d+)?", question))
        out = np.zeros(len(self.doc_ids), dtype=np.float32)
        for i in range(len(self.doc_ids)):
            out[i] += len(numbers & self._numbers[i])
            if years and self._years[i] and not years & self._years[i]:
                out[i] -= 1
        return out

    def search(self, question: str, vector: np.ndarray | None = None, k: int | None = None) -> list[Hit]:
        """The `k` (default: settings.top_k) best facts for a normalised question."""
        s = self.settings
        if vector is None:
            vector = self.embedder.queries([question])[0]
        dense = self.dense_scores(vector)
        lexical = self.lexical_scores(question)
        dense_norm = np.clip((dense - s.dense_floor) / (1 - s.dense_floor), 0, 1)
        convex = s.dense_weight * dense_norm + (1 - s.dense_weight) * lexical
        convex = np.clip(convex + s.number_bonus * self.agreement(question), 0, 1)
        fused = convex if s.fusion == "convex" else self._rrf(dense, lexical) + 1e-3 * convex
        order = np.argsort(-fused, kind="stable")[: k or s.top_k]
        return [Hit(self.doc_ids[i], float(fused[i]), float(convex[i]), float(dense[i]),
                    float(lexical[i])) for i in order]

    def _rrf(self, dense: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        k = self.settings.rrf_k
        fused = np.zeros(len(self.doc_ids), dtype=np.float64)
        for scores in (dense, lexical):
            ranks = np.empty(len(scores), dtype=np.int64)
            ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
            fused += 1.0 / (k + ranks)
        return fused
