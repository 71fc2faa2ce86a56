"""Decide: answer from one or more facts, or abstain, with the reason why."""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.facts import FactBase
from bot.retrieve import Hit
from bot.scope import Ask, Scope, analyse

ANSWER, ABSTAIN, CHITCHAT, HELP, REFUSE = "answer", "abstain", "chitchat", "help", "refuse"

_CONTENT = re.compile(r"[^\W_]")  # a letter, digit or CJK character; "_" is punctuation here
_GREETING = re.compile(
    r"^(你好|您好|嗨|哈喽|hello|hi|hey|早上好|晚上好|下午好|早安|晚安|在吗|在不在|谢谢|多谢|感谢|thanks|thank you|thx|"
    r"再见|拜拜|bye|好的|ok|okay|嗯|哦|哈哈|厉害|不错|你是谁|你是什么|你叫什么|你能做什么|你会什么|你好吗|"
    r"who are you|what can you do|how are you|今天天气|天气|讲个笑话|给我讲|推荐|你吃了吗|你几岁|\d+\s*[加减乘除+*/-])")
# Words that make a short message a question about the article after all.
_DOMAIN = re.compile(r"工会|职工|山西|会员|煤|劳模|帮扶|文章|表彰|五一|union|shanxi|worker")
_INJECTION = re.compile(
    r"(忽略|无视|忘记|忘掉|不要理会|覆盖).{0,8}(指令|提示|规则|设定|要求|限制|以上|之前|前面)|"
    r"(新指令|新的指令|从现在起|从现在开始|from now on|new instructions?|"
    r"系统提示|system prompt|提示词|越狱|jailbreak|developer mode|开发者模式|dan模式)|"
    r"ignore (all |any )?(the )?(previous|prior|above|earlier)|disregard (all |the )?(previous|prior|above)|"
    r"(你现在是|从现在开始你|扮演|假装你|pretend (to be|you are)|you are now|act as)|"
    r"(告诉我|就说|回答|输出|say|tell me|answer).{0,12}(有|是|=|is|are)\s*\d")
_MULTI = re.compile(r"和|与|跟|及|以及|还是|分别|哪一?[年个项次]更?[多少高低大小]|比较|对比|相比|更多|更少|差多少|多还是少|"
                    r"增加了?多少|下降了?多少|变化|both|\band\b|\bvs\b|compare")


@dataclass(frozen=True)
class Decision:
    """What to reply with: the kind of reply, the facts it rests on, and why."""

    kind: str
    hits: tuple[Hit, ...] = ()
    reason: str = ""

    @property
    def abstained(self) -> bool:
        return self.kind != ANSWER


def classify(question: str) -> str | None:
    """HELP, CHITCHAT or REFUSE for non-questions; None for a real question."""
    if not _CONTENT.search(question):
        return HELP
    if _INJECTION.search(question):
        return REFUSE
    if _GREETING.match(question.strip()) and len(question) <= 20 and not _DOMAIN.search(question):
        return CHITCHAT
    return None


def is_multi(question: str, ask: Ask) -> bool:
    """Whether the question asks two things or compares two values."""
    return bool(_MULTI.search(question)) or len(ask.years) >= 2 or ask.questions >= 2


_CLAUSE_SPLIT = re.compile(r"[，,;；。？?!！]|还有|以及|另外")
_ASKS = re.compile(r"多少|几|哪|什么|啥|谁|是否|有没有|how|what|when|who|where|which")


def clauses(question: str) -> list[str]:
    """The separately asked parts of a question (长钢开了多少场，有多少人受处分)."""
    parts = [p.strip() for p in _CLAUSE_SPLIT.split(question)]
    return [p for p in parts if len(p) >= 4 and _ASKS.search(p)]


def _first_year(text: str, years) -> str:
    """The earliest of `years` that `text` names, for ordering facts by year."""
    return min((y for y in years if y in text), default="9999")


def _companions(chosen: Hit, ask: Ask, hits: list[Hit], base: FactBase, settings,
                scope: Scope, parts: list[tuple[str, list[Hit]]]) -> list[Hit]:
    """Further facts for a two-part question: the best fitting fact of each part, one
    per year it names, else close runners-up."""
    out = [chosen]
    for part, part_hits in parts:
        part_ask = analyse(part, scope.article)
        pick, _ = _choose(part_ask, part_hits, scope, settings)
        if pick and pick.confidence >= settings.min_score and pick.fact_id not in {h.fact_id for h in out}:
            out.append(pick)
    if len(out) > 1:
        return out
    if len(ask.years) >= 2:
        for year in sorted(ask.years):
            if any(year in base.by_id(h.fact_id).text for h in out):
                continue
            match = next((h for h in hits if year in base.by_id(h.fact_id).text), None)
            if match and match not in out:
                out.append(match)
        return sorted(out, key=lambda h: _first_year(base.by_id(h.fact_id).text, ask.years))
    for hit in hits:
        if hit is not chosen and hit.confidence >= settings.second_ratio * chosen.confidence:
            out.append(hit)
        if len(out) == 3:
            break
    return out


def _choose(ask: Ask, hits: list[Hit], scope: Scope, settings) -> tuple[Hit | None, str]:
    """The best hit that can answer the question, if it is close enough to the top."""
    first_reason = ""
    for hit in hits:
        if hit.confidence < hits[0].confidence - settings.fit_slack:
            break
        why = scope.fits(ask, hit.fact_id)
        if not why:
            return hit, ""
        first_reason = first_reason or why
    return None, first_reason


def decide(question: str, hits: list[Hit], base: FactBase, settings, scope: Scope,
           parts: list[tuple[str, list[Hit]]] = ()) -> Decision:
    """Answer when a fitting fact is confidently relevant; otherwise abstain, saying why."""
    kind = classify(question)
    if kind:
        return Decision(kind, reason=kind)
    ask = analyse(question, scope.article)
    reason = scope.unknown(ask)
    if reason:
        return Decision(ABSTAIN, reason=reason)
    if not hits:
        return Decision(ABSTAIN, reason="no-candidates")
    chosen, why = _choose(ask, hits, scope, settings)
    if chosen is None:
        return Decision(ABSTAIN, reason=why)
    if chosen.confidence < settings.min_score:
        return Decision(ABSTAIN, reason=f"low-score:{chosen.confidence:.3f}")
    if chosen.dense < settings.min_dense:
        return Decision(ABSTAIN, reason=f"low-dense:{chosen.dense:.3f}")
    margin = hits[0].confidence - hits[1].confidence if len(hits) > 1 else 1.0
    if settings.min_margin and margin < settings.min_margin:
        return Decision(ABSTAIN, reason=f"low-margin:{margin:.3f}")
    multi = is_multi(question, ask)
    picked = _companions(chosen, ask, hits, base, settings, scope, list(parts)) if multi else [chosen]
    return Decision(ANSWER, tuple(picked), reason="answer")
