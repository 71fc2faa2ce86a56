"""Decide: answer from one or more facts, or abstain, with the reason why."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from bot.facts import FactBase, squeeze
from bot.retrieve import YEAR, Hit

ANSWER, ABSTAIN, CHITCHAT, HELP, REFUSE = "answer", "abstain", "chitchat", "help", "refuse"

_CONTENT = re.compile(r"[\w\u3400-\u9fff]")
_GREETING = re.compile(
    r"^(你好|您好|嗨|哈喽|hello|hi|hey|早上好|晚上好|下午好|在吗|在不在|谢谢|多谢|感谢|thanks|thank you|thx|"
    r"再见|拜拜|bye|好的|ok|okay|嗯|哦|哈哈+|厉害|不错|你是谁|你是什么|你叫什么|你能做什么|你会什么|"
    r"who are you|what can you do|今天天气|天气怎么样|讲个笑话|你吃了吗|你几岁)"
    r"[\s\W啊呀呢吧哈了的么吗嘛～~]*$")
_INJECTION = re.compile(
    r"(忽略|无视|忘记|忘掉|不要理会|覆盖).{0,8}(指令|提示|规则|设定|要求|限制|以上|之前|前面)|"
    r"(系统提示|system prompt|提示词|越狱|jailbreak|developer mode|开发者模式|dan模式)|"
    r"ignore (all |any )?(the )?(previous|prior|above|earlier)|disregard (all |the )?(previous|prior|above)|"
    r"(你现在是|从现在开始你|扮演|假装你|pretend (to be|you are)|you are now|act as)|"
    r"(告诉我|就说|回答|输出|say|tell me|answer).{0,12}(有|是|=|is|are)\s*\d")
_MULTI = re.compile(r"和|与|跟|及|以及|还是|分别|哪一?[年个项次]|比较|对比|相比|更多|更少|差多少|多还是少|"
                    r"增加了?多少|下降了?多少|变化|both|\band\b|\bvs\b|compare")
_ORG = re.compile(r"[\u4e00-\u9fff]{2,8}?(?:集团|公司|大学|学院|银行|医院|协会|研究院)")


@dataclass(frozen=True)
class Decision:
    """What to reply with: the kind of reply, the facts it rests on, and why."""

    kind: str
    hits: tuple[Hit, ...] = ()
    reason: str = ""

    @property
    def abstained(self) -> bool:
        return self.kind != ANSWER


@functools.lru_cache(maxsize=1)
def _places() -> tuple[str, ...]:
    path = Path(__file__).with_name("data") / "places.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(ln.strip() for ln in lines if ln.strip() and not ln.startswith("#"))


def classify(question: str) -> str | None:
    """HELP, CHITCHAT or REFUSE for non-questions; None for a real question."""
    if not _CONTENT.search(question):
        return HELP
    if _INJECTION.search(question):
        return REFUSE
    if _GREETING.match(question.strip()):
        return CHITCHAT
    return None


def out_of_scope(question: str, base: FactBase) -> str:
    """Why the article cannot answer `question` (a place, year or organisation it never
    mentions), or "" when nothing rules it out."""
    article = squeeze(base.article)
    for place in _places():
        if place in question and place not in article:
            return f"place:{place}"
    years = set(YEAR.findall(question)) - set(YEAR.findall(article)) - {str(base.meta.year)}
    if years:
        return f"year:{','.join(sorted(years))}"
    for org in _ORG.findall(question):
        if squeeze(org) not in article and org[-4:] not in article:
            return f"org:{org}"
    return ""


def is_multi(question: str) -> bool:
    """Whether the question asks two things or compares two values."""
    return bool(_MULTI.search(question)) or len(set(YEAR.findall(question))) >= 2


def _companions(question: str, hits: list[Hit], base: FactBase, ratio: float) -> list[Hit]:
    """Further facts for a two-part question: one per year it names, else close runners-up."""
    chosen = [hits[0]]
    years = sorted(set(YEAR.findall(question)))
    if len(years) >= 2:
        for year in years:
            if any(year in base.by_id(h.fact_id).text for h in chosen):
                continue
            match = next((h for h in hits[1:] if year in base.by_id(h.fact_id).text), None)
            if match and match not in chosen:
                chosen.append(match)
        return chosen
    for hit in hits[1:3]:
        if hit.confidence >= ratio * hits[0].confidence:
            chosen.append(hit)
    return chosen


def decide(question: str, hits: list[Hit], base: FactBase, settings) -> Decision:
    """Answer when the best fact is confidently relevant; otherwise abstain, saying why."""
    kind = classify(question)
    if kind:
        return Decision(kind, reason=kind)
    reason = out_of_scope(question, base)
    if reason:
        return Decision(ABSTAIN, reason=reason)
    if not hits:
        return Decision(ABSTAIN, reason="no-candidates")
    top = hits[0]
    if top.confidence < settings.min_score:
        return Decision(ABSTAIN, reason=f"low-score:{top.confidence:.3f}")
    if top.dense < settings.min_dense:
        return Decision(ABSTAIN, reason=f"low-dense:{top.dense:.3f}")
    margin = top.confidence - hits[1].confidence if len(hits) > 1 else 1.0
    if margin < settings.min_margin:
        return Decision(ABSTAIN, reason=f"low-margin:{margin:.3f}")
    chosen = _companions(question, hits, base, settings.second_ratio) if is_multi(question) else [top]
    return Decision(ANSWER, tuple(chosen), reason="answer")
