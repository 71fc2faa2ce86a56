"""The verifier's training pairs, drawn from facts/ alone, and its fit (build path only).

Positives: every way of asking a fact (curated questions and variants) paired with that fact.
Negatives: the same questions paired with the other facts retrieval puts near them, and every
question the article does not answer (a fact's `not_answered`, facts/out-of-scope.yaml) paired
with its nearest facts. Each question is read with its own rows and words left out, so it
never vouches for itself; folds keep all of one question's pairs together, and the reported
quality is measured on folds the model was not fitted on.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from bot.build import adapter
from bot.knowledge.facts import states_all
from bot.pipeline.adapt import adapt
from bot.pipeline.features import NAMES, Features, profile_facts
from bot.pipeline.normalize import normalize
from bot.pipeline.text import bigrams, read
from bot.pipeline.verify import VERSION, Model

logger = logging.getLogger(__name__)
CANDIDATES = 6   # nearest facts per training question, as retrieval would offer them
# A near-miss paired with the fact it was written against is the lesson the verifier most
# needs (every word matches, the fact still does not say it): such pairs weigh this much more.
NEAR_MISS_WEIGHT = 2.0
FOLDS = 5
SEED = 20130701
# Gradient-boosted trees over the pair features (LightGBM, deterministic on one thread),
# chosen over a small MLP and a logistic regression by the dev-set evaluation (README).
# Features a fact's probability may only rise with (+1) or only fall with (-1): the trees may
# not learn, from a handful of pairs, that naming an unknown organisation makes a fact fit better.
RISING = {"dense", "dense_statement", "dense_gap", "dense_minus_negative", "answerable", "bigram_doc",
          "year_match", "which_named"}
FALLING = {"negative_own", "negative_any", "uncovered_doc", "uncovered_doc_max", "uncovered_noun_max",
           "unknown_max", "unknown_sum", "unknown_name", "unknown_org", "asks_about_stated", "year_mismatch", "unit_mismatch", "place_mismatch",
           *(n for n in NAMES if n.startswith("unmet_"))}
BOOSTING = dict(n_estimators=300, learning_rate=0.05, num_leaves=15, reg_lambda=1.0, min_child_samples=20,
                monotone_constraints=[1 if n in RISING else -1 if n in FALLING else 0 for n in NAMES],
                monotone_constraints_method="advanced", deterministic=True, force_row_wise=True,
                num_threads=1, verbose=-1, random_state=SEED)
# n_estimators is the most: a small fact set (such as the tests' few files) gets about one
# round per PAIRS_PER_ROUND training pairs, at least MIN_ROUNDS, so it trains in a fraction of
# the time; the article's ~54000 pairs keep all 300 (any set of 30000 pairs or more does).
PAIRS_PER_ROUND = 100
MIN_ROUNDS = 50


def boosting(pairs: int) -> dict:
    """The LightGBM parameters for a training set of `pairs` pairs."""
    return BOOSTING | {"n_estimators": min(BOOSTING["n_estimators"], max(MIN_ROUNDS, pairs // PAIRS_PER_ROUND))}


@dataclass(frozen=True)
class Pairs:
    X: np.ndarray            # one feature row per (question, fact)
    y: np.ndarray            # 1: the fact states what is asked
    group: np.ndarray        # the question each row belongs to
    answerable: np.ndarray   # per question: does some fact answer it
    questions: list[str]
    kinds: list[str]         # per question: style of a variant, or near-miss / general
    weight: np.ndarray | None = None  # per pair: NEAR_MISS_WEIGHT for a near-miss and its own fact
    fact_ids: list[str] | None = None  # per pair: the candidate fact


def fold_of(text: str, k: int = FOLDS) -> int:
    """A question's fold, from a hash of its text: stable whatever the order of the facts."""
    return int(hashlib.sha256(f"{SEED}:{text}".encode()).hexdigest()[:8], 16) % k


def questions(base, index, rows: np.ndarray, negatives: np.ndarray) -> list[tuple]:
    """(normalised text, vector, gold fact id or None, kind, leave_out) for every training question."""
    texts, neg_texts = list(index.texts), list(index.negative_texts)
    same = {}
    for i, t in enumerate(texts):
        same.setdefault(t, []).append(i)
    out = []
    for fact in base.facts:
        styles = ["curated"] * len(fact.questions) + [s for s, _ in fact.variants]
        for style, q in zip(styles, fact.asked):
            text = normalize(q)
            leave = {"rows": np.array(same[text]), "fact": fact.id,
                     "words": Counter(read(text).words), "bigrams": Counter(bigrams(text))}
            out.append((text, rows[same[text][0]], fact.id, style, leave))
    same_neg = {}
    for i, t in enumerate(neg_texts):
        same_neg.setdefault(t, []).append(i)
    for i, (owner, text) in enumerate(zip(index.negative_owners, neg_texts)):
        out.append((text, negatives[i], None, "near-miss" if owner else "general",
                    {"negatives": np.array(same_neg[text]), "owner": owner}))
    return out


