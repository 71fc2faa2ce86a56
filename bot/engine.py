"""The one answer function every front end uses: normalise → retrieve → decide → compose."""
from __future__ import annotations

import functools
import logging
import time
from dataclasses import asdict, dataclass, field

from bot import index as index_mod
from bot import lexicon
from bot.compose import Reply, compose
from bot.decide import Decision, classify, clauses, decide
from bot.embedder import Embedder, weights_fingerprint
from bot.errors import IndexStateError
from bot.facts import FactBase, load_facts
from bot.normalize import clean, expand_english, normalize, strip_noise
from bot.retrieve import Retriever
from bot.scope import Scope

logger = logging.getLogger(__name__)
# Answered once at load: jieba's and pypinyin's dictionaries load lazily.
WARM_UP = "2012年山西省总工会有多少会员？"


@dataclass(frozen=True)
class FactRef:
    id: str
    score: float


@dataclass(frozen=True)
class Answer:
    """The result of one question, as the CLI prints it with --json."""

    question: str
    answer: str
    abstained: bool
    facts: tuple[FactRef, ...]
    latency_ms: float
    kind: str = ""
    reason: str = ""
    html: str = field(default="", repr=False)  # the same reply as Telegram HTML

    def to_json(self) -> dict:
        d = asdict(self)
        d["facts"] = [asdict(f) for f in self.facts]
        del d["html"]
        return d


class Engine:
    """Facts, model and index, loaded once; `answer()` is safe to call from threads."""

    def __init__(self, settings, base: FactBase, embedder: Embedder, index):
        self.settings, self.base, self.embedder, self.index = settings, base, embedder, index
        self.retriever = Retriever(index, embedder, base, settings)
        self.scope = Scope(base)
        # Replies per normalised question: a repeat (also in the other script, or with other
        # spacing or case) is answered without encoding. A reload builds a new Engine, so a
        # cached reply never outlives the facts it came from.
        self._reply_prepared = functools.lru_cache(maxsize=settings.cache_size)(self._reply_uncached)

    @classmethod
    def load(cls, settings, embedder: Embedder | None = None, rebuild: bool = False) -> "Engine":
        """Load facts, model and index; on a stale index rebuild (per settings, or when
        `rebuild`) or fail."""
        base = load_facts(settings.facts_dir)
        embedder = embedder or Embedder.from_settings(settings)
        weights = weights_fingerprint(settings.model, settings.backend)
        expected = index_mod.expected_manifest(base.digest, settings.model, weights, settings)
        try:
            idx = index_mod.load(settings.index_dir, expected, embedder.dim)
        except IndexStateError as exc:
            if settings.on_stale != "rebuild" and not rebuild:
                raise
            logger.warning("%s; rebuilding", exc)
            index_mod.build(base, embedder, settings, weights, progress=False)
            idx = index_mod.load(settings.index_dir, expected, embedder.dim)
        lexicon.install(settings.index_dir / lexicon.CACHE)
        engine = cls(settings, base, embedder, idx)
        engine._reply_uncached(engine.prepare(WARM_UP))  # load the lazy dictionaries now, not on a user's time
        return engine

    def prepare(self, question: str) -> str:
        """The normalised, length-capped text that retrieval sees, with the Chinese
        terms of any English words appended."""
        limit = self.settings.max_question_chars
        text = normalize(strip_noise(clean(question)[: limit * 4]))[:limit]
        return expand_english(text, self.base.glossary)

    def candidates(self, text: str) -> tuple[list, list]:
        """Ranked hits for a prepared question, and per clause when it asks several things."""
        hits = self.retriever.search(text)
        parts = clauses(text)
        return hits, ([(p, self.retriever.search(p)) for p in parts] if len(parts) > 1 else [])

    def reply(self, question: str) -> tuple[Reply, Decision]:
        return self._reply_prepared(self.prepare(question))

    def cache_info(self):
        """Hits, misses and size of the reply cache (functools.lru_cache statistics)."""
        return self._reply_prepared.cache_info()

    def _reply_uncached(self, text: str) -> tuple[Reply, Decision]:
        if classify(text):
            decision = decide(text, [], self.base, self.settings, self.scope)
            return compose(decision, self.base), decision
        hits, parts = self.candidates(text)
        decision = decide(text, hits, self.base, self.settings, self.scope, parts)
        return compose(decision, self.base, Decision("nearby", tuple(hits[:3]))), decision

    def answer(self, question: str) -> Answer:
        """Answer one question; never raises for any input string."""
        t0 = time.perf_counter()
        reply, decision = self.reply(question)
        ms = (time.perf_counter() - t0) * 1000
        facts = tuple(FactRef(h.fact_id, round(h.confidence, 4)) for h in decision.hits) if not reply.abstained else ()
        top = decision.hits[0] if decision.hits else None
        logger.debug("decision=%s reason=%s top=%s score=%s latency_ms=%.1f", reply.kind, decision.reason,
                    top.fact_id if top else "-", f"{top.confidence:.3f}" if top else "-", ms)
        return Answer(question, reply.text, reply.abstained, facts, round(ms, 1), reply.kind,
                      decision.reason, reply.html)
