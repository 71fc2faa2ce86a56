"""Compose the Chinese reply: figures first, then verbatim quotes with their section,
and a guard that refuses any number the cited article text does not contain."""
from __future__ import annotations

import re
import logging
from dataclasses import dataclass, replace

from bot.pipeline.decide import ABSTAIN, ANSWER, CHITCHAT, HELP, REFUSE, Decision, Kind
from bot.knowledge.facts import FactBase
from bot.knowledge.numbers import numbers_in, unsupported_numbers
from bot.pipeline.context import LEANS, is_followup

logger = logging.getLogger(__name__)


class UnsupportedNumber(ValueError):
    """A reply stated a number that none of its cited quotes contains."""


@dataclass(frozen=True)
class Citation:
    """A verbatim quote of the article and the heading it stands under."""

    fact_id: str
    section: str
    quote: str


@dataclass(frozen=True)
class Reply:
    """What a reply says, in parts; each adapter renders it (bot.adapters.render as plain text,
    bot.adapters.telegram.render as HTML), so the same characters reach every reader."""

    kind: Kind
    lead: tuple[str, ...]           # the direct answer, figures first; or the abstention text
    citations: tuple[Citation, ...] = ()
    suggestions: tuple[str, ...] = ()  # questions to ask instead (abstentions) or next (answers)
    understood: str = ""            # how a follow-up was read, shown first (the user's own words)

    @property
    def abstained(self) -> bool:
        return self.kind != ANSWER


def _stated(reply: Reply) -> str:
    """Everything a reply says that could state a number, one piece a line: its lead, its quotes
    and their sections, and the questions it suggests (the line saying how a follow-up was read
    restates the user's words, and the adapters' fixed labels carry no number)."""
    cited = [piece for c in reply.citations for piece in (c.section, c.quote)]
    return "\n".join([*reply.lead, *cited, *reply.suggestions])


def check_numbers(reply: Reply, base: FactBase, computed=None) -> None:
    """Raise UnsupportedNumber if the reply states a number its citations do not contain.

    Allowed sources: the cited quotes, their section headings, the article's year, and the
    result of a computation that follows from operands the quotes contain (checked again
    here). The line saying how a follow-up was read restates the user's words and is not
    checked."""
    sources = [c.quote for c in reply.citations] + [c.section for c in reply.citations]
    allowed = set(base.allowed_numbers)
    if computed is not None and computed.check():
        allowed.update(numbers_in(computed.result))
    bad = unsupported_numbers(_stated(reply), sources, frozenset(allowed))
    if bad:
        raise UnsupportedNumber(f"reply states {', '.join(sorted(set(bad)))} not found in its quotes")


def _computed(computation, citations: tuple[Citation, ...]):
    """A computation whose result follows from its operands and whose operands the quotes
    contain; anything else is dropped (and logged: it is a bug, never shown)."""
    if computation is None:
        return None
    quoted = set(numbers_in(" ".join(c.quote for c in citations)))
    if computation.check() and all(o.number in quoted for o in computation.operands):
        return computation
    logger.error("computation dropped: %s", computation)
    return None


_QUESTION = re.compile(r"[?？]$|多少|几|什么|啥|哪|谁|吗|如何|怎么|怎样|咋|为何|为什么|是否")


def _askable(fact) -> str:
    """The first of a fact's questions that can be suggested, or ''. A suggestion carries no
    figure (it would be a claim no quote backs), stays short (it is a button), and stands alone:
    it is asked in the chat's conversation, where a question that leans on the previous one
    (那年…, 这个…) would be read as a follow-up. And it is a whole question: a bare keyword
    (工会组建数据库) reads as a topic, not as something to ask."""
    return next((q for q in fact.questions if not numbers_in(q) and len(q) <= 30 and _QUESTION.search(q)
                 and is_followup(q) != LEANS), "")


def _pick(base: FactBase, order, n: int = 3, skip=()) -> tuple[str, ...]:
    """Up to `n` suggestions, one per fact, from the facts in `order` (ids), skipping `skip`."""
    seen, out = set(skip), []
    for fid in order:
        if fid in seen:
            continue
        seen.add(fid)
        question = _askable(base.by_id(fid))
        if question and question not in out:
            out.append(question)
            if len(out) == n:
                break
    return tuple(out)


