"""Hybrid retrieval: dense (FAISS) and BM25 scores per fact, fused into ranked hits."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from bot.knowledge.lexical import CJK, tokenize
from bot.knowledge.numbers import numbers_in

YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_LATIN_WORD = re.compile(r"[a-z]{2,}")


def chinese_share(text: str) -> float:
    """Share of the question's content that is Chinese (an English word counts as two characters)."""
    cjk = len(CJK.findall(text))
    words = len(_LATIN_WORD.findall(text))
    return cjk / (cjk + 2 * words) if cjk + words else 1.0


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
        self._numbers = [set(numbers_in(base.by_id(fid).text)) for fid in self.doc_ids]
        self._vocab = index.bm25.vocab_dict
        self._idf = self._idf_table()

    def _idf_table(self) -> dict[str, float]:
        """Lucene idf per token, from the document frequencies in the BM25 matrix."""
        n = len(self.doc_ids)
        scores = self.index.bm25.scores
        self._indptr, self._indices = np.asarray(scores["indptr"]), np.asarray(scores["indices"])
        df = np.diff(self._indptr)
        self._max_idf = math.log(1 + (n + 0.5) / 0.5)
        idf = np.log1p((n - df + 0.5) / (df + 0.5)).tolist()  # in one pass: a dict of math.log took 60 ms
        return {t: idf[i] for t, i in self._vocab.items() if t and i < len(idf)}

    def dense_scores(self, vector: np.ndarray) -> np.ndarray:
        sims, rows = self.index.faiss.search(vector.reshape(1, -1), self.index.faiss.ntotal)
        best = np.full(len(self.doc_ids), -1.0, dtype=np.float32)
        np.maximum.at(best, self._row_doc[rows[0]], sims[0])
        return best

    def lexical_scores(self, question: str) -> np.ndarray:
        """Per fact: the geometric mean of its BM25 score relative to the best fact, and the
        idf-weighted share of the question's tokens it contains (unknown tokens count fully)."""
        unique = list(dict.fromkeys(tokenize(question, self.settings.tokenizer)))
        known = [t for t in unique if t in self._idf]
        total = sum(self._idf.get(t, self._max_idf) for t in unique)
        if not known or total <= 0:
            return np.zeros(len(self.doc_ids), dtype=np.float32)
        raw = self.index.bm25.get_scores(known)
        coverage = np.zeros(len(self.doc_ids), dtype=np.float64)
        for t in known:
            col = self._vocab[t]
            coverage[self._indices[self._indptr[col]:self._indptr[col + 1]]] += self._idf[t]
        relative = raw / raw.max() if raw.max() > 0 else raw
        return np.sqrt(np.clip(relative, 0, 1) * (coverage / total)).astype(np.float32)

    def agreement(self, question: str) -> np.ndarray:
        """+1 per number of the question a fact states, -1 when the question names a
        year and the fact speaks only of other years."""
        years = set(YEAR.findall(question))
        numbers = set(numbers_in(question))
        out = np.zeros(len(self.doc_ids), dtype=np.float32)
        for i in range(len(self.doc_ids)):
            out[i] += len(numbers & self._numbers[i])
            if years and self._years[i] and not years & self._years[i]:
                out[i] -= 1
        return out

    def search(self, question: str, vector: np.ndarray, k: int | None = None) -> list[Hit]:
        """The `k` (default: settings.top_k) best facts for a normalised question and its vector."""
        s = self.settings
        dense = self.dense_scores(vector)
        lexical = self.lexical_scores(question)
        dense_norm = np.clip((dense - s.dense_floor) / (1 - s.dense_floor), 0, 1)
        # BM25 only speaks for the Chinese part of a question: an English question gets
        # its confidence from the (multilingual) dense score alone.
        w_lex = (1 - s.dense_weight) * chinese_share(question)
        convex = (s.dense_weight * dense_norm + w_lex * lexical) / (s.dense_weight + w_lex)
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
