"""The one answer function every front end uses:
normalise → encode → retrieve → verify → decide → compose, each stage timed."""
from __future__ import annotations

import dataclasses
import functools
import logging
import re
import time

from bot.knowledge.facts import FactBase, states_all
from bot.pipeline import resources
from bot.pipeline.adapt import adapt
from bot.pipeline.arithmetic import compute, operation
from bot.pipeline.compose import Reply, compose
from bot.pipeline.context import LEANS, MAY_LEAN, PRIORITY, SHAPED, STANDS, Conversations, is_followup, readings
from bot.pipeline.decide import ABSTAIN, ANSWER, Decision, Part, classify, decide
from bot.pipeline.effects import effect_readings
from bot.pipeline.features import unnamed_organisations
from bot.pipeline.lookup import figures_asked, stating
from bot.pipeline.normalize import clean, expand_everyday, expand_english, normalize, strip_noise, strip_preamble
from bot.pipeline.parts import items, year_than
from bot.pipeline.parts import parts as split_parts
from bot.pipeline.results import STAGES, Answer, Clock, Examined, FactRef
from bot.pipeline.retrieve import Hit, Retriever
from bot.pipeline.scope import (Scope, other_kind_of_figure, other_months, several_years, unlisted_items,
                                 unstated_detail, within_a_total)
from bot.pipeline.spelling import Speller
from bot.pipeline.text import places
from bot.pipeline.verify import Verdict, Verifier

logger = logging.getLogger(__name__)
_REASONS = frozenset({"effect"})  # why and how are read off words too loosely (确定为什么年) to reorder by
# How many times something was held (搞了几回, 开了多少次), and how a fact counts times (26场, 3次).
_ASKS_TIMES = re.compile(r"(?<!第)(多少|几)(次|回|场|届|趟)")  # not 第几届: which one
_STATES_TIMES = re.compile(r"(\d+|[一二两三四五六七八九十]+)(次|回|场|届)")
# What something was called before (以前叫啥, 前身), and how a fact states a change (从“A”进入“B”).
_ASKS_BEFORE = re.compile(r"(以前|原来|之前|过去|原先|早先)(叫|是)|前身")
_STATES_CHANGE = re.compile(r"从[^，。]{1,20}(进入|变为|变成|改为|改成|转为|升级为)")
# Answered once at load: jieba's and pypinyin's dictionaries load lazily.


