"""What a question asks and what a fact states, as the numbers the verifier weighs.

`Features` holds, per fact, a profile computed at build time (`profile_facts`): its words,
bigrams, years, kinds of figure and which kinds of question it can answer. `question()`
reads a prepared question once (its words and their rarity, the names it uses, what it
asks, its similarity to every row); `pairs()` turns it and candidate facts into one row of
NAMES each. Training calls the same two functions with `leave_out` (the question's own rows
and words), so a question never vouches for itself.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from bot.knowledge.facts import squeeze
from bot.knowledge.lexicon import word_frequency
from bot.knowledge.numbers import numbers_in
from bot.pipeline.normalize import normalize
from bot.pipeline.text import (ASKS, COMMON_NAME, YEAR, Article, bigrams, figure_classes, idf, named_in, names_in,
                               neighbours, org_names_in, quoted_figures, read, sounds_in, states, syllables,
                               unit_of)

NAMES = (
    "dense", "dense_statement", "dense_gap", "dense_best", "negative_own", "negative_any",
    "dense_minus_negative", "answerable", "uncovered_text", "uncovered_doc", "uncovered_doc_max",
    "uncovered_noun_max", "uncovered_other_max", "which_named", "asks_about_stated",
    "bigram_doc", "unknown_max", "unknown_sum", "unknown_name", "unknown_org", "english",
    "length", "year_match", "year_mismatch", "unit_mismatch", "place_mismatch",
    *(f"asks_{k}" for k in ASKS), *(f"unmet_{k}" for k in ASKS),
)
# Asks that, about a figure the fact states (67项荣誉里…), want more than the figure: its parts.
_ASKS_FOR_MORE = frozenset({"count", "list", "detail", "breakdown", "person", "org", "where"})
COMPATIBLE = {"people": {"people"}, "money": {"money"}, "rate": {"rate"}, "household": set(),
              "date": {"date"}, "count": {"count", "people"}}


@dataclass
class FactProfile:
    """What one fact states (computed once at build, stored with the index)."""

    own: str                 # normalised statement + quote
    own_pinyin: str
    words: Counter           # words of the statement, quote and every way of asking it
    bigrams: Counter
    years: frozenset[str]
    numbers: frozenset[str]
    classes: frozenset[str]  # kinds of figure: people, money, rate, date, count
    states: frozenset[str]   # which ASKS it can answer
    rows: np.ndarray = field(default=None, repr=False)       # its dense rows
    statement_row: int = -1
    negatives: np.ndarray = field(default=None, repr=False)  # its not_answered rows

    def to_json(self) -> dict:
        return {"own": self.own, "own_pinyin": self.own_pinyin, "words": dict(self.words),
                "bigrams": dict(self.bigrams),
                "years": sorted(self.years), "numbers": sorted(self.numbers),
                "classes": sorted(self.classes), "states": sorted(self.states)}

    @classmethod
    def from_json(cls, d: dict) -> "FactProfile":
        # The pinyin is stored: computing it for every fact cost a sixth of a second at each start.
        return cls(d["own"], d["own_pinyin"], Counter(d["words"]), Counter(d["bigrams"]),
                   frozenset(d["years"]), frozenset(d["numbers"]), frozenset(d["classes"]),
                   frozenset(d["states"]))


def profile_facts(base) -> tuple[Article, dict[str, FactProfile]]:
    """The article's vocabulary and every fact's profile (build time: jieba over every text)."""
    article = Article.of(normalize(squeeze(base.article)), base.meta)
    profiles = {}
    for fact in base.facts:
        own = normalize(squeeze(fact.text + fact.quote_text))
        reading = read(own)
        words, grams = Counter(reading.words), Counter(bigrams(own))
        for q in fact.asked:
            text = normalize(q)
            words.update(read(text).words)
            grams.update(bigrams(text))
        profiles[fact.id] = FactProfile(
            own, syllables(own), words, grams, frozenset(YEAR.findall(own)), frozenset(numbers_in(own)),
            frozenset(figure_classes(normalize(fact.text))), frozenset(states(own, article)))
    return article, profiles


def unnamed_organisations(view: "QuestionView") -> list[str]:
    """The organisations a question names and the article never does, by a name that is neither
    a verb nor a common word (太钢集团, 同煤集团; not 加入工会, 觉得工会, 地方工会)."""
    tags = dict(view.reading.tokens) if view.reading is not None else {}
    return [o for o in view.unknown_orgs if not tags.get(o, "").startswith("v") and word_frequency(o) < COMMON_NAME]


@dataclass
class QuestionView:
    """One prepared question, read once for every candidate fact."""

    text: str
    words: list[str]
    weights: np.ndarray
    bigrams: set[str]
    years: frozenset[str]
    numbers: frozenset[str]
    figures: frozenset[str]       # numbers the question quotes with a unit (67项 → 67)
    unit: str | None
    places: tuple[str, ...]
    asks: frozenset[str]
    unknown: list[str]            # words neither the article nor any fact's questions use
    unknown_names: list[str]      # names (people, places, organisations) the article never uses
    unknown_orgs: list[str]       # of them, those named as an organisation (王庄煤矿 → 王庄)
    row_sims: np.ndarray
    negative_sims: np.ndarray
    answerable: float
    reading: object = None        # the jieba reading (bot.pipeline.text.Reading)
    leave_out: dict = field(default_factory=dict)


class Features:
    """Feature rows for (question, fact) pairs over one index."""

    def __init__(self, article: Article, profiles: dict[str, FactProfile], index, rows: np.ndarray,
                 answerable: tuple[np.ndarray, float] | None = None):
        self.article, self.profiles, self.rows = article, profiles, rows
        self.negatives = np.asarray(index.negatives, dtype=np.float32)
        self.answerable_model = answerable
        row_ids, owners = np.asarray(index.rows), np.asarray(index.negative_owners)
        self.vocab: Counter = Counter(article.words)
        for fid, p in profiles.items():
            p.rows = np.flatnonzero(row_ids == fid)
            p.statement_row = int(p.rows[0]) if len(p.rows) else -1
            p.negatives = np.flatnonzero(owners == fid)
            self.vocab.update(p.words)
        # Rows sorted by fact, for the best row of every fact in one numpy call.
        self._ids = [fid for fid, p in profiles.items() if len(p.rows)]
        self._order = np.concatenate([profiles[fid].rows for fid in self._ids])
        self._starts = np.cumsum([0] + [len(profiles[fid].rows) for fid in self._ids[:-1]])

    def question(self, text: str, vector: np.ndarray, leave_out: dict | None = None,
                 answerable: float | None = None, sims: tuple | None = None) -> QuestionView:
        """Read a prepared question. Training only: `leave_out` ({"rows", "negatives", "fact",
        "words", "bigrams"}) removes the question's own entries from what it is compared with,
        and `sims` gives its similarities to the rows and negatives, computed for many at once."""
        leave_out = leave_out or {}
        reading = read(text)
        if sims is not None:
            row_sims, negative_sims = sims
        else:
            row_sims = self.rows @ vector
            negative_sims = self.negatives @ vector if len(self.negatives) else np.zeros(0, np.float32)
        if len(leave_out.get("rows", ())):
            row_sims = row_sims.copy()
            row_sims[leave_out["rows"]] = -1.0
        if len(leave_out.get("negatives", ())):
            negative_sims = negative_sims.copy()
            negative_sims[leave_out["negatives"]] = -1.0
        own = leave_out.get("words", Counter())
        unknown = [w for w in reading.words if self.vocab[w] - own[w] <= 0 and not self.article.knows(w)]
        if answerable is None:
            answerable = self._answerable(vector)
        return QuestionView(
            text, reading.words, np.array([idf(w) for w in reading.words], dtype=np.float32),
            bigrams(text), frozenset(YEAR.findall(text)), frozenset(numbers_in(text)),
            frozenset(quoted_figures(text)), unit_of(text),
            tuple(p for p in self.article.places if p in text and p not in ("山西", "全省")),
            frozenset(k for k, rx in ASKS.items() if rx.search(text)), unknown,
            [n for n in names_in(reading) if not self.article.knows(n)],
            [n for n in org_names_in(reading) if not self.article.knows(n)], row_sims, negative_sims, answerable, reading, leave_out)

    def _answerable(self, vector: np.ndarray) -> float:
        """P(some fact answers this question), from its vector alone (out-of-scope learned from examples)."""
        if self.answerable_model is None:
            return 0.5
        weights, bias = self.answerable_model
        return float(1 / (1 + math.exp(-(float(vector @ weights) + bias))))

    def uncovered(self, qv: QuestionView, fact_id: str) -> list[str]:
        """The question's words that neither the fact nor any way of asking it uses."""
        p = self.profiles[fact_id]
        return [w for w in qv.words if not _stated(w, p, qv.text) and p.words[w] <= 0]

    def dense_by_fact(self, qv: QuestionView) -> dict[str, float]:
        """Every fact's best cosine over its rows (statement and ways of asking it)."""
        best = np.maximum.reduceat(qv.row_sims[self._order], self._starts)
        return dict(zip(self._ids, best.tolist()))

    def pairs(self, qv: QuestionView, fact_ids: list[str], dense: dict[str, float] | None = None) -> np.ndarray:
        """One feature row per candidate fact, in NAMES order."""
        dense = dense or self.dense_by_fact(qv)
        ranked = sorted(dense.values(), reverse=True)
        best = ranked[0] if ranked else 0.0
        neg_any = float(qv.negative_sims.max()) if len(qv.negative_sims) else 0.0
        unknown_idf = [idf(w) for w in qv.unknown]
        total = float(qv.weights.sum()) or 1.0
        english = len(re.findall(r"[a-z]{2,}", qv.text)) / max(1, len(qv.words))
        out = np.zeros((len(fact_ids), len(NAMES)), dtype=np.float32)
        for i, fid in enumerate(fact_ids):
            p = self.profiles[fid]
            d = dense[fid]
            others = ranked[1] if len(ranked) > 1 and d >= ranked[0] else best
            neg_own = float(qv.negative_sims[p.negatives].max()) if len(p.negatives) else 0.0
            mine = qv.leave_out.get("fact") == fid
            own_words = qv.leave_out.get("words", Counter()) if mine else Counter()
            own_bigrams = qv.leave_out.get("bigrams", Counter()) if mine else Counter()
            in_text = np.array([_stated(w, p, qv.text) for w in qv.words], dtype=bool)
            in_doc = np.array([t or p.words[w] - own_words[w] > 0 for w, t in zip(qv.words, in_text)], dtype=bool)
            uncovered = qv.weights[~in_doc]
            nouns = np.array([w in qv.reading.nouns for w in qv.words], dtype=bool)
            unc_nouns, unc_other = qv.weights[~in_doc & nouns], qv.weights[~in_doc & ~nouns]
            out[i] = [
                d, float(qv.row_sims[p.statement_row]) if p.statement_row >= 0 else d, d - others, best,
                neg_own, neg_any, d - max(neg_own, neg_any), qv.answerable,
                float(qv.weights[~in_text].sum()) / total, float(uncovered.sum()) / total,
                float(uncovered.max()) if len(uncovered) else 0.0,
                float(unc_nouns.max()) if len(unc_nouns) else 0.0,
                float(unc_other.max()) if len(unc_other) else 0.0,
                named_in(qv.reading.which, p.own) / 2 if qv.reading.which else 1.0,
                float(bool(qv.figures & p.numbers) and bool(qv.asks & _ASKS_FOR_MORE)),
                sum(p.bigrams[b] - own_bigrams[b] > 0 for b in qv.bigrams) / max(1, len(qv.bigrams)),
                max(unknown_idf, default=0.0), sum(unknown_idf), float(bool(qv.unknown_names)), float(bool(qv.unknown_orgs)),
                english, min(len(qv.text), 60) / 60,
                float(bool(qv.years) and qv.years <= p.years), float(bool(qv.years - p.years)),
                float(bool(qv.unit) and not COMPATIBLE[qv.unit] & p.classes),
                float(any(pl not in p.own for pl in qv.places)),
                *(float(k in qv.asks) for k in ASKS), *(float(k in qv.asks and k not in p.states) for k in ASKS),
            ]
        return out


def _stated(word: str, profile: FactProfile, text: str) -> bool:
    """Whether the fact's statement or quote uses a question's word, as written, as it sounds,
    or (a one-character word) with a neighbouring character of the question."""
    if word in profile.own or sounds_in(word, profile.own_pinyin):
        return True
    return any(w in profile.own or sounds_in(w, profile.own_pinyin) for w in neighbours(word, text))
