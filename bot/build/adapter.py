"""Fitting the adapter: a linear map of the frozen e5 vectors, trained so that the ways of
asking one fact gather together and its near-misses move away (build path only: torch).

The objective is InfoNCE over batches of (question, another question or the statement of the
same fact), with the fact's near-misses as hard negatives and the other facts in the batch as
negatives; a penalty on the distance from the identity keeps the map close to e5. Training is
seeded and single-threaded, so the same vectors give the same map.
"""
from __future__ import annotations

import numpy as np

STEPS = 500        # at most; fewer for a small fact set (EPOCHS passes over its rows)
EPOCHS = 22       # 22 passes reach the 500 steps for the article's ~5900 rows
BATCH = 256
TEMPERATURE = 0.05
PENALTY = 0.01      # λ · ‖W − I‖²: chosen with the dev-set evaluation (README "Evaluation")
LEARNING_RATE = 1e-3


def fit(rows: np.ndarray, row_facts: np.ndarray, negatives: np.ndarray, negative_facts: np.ndarray,
        seed: int = 0) -> np.ndarray:
    """The adapter matrix W (dim × dim); a vector v maps to W v, normalised."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: the same sums in the same order, so the same map
    try:
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        siblings = _Groups(row_facts)
        misses = _Groups(negative_facts)
        R, N = torch.from_numpy(np.ascontiguousarray(rows)), torch.from_numpy(np.ascontiguousarray(negatives))
        eye = torch.eye(R.shape[1])
        W = torch.nn.Parameter(eye.clone())
        opt = torch.optim.Adam([W], lr=LEARNING_RATE)
        batch = min(BATCH, len(rows))
        not_self = ~torch.eye(batch, dtype=torch.bool)
        for _ in range(min(STEPS, max(50, EPOCHS * len(rows) // batch))):
            a = rng.choice(len(rows), batch, replace=False)
            p = siblings.other(a, rng)
            hard = misses.any_of(row_facts[a], rng)
            anchors = torch.nn.functional.normalize(R[a] @ W.T, dim=1)
            pool = torch.nn.functional.normalize(torch.cat([R[p], N[hard]]) @ W.T, dim=1)
            logits = anchors @ pool.T / TEMPERATURE
            same = torch.from_numpy(row_facts[a][:, None] == row_facts[p][None, :]) & not_self
            logits[:, :batch] = logits[:, :batch].masked_fill(same, -1e9)  # siblings are not negatives
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(batch)) + PENALTY * ((W - eye) ** 2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        return W.detach().numpy().astype(np.float32)
    finally:
        torch.set_num_threads(threads)


class _Groups:
    """Rows grouped by fact, for drawing another row of the same fact in one numpy call."""

    def __init__(self, facts: np.ndarray):
        order = np.argsort(facts, kind="stable")
        names, starts, counts = np.unique(facts[order], return_index=True, return_counts=True)
        self.order = order
        where = {f: i for i, f in enumerate(names)}
        self._start = {f: starts[i] for f, i in where.items()}
        self._count = {f: counts[i] for f, i in where.items()}
        self._position = np.empty(len(facts), dtype=np.int64)
        self._position[order] = np.arange(len(facts)) - np.repeat(starts, counts)
        self.facts = facts

    def other(self, rows: np.ndarray, rng) -> np.ndarray:
        """For each row, another row of its fact (itself when the fact has only one)."""
        start = np.array([self._start[f] for f in self.facts[rows]])
        count = np.array([self._count[f] for f in self.facts[rows]])
        shift = np.where(count > 1, rng.integers(1, np.maximum(count, 2)), 0)
        return self.order[start + (self._position[rows] + shift) % count]

    def any_of(self, facts: np.ndarray, rng) -> np.ndarray:
        """A random row of each fact that has rows (facts without any are skipped)."""
        has = [f for f in facts if f in self._count]
        start = np.array([self._start[f] for f in has], dtype=np.int64)
        count = np.array([self._count[f] for f in has], dtype=np.int64)
        return self.order[start + rng.integers(0, count)] if has else np.zeros(0, dtype=np.int64)