class Engine:
    """Facts, model, index and verifier, loaded once; `answer()` is safe to call from threads."""

    def __init__(self, settings, base: FactBase, embedder, index, verifier: Verifier,
                 conversations: Conversations | None = None):
        self.settings, self.base, self.embedder, self.index = settings, base, embedder, index
        # Kept across reloads: a reloaded engine is given the old one's conversations.
        self.conversations = conversations or Conversations(
            settings.context_minutes, settings.context_followups, settings.context_chats)
        meta = base.meta
        # An organisation is also named without its 公司/集团 (太原公交 for 太原公交公司).
        stems = tuple(s for s in (re.sub(r"(集团公司|集团|公司)$", "", o) for o in meta.organizations)
                      if len(s) >= 4 and s not in meta.organizations)
        self._names = {"people": meta.people, "organizations": meta.organizations + stems,
                       "places": meta.places + places()}
        self.retriever = Retriever(index, embedder, base, settings)
        self.verifier = verifier
        self.speller = Speller.of(verifier.model.article)
        # The article as the index stored it, normalised at build time (normalising it here would
        # import cn2an, a quarter of a second, for the few questions that write numbers in Chinese).
        self.scope = Scope(verifier.model.article.text, base.meta.year, base.meta.places, base.meta.organizations,
                           base.meta.people)
        # Replies per normalised question: a repeat (also in the other script, or with other
        # spacing or case) is answered without encoding. A reload builds a new Engine, so a
        # cached reply never outlives the facts it came from.
        self._reply_prepared = functools.lru_cache(maxsize=settings.cache_size)(self._reply_uncached)

    @classmethod
    def load(cls, settings, embedder=None, rebuild: bool = False, builder=None,
             conversations: Conversations | None = None) -> "Engine":
        """Load facts, model, index and verifier; on a stale index rebuild (per settings, or
        when `rebuild`) or fail. `builder(settings)` rebuilds; by default `python -m bot
        index` in a child process, so that the build libraries (sentence-transformers,
        scikit-learn, LightGBM) never load into a serving process."""
        base, embedder, idx, verifier = resources.load(settings, embedder, rebuild, builder)
        engine = cls(settings, base, embedder, idx, verifier, conversations)
        for example in base.meta.examples[:1]:  # load the lazy dictionaries now, not on a user's time
            engine._reply_uncached(engine.prepare(example))
        return engine

    def prepare(self, question: str) -> str:
        """The normalised, length-capped text that retrieval sees: homophone typos of the
        article's words respelled, and the article's terms for any English words and everyday
        Chinese expressions (facts/glossary.yaml) appended."""
        return self.expand(self.read_as_written(question))

    def read_as_written(self, question: str) -> str:
        """The normalised, length-capped, respelled question, before any term is appended: what a
        conversation keeps and rewrites (appended terms would be read as part of the subject)."""
        limit = self.settings.max_question_chars
        return self.speller(strip_preamble(normalize(strip_noise(clean(question)[: limit * 4])))[:limit])

    def expand(self, text: str) -> str:
        """`text` with the article's terms appended for its English words and everyday expressions."""
        return expand_everyday(expand_english(text, self.base.glossary), self.base.glossary)

    def vector(self, text: str):
        """A prepared text's e5 vector, mapped by the learned adapter as the index rows are."""
        return adapt(self.verifier.model.adapter, self.embedder.queries([text])[0])

    def examine(self, text: str, clock: Clock | None = None) -> tuple[Part, object]:
        """Retrieve and verify one prepared text: its Part, and the verifier's reading of it."""
        clock = clock or Clock()
        vector = self.vector(text)
        clock.lap("encode")
        hits = tuple(self.retriever.search(text, vector))
        clock.lap("retrieve")
        reading = self.verifier.read(text, vector)
        verdicts = tuple(Verdict(v.fact_id, 0.0) if self._cannot_state(text, self.base.by_id(v.fact_id).text) else v
                         for v in self.verifier.score(reading, [h.fact_id for h in hits]))
        clock.lap("verify")
        return Part(text, hits, verdicts, self._stating_what_is_asked(reading, verdicts)), reading

    def _stating_what_is_asked(self, reading, verdicts: tuple) -> frozenset[str]:
        """For an effect question (效果怎么样), the candidates that state an effect; for how many
        times (搞了几回), those that count times (26场); for what it was before (以前叫啥), those that
        state a change (从“井口接待站”进入…): the decision takes them first among the accepted ones.
        No fact is accepted or refused by this, and every probability stays the verifier's."""
        asked = reading.asks & _REASONS
        profiles = self.verifier.model.profiles
        wanted = [rx for ask, rx in ((_ASKS_TIMES, _STATES_TIMES), (_ASKS_BEFORE, _STATES_CHANGE))
                  if ask.search(reading.text)]
        return frozenset(v.fact_id for v in verdicts if asked & profiles[v.fact_id].states
                         or any(rx.search(self.base.by_id(v.fact_id).text) for rx in wanted))

    def _cannot_state(self, text: str, fact_text: str) -> bool:
        """Facts about a fact that no score overrules (bot/pipeline/scope.py): the fact does not give
        the month, year, place, kind of figure, items, words, person or organisation asked."""
        scope = self.scope
        return (other_months(text, fact_text) or other_kind_of_figure(text, fact_text)
                or scope.other_level_of_place(text, fact_text) or scope.other_province(text, fact_text)
                or scope.other_place(text, fact_text) or scope.other_relative_year(text, fact_text)
                or scope.no_venue(text, fact_text) or unlisted_items(text, fact_text)
                or unstated_detail(text, fact_text) or scope.unnamed_person(text, fact_text)
                or scope.unnamed_organisation(text, fact_text) or scope.other_level(text, fact_text)
                or several_years(text, fact_text) or within_a_total(text, fact_text))

    def reply(self, question: str) -> tuple[Reply, Decision, dict]:
        clock = Clock()
        text = self.prepare(question)
        clock.lap("normalize")
        hits = self._reply_prepared.cache_info().hits
        reply, decision, timings = self._reply_prepared(text)
        if self._reply_prepared.cache_info().hits > hits:  # a repeat: no stage ran
            clock.lap("cache")
            timings = {"cache": clock.ms["cache"]}
        return reply, decision, {"normalize": clock.ms["normalize"], **timings}

    def cache_info(self):
        """Hits, misses and size of the reply cache (functools.lru_cache statistics)."""
        return self._reply_prepared.cache_info()

    def _reply_uncached(self, text: str) -> tuple[Reply, Decision, dict]:
        clock = Clock()
        kind = classify(text)
        if kind:
            decision = Decision(kind, reason=kind)
            clock.lap("decide")
        else:
            examined = self.examine_all(text, clock)
            decision = self.decision(examined)
            clock.lap("decide")
        reply = compose(decision, self.base, examined.whole.hits if not kind else ())
        clock.lap("compose")
        return reply, decision, clock.ms

    def examine_all(self, text: str, clock: Clock | None = None) -> "Examined":
        """Everything the decision needs about a real question: its scope, and the verified
        candidates of the whole and of each separately asked part."""
        clock = clock or Clock()
        out_of_scope = self.scope.unknown(text)
        if out_of_scope:
            return Examined(Part(text, (), ()), (), None, out_of_scope)
        figures = figures_asked(text)
        facts = stating(figures, self.base.facts) if figures else []
        if facts:  # the question is an article figure: the facts that state it, found exactly
            hits = tuple(Hit(f.id, 1.0, 1.0, 1.0, 1.0) for f in facts[:2])
            return Examined(Part(text, hits, tuple(Verdict(f.id, 1.0) for f in facts[:2])), (), None, "")
        whole, reading = self.examine(text, clock)
        unnamed = unnamed_organisations(reading)
        if unnamed:  # 太钢集团工会今年搞了哪些活动: no fact of the article is about 太钢
            return Examined(whole, (), reading, f"org:{unnamed[0]}")
        parts = tuple(self.examine(p, clock)[0] for p in split_parts(text, self.scope.article))
        if not parts and not self._accepts(whole):
            # 2011年…比2010年多多少, which no fact states whole: each year asked on its own. A
            # comparison needs both sides: with one year unstated, no part answers it.
            years = tuple(self.examine(p, clock)[0] for p in year_than(text))
            if all(map(self._accepts, years)):
                parts = years
        return Examined(whole, parts, reading, "")

    def _accepts(self, part: Part) -> bool:
        """Whether the verifier accepts any candidate of the part."""
        return any(v.p >= self.settings.min_verified for v in part.verdicts)

    def decision(self, examined: "Examined", settings=None) -> Decision:
        """The decision for an examined question (`settings` to try other thresholds)."""
        decision = decide(examined.whole, list(examined.parts), settings or self.settings, examined.out_of_scope)
        decision = self._without_repeats(decision)
        if decision.kind == ANSWER and operation(examined.whole.text):
            decision = dataclasses.replace(decision, computation=self._compute(examined.whole.text, decision))
        if decision.kind == ABSTAIN and examined.reading is not None and examined.whole.verdicts:
            top = max(examined.whole.verdicts, key=lambda v: v.p)
            subject, missing = self.verifier.gap(examined.reading, top.fact_id)
            named = examined.out_of_scope.startswith("org:")
            unknown = examined.out_of_scope[4:] if named else self.verifier.unknown_name(examined.reading)
            decision = dataclasses.replace(decision, subject=subject, missing=missing, unknown=unknown)
        return decision

    def _compute(self, text: str, decision: Decision):
        """The comparison, total or difference a question asks for, over the cited facts: each
        compared item takes the cited fact that names it best."""
        facts = [self.base.by_id(h.fact_id).text for h in decision.hits]
        labels = items(text)
        if not labels:
            return None
        chosen = [max(facts, key=lambda f, lab=label: sum(ch in f for ch in lab) + 5 * (lab in f)) for label in labels]
        return compute(text, list(zip(labels, chosen)))

    def _without_repeats(self, decision: Decision) -> Decision:
        """Drop a cited fact that another cited fact already states in full."""
        if len(decision.hits) < 2:
            return decision
        facts = [self.base.by_id(h.fact_id) for h in decision.hits]
        keep = [i for i, f in enumerate(facts)
                if not any(j != i and states_all(g, f, self.base.meta.year) and not states_all(f, g)
                           for j, g in enumerate(facts))]
        return dataclasses.replace(decision, hits=tuple(decision.hits[i] for i in keep),
                                   verdicts=tuple(decision.verdicts[i] for i in keep))

    def follow(self, chat: str, question: str) -> tuple[Reply, Decision, dict, str]:
        """Answer in a conversation: a follow-up is read against the chat's last answered
        question (each reading retrieved and verified; the one the verifier trusts most wins),
        a standalone question on its own; an answer becomes the chat's context. Returns the
        reply, decision, timings and the reading shown to the user ('' when none)."""
        text = self.read_as_written(question)
        previous = self.conversations.last(chat)
        leaning = is_followup(text, previous.question, self.base.meta.names) if previous else STANDS
        options = []
        if previous is not None and not classify(text) and leaning != STANDS:
            fact = self.base.by_id(previous.facts[0]).text if previous.facts else ""
            options = readings(text, previous, self._names, self.scope.article, self.base.meta.year, fact)
            if previous.facts:
                options = effect_readings(text, previous.facts[0], self.base.facts, self.base.meta.names) + options
        if not options:  # a standalone question, or a follow-up no rule can read (呢): as it stands
            reply, decision, timings = self.reply(question)
            if reply.kind == ANSWER:
                self.conversations.remember(chat, text, tuple(h.fact_id for h in decision.hits), False)
            return reply, decision, timings, ""
        # A clear follow-up tries its readings from the most specific rule down and stops at the
        # first rule that answers; one that only may lean weighs every reading.
        levels = sorted({PRIORITY[rule] for _, rule in options}) if leaning == LEANS else [None]
        tried, answered = [], []
        for level in levels:
            for reading, rule in options:
                if level is None or PRIORITY[rule] == level:
                    tried.append((reading, rule, *self._reply_prepared(self.expand(reading))))
            # An arithmetic reading counts only when it computed something from the cited figures.
            answered = [t for t in tried if t[3].kind == ANSWER and (t[1] != "arith" or t[3].computation)]
            if answered:
                break
        def rank(t):  # a clear follow-up: the most specific answered reading; else the most trusted
            best = -max(v.p for v in t[3].verdicts)
            return (PRIORITY[t[1]], best) if leaning == LEANS else (best,)
        if not answered and leaning == MAY_LEAN:  # it may stand alone, and no reading in context answered
            reply, decision, timings = self.reply(question)
            return reply, decision, timings, ""
        # None answered: every level was tried, and the first reading stands for the reply.
        chosen = min(answered, key=rank) if answered else next(t for t in tried if t[:2] == options[0])
        reading, rule, reply, decision, timings = chosen
        if reply.kind == ANSWER:  # a reading of the previous question's shape is the next context
            keep = reading if rule in SHAPED else previous.question
            self.conversations.remember(chat, keep, tuple(h.fact_id for h in decision.hits), True, reading)
        # A reading is shown when it answered, or when it keeps the previous question's shape.
        shown = reading if reading != text and (reply.kind == ANSWER or rule in SHAPED) else ""
        return dataclasses.replace(reply, understood=shown), decision, timings, shown

    def answer(self, question: str, chat: str | None = None) -> Answer:
        """Answer one question, in the conversation `chat` if given; never raises for any input
        string."""
        t0 = time.perf_counter()
        if chat is None:
            reply, decision, timings = self.reply(question)
            understood = ""
        else:
            reply, decision, timings, understood = self.follow(chat, question)
        ms = (time.perf_counter() - t0) * 1000
        facts = tuple(FactRef(v.fact_id, v.p) for v in decision.verdicts) if not reply.abstained else ()
        timings = {stage: round(ms, 2) for stage, ms in ({s: 0.0 for s in STAGES} | timings).items()}
        logger.debug("decision=%s reason=%s facts=%s latency_ms=%.1f timings=%s", reply.kind, decision.reason,
                     ",".join(f.id for f in facts) or "-", ms, timings)
        return Answer(question, reply, reply.abstained, facts, round(ms, 1), reply.kind,
                      decision.reason, timings, chat, understood, reply.suggestions)