def answerable_model(vectors: np.ndarray, answerable: np.ndarray) -> tuple[np.ndarray, float]:
    """Logistic regression on a question's vector: does some fact answer it?"""
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=1.0, max_iter=3000).fit(vectors, answerable.astype(int))
    return m.coef_[0].astype(np.float32), float(m.intercept_[0])


def _probability(model: tuple[np.ndarray, float], vectors: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(vectors @ model[0] + model[1])))


def build_pairs(base, features: Features, qs: list[tuple], answerable: np.ndarray) -> Pairs:
    """Every training pair with its label (`answerable`: each question's out-of-fold probability)."""
    X, y, group, kinds, texts, weight, fact_ids = [], [], [], [], [], [], []
    vectors = np.stack([q[1] for q in qs]) if qs else np.zeros((0, features.rows.shape[1]), np.float32)
    row_sims, negative_sims = vectors @ features.rows.T, vectors @ features.negatives.T  # one product for all
    for n, ((text, vector, gold, kind, leave), p_ans) in enumerate(zip(qs, answerable)):
        qv = features.question(text, vector, leave, answerable=float(p_ans), sims=(row_sims[n], negative_sims[n]))
        dense = features.dense_by_fact(qv)
        ids = sorted(dense, key=lambda f: -dense[f])[:CANDIDATES]
        labels = [_label(base, fid, gold) for fid in ids]
        keep = [i for i, lab in enumerate(labels) if lab >= 0]
        X.append(features.pairs(qv, [ids[i] for i in keep], dense))
        y += [labels[i] for i in keep]
        weight += [NEAR_MISS_WEIGHT if ids[i] == leave.get("owner") else 1.0 for i in keep]
        fact_ids += [ids[i] for i in keep]
        group += [n] * len(keep)
        kinds.append(kind)
        texts.append(text)
    return Pairs(np.concatenate(X), np.asarray(y, dtype=np.int8), np.asarray(group),
                 np.array([q[2] is not None for q in qs]), texts, kinds, np.asarray(weight), fact_ids)


def _label(base, fid: str, gold: str | None) -> int:
    """1 if the fact answers a question asked of `gold`, 0 if not, -1 for a part of what is
    asked (neither right nor wrong: left out of training)."""
    if gold is None:
        return 0
    year = base.meta.year
    if fid == gold or states_all(base.by_id(fid), base.by_id(gold), year):
        return 1
    return -1 if states_all(base.by_id(gold), base.by_id(fid), year) else 0


def _fit(X: np.ndarray, y: np.ndarray, weight: np.ndarray | None, params: dict):
    import lightgbm

    return lightgbm.LGBMClassifier(**params).fit(X.astype(np.float32), y, sample_weight=weight)


def to_onnx(model) -> bytes:
    """The fitted trees as an ONNX graph (TreeEnsembleClassifier), which serving runs in
    ONNX Runtime: the library that runs the encoder, so serving needs nothing more."""
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType

    graph = convert_lightgbm(model, initial_types=[("X", FloatTensorType([None, len(NAMES)]))],
                             zipmap=False, target_opset=15)
    return graph.SerializeToString()