def _suggestions(base: FactBase, decision: Decision, nearby: tuple = (), n: int = 3) -> tuple[str, ...]:
    """Questions the bot can answer instead: about the subject asked about when there is one,
    else near the topic asked about, else spread over the article."""
    about = [f.id for f in base.facts if decision.subject and decision.subject in f.text]
    spread = [f.id for f in base.facts[:: max(1, len(base.facts) // 12)]]
    return _pick(base, about + [h.fact_id for h in nearby] + spread, n)


def _related(base: FactBase, cited: list, nearby: tuple = (), n: int = 3) -> tuple[str, ...]:
    """Questions to ask next, about facts near the cited ones: their section's facts first, the
    nearest in the article's order first, then the other retrieval hits. Never a cited fact's."""
    position = {f.id: i for i, f in enumerate(base.facts)}
    sections = {f.section for f in cited}
    same = sorted((f for f in base.facts if f.section in sections),
                  key=lambda f: min(abs(position[f.id] - position[c.id]) for c in cited))
    return _pick(base, [f.id for f in same] + [h.fact_id for h in nearby], n, skip={f.id for f in cited})


def _title(base: FactBase) -> str:
    return f"《{base.meta.title}》"


def _abstention(decision: Decision, base: FactBase) -> str:
    """Why there is no answer, as plainly as the decision allows, with no figure in it."""
    if decision.reason.startswith("place:"):
        about = f"这篇文章讲的是{base.meta.subject}，" if base.meta.subject else "这篇文章"
        return f"{about}没有提到{decision.reason[6:]}的情况。"
    if decision.reason.startswith("year:"):
        return "这篇文章没有提到那一年的情况，我不知道答案。"
    if decision.unknown:
        return f"文章没有提到{decision.unknown}。"
    if decision.subject and decision.missing:
        return f"文章没有提到{decision.subject}的{'、'.join(decision.missing)}。"
    if decision.missing:
        return f"文章没有提到{'、'.join(decision.missing)}。"
    if decision.subject:
        return f"文章提到了{decision.subject}，但没有提到你问的这一点。"
    return "抱歉，这篇文章没有提到这个问题，我不知道答案。"


def _non_answer(decision: Decision, base: FactBase, nearby: tuple) -> Reply:
    tips = _suggestions(base, decision, nearby)
    if decision.kind == HELP:
        lead = (f"请直接输入关于{_title(base)}一文的问题，我会给出文中的确切数字和原文出处。",)
    elif decision.kind == CHITCHAT:
        lead = (f"你好！我是{_title(base)}（{base.meta.year}年）这篇文章的问答机器人，"
                "可以回答文中的数字、人物、时间和做法。",)
    elif decision.kind == REFUSE:
        lead = (f"我只回答关于{_title(base)}一文的问题，不执行其他指令，也不会编造数字。",)
    else:
        lead = (_abstention(decision, base),)
    reply = Reply(decision.kind, lead, (), tips)
    check_numbers(reply, base)  # texts without figures: a failure here is a bug, not a user error
    return reply


def compose(decision: Decision, base: FactBase, nearby: tuple = ()) -> Reply:
    """Build the reply for a decision; `nearby` (the retrieval hits) steers the suggestions: other
    questions after an abstention, related questions after an answer.

    An answer that fails the number guard is logged and replaced by an abstention."""
    if decision.kind != ANSWER:
        return _non_answer(decision, base, nearby)
    facts = [base.by_id(h.fact_id) for h in decision.hits]
    lead = tuple(f.text for f in facts)
    citations = tuple(Citation(f.id, f.section, f.quote_text) for f in facts)
    computed = _computed(decision.computation, citations)
    reply = Reply(ANSWER, lead + ((computed.line(),) if computed else ()), citations)
    try:
        check_numbers(reply, base, computed)
    except UnsupportedNumber as exc:
        logger.error("number guard rejected a reply from %s: %s", [f.id for f in facts], exc)
        return _non_answer(Decision(ABSTAIN, reason="guard"), base, nearby)
    return replace(reply, suggestions=_related(base, facts, nearby))