def held_out(pairs: Pairs) -> dict:
    """Quality on folds the model was not fitted on: pair AUC, calibration error, and per
    threshold the share of answerable questions answered right and of the rest refused."""
    from sklearn.metrics import roc_auc_score

    params = boosting(len(pairs.y))  # as the final model's: the quality reported is of its kind
    fold = np.array([fold_of(t) for t in pairs.questions])[pairs.group]
    oof = np.zeros(len(pairs.y))
    for k in range(FOLDS):
        model = _fit(pairs.X[fold != k], pairs.y[fold != k], pairs.weight[fold != k], params)
        oof[fold == k] = model.predict_proba(pairs.X[fold == k].astype(np.float32))[:, 1]
    best = np.zeros(len(pairs.questions))
    right = np.zeros(len(pairs.questions), dtype=bool)
    for g in range(len(pairs.questions)):
        sel = np.flatnonzero(pairs.group == g)
        if len(sel):
            top = sel[np.argmax(oof[sel])]
            best[g], right[g] = oof[top], pairs.y[top] == 1
    bins = np.minimum((oof * 10).astype(int), 9)
    ece = sum(abs(oof[bins == b].mean() - pairs.y[bins == b].mean()) * (bins == b).sum()
              for b in range(10) if (bins == b).any()) / len(oof)
    ans, kinds = pairs.answerable, np.array(pairs.kinds)
    table = {}
    for tau in (0.3, 0.4, 0.5, 0.6, 0.7):
        row = {"answered_right": round(float((right & (best >= tau))[ans].mean()), 4),
               "refused": round(float((best < tau)[~ans].mean()), 4)}
        for kind in sorted(set(pairs.kinds)):
            sel = kinds == kind
            row[kind] = round(float(((right & (best >= tau)) if ans[sel].all() else (best < tau))[sel].mean()), 4)
        table[str(tau)] = row
    return {"pair_auc": round(float(roc_auc_score(pairs.y, oof)), 4), "calibration_error": round(float(ece), 4),
            "by_threshold": table}


def train(base, index, rows: np.ndarray, negatives: np.ndarray) -> tuple[Model, dict]:
    """Fit the adapter and the verifier on `base`'s questions, from the raw e5 vectors of the
    index rows and negatives. Every training pair is read with the adapter and answerability
    model of the folds its question is not in, and the report is measured on held-out folds."""
    t0 = time.perf_counter()
    article, profiles = profile_facts(base)
    qs = questions(base, index, rows, negatives)
    row_facts, neg_facts = np.asarray(index.rows), np.asarray(index.negative_owners)
    row_fold = np.array([fold_of(t) for t in index.texts])
    neg_fold = np.array([fold_of(t) for t in index.negative_texts])
    q_fold = np.array([fold_of(q[0]) for q in qs])
    answerable = np.array([q[2] is not None for q in qs])
    parts = []
    for k in range(FOLDS):
        W = adapter.fit(rows[row_fold != k], row_facts[row_fold != k], negatives[neg_fold != k],
                        neg_facts[neg_fold != k], seed=k)
        qv = adapt(W, np.stack([q[1] for q in qs]))
        p_answerable = _probability(answerable_model(qv[q_fold != k], answerable[q_fold != k]), qv[q_fold == k])
        mine = np.flatnonzero(q_fold == k)
        features = Features(article, profiles, dataclasses.replace(index, negatives=adapt(W, negatives)), adapt(W, rows))
        fold_qs = [(qs[i][0], qv[i], *qs[i][2:]) for i in mine]
        parts.append((mine, build_pairs(base, features, fold_qs, p_answerable)))
    pairs = Pairs(np.concatenate([p.X for _, p in parts]), np.concatenate([p.y for _, p in parts]),
                  np.concatenate([mine[p.group] for mine, p in parts]), answerable,
                  [q[0] for q in qs], [q[3] for q in qs], np.concatenate([p.weight for _, p in parts]))
    report = held_out(pairs)
    W = adapter.fit(rows, row_facts, negatives, neg_facts, seed=FOLDS)
    params = boosting(len(pairs.y))
    model = Model(article, profiles, answerable_model(adapt(W, np.stack([q[1] for q in qs])), answerable),
                  to_onnx(_fit(pairs.X, pairs.y, pairs.weight, params)), W)
    report |= {"version": VERSION, "features": list(NAMES), "model": "lightgbm", "boosting": {
                   k: v for k, v in params.items() if k not in ("verbose", "num_threads", "monotone_constraints")},
               "adapter": {"steps": adapter.STEPS, "penalty": adapter.PENALTY, "temperature": adapter.TEMPERATURE,
                           "distance_from_identity": round(float(np.abs(W - np.eye(len(W))).mean()), 5)},
               "questions": {"answerable": int(answerable.sum()), "not_answerable": int((~answerable).sum())},
               "pairs": int(len(pairs.y)), "positive_pairs": int(pairs.y.sum()), "folds": FOLDS,
               "near_miss_weight": NEAR_MISS_WEIGHT,
               "seconds": round(time.perf_counter() - t0, 1)}
    logger.info("verifier trained in %.1fs: held-out pair AUC %.3f", report["seconds"], report["pair_auc"])
    return model, report
