"""Decide: answer from the facts the verifier accepts, or abstain, and say why."""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.pipeline.retrieve import Hit
from bot.pipeline.verify import Verdict


class Kind(StrEnum):
    """What a reply is (a str: it goes into JSON, logs and stored feedback as its value)."""

    ANSWER = "answer"
    ABSTAIN = "abstain"
    CHITCHAT = "chitchat"
    HELP = "help"
    REFUSE = "refuse"


ANSWER, ABSTAIN, CHITCHAT, HELP, REFUSE = Kind

_CONTENT = re.compile(r"[^\W_]")  # a letter, digit or CJK character; "_" is punctuation here
_GREETING = re.compile(
    r"^(你好|您好|嗨|哈喽|hello|hi|hey|早上好|晚上好|下午好|早安|晚安|在吗|在不在|谢谢|多谢|感谢|thanks|thank you|thx|"
    r"再见|拜拜|bye|好的|ok|okay|嗯|哦|哈哈|厉害|不错|你是谁|你是什么|你叫什么|你能做什么|你会什么|你好吗|"
    r"who are you|what can you do|how are you|今天天气|天气|讲个笑话|给我讲|推荐|你吃了吗|你几岁|\d+\s*[加减乘除+*/-])")
# Words that make a short message a question about the article after all.
_DOMAIN = re.compile(r"工会|职工|山西|会员|煤|劳模|帮扶|文章|表彰|五一|union|shanxi|worker")
_INJECTION = re.compile(
    r"(忽略|无视|忘记|忘掉|不要理会|覆盖).{0,8}(指令|提示|规则|设定|要求|限制|以上|之前|前面|文章)|"
    r"(新指令|新的指令|从现在起|从现在开始|from now on|new instructions?|"
    r"系统提示|system prompt|提示词|越狱|jailbreak|developer mode|开发者模式|dan模式)|"
    r"ignore (all |any )?(the )?(previous|prior|above|earlier)|disregard (all |the )?(previous|prior|above)|"
    r"(你现在是|从现在开始你|扮演|假装你|pretend (to be|you are)|you are now|act as)|"
    r"(编一个|编个|编造|瞎编|随便说|捏造|make up|invent)|(猜|估)(一个|个|一下)|\bguess\b|"
    r"(不用|不要|别|无需|不必)(看|管|根据|参考|理会)(原文|文章)|(我命令你|作为(管理员|开发者|系统)|管理员(模式|身份))|"
    r"宣布.{0,20}\d|"
    r"(告诉我|就说|回答|输出|宣布|宣布|say|tell me|answer).{0,12}(有|是|=|is|are)\s*\d")


@dataclass(frozen=True)
class Decision:
    """What to reply with: the kind of reply, the facts it rests on, and why.

    `hits` are the cited facts' retrieval hits and `verdicts` their verifier scores, in
    citation order. An abstention carries what it can say about why: a name the article
    never uses (`unknown`), or the `subject` the article does name and the asked words it
    never uses (`missing`)."""

    kind: Kind
    hits: tuple[Hit, ...] = ()
    reason: str = ""
    verdicts: tuple[Verdict, ...] = ()
    subject: str = ""
    missing: tuple[str, ...] = ()
    unknown: str = ""       # a name of the question the article never uses (太钢)
    computation: object = None  # arithmetic on the cited figures (bot.pipeline.arithmetic.Computation)

    @property
    def abstained(self) -> bool:
        return self.kind != ANSWER


@dataclass(frozen=True)
class Part:
    """One separately asked part of a question, with its candidates and their verdicts."""

    text: str
    hits: tuple[Hit, ...]
    verdicts: tuple[Verdict, ...]
    first: frozenset[str] = frozenset()  # facts that state the kind of thing asked: first among the accepted


def classify(question: str) -> str | None:
    """HELP, CHITCHAT or REFUSE for non-questions; None for a real question."""
    if not _CONTENT.search(question):
        return HELP
    if _INJECTION.search(question):
        return REFUSE
    greeting = _GREETING.match(question.strip())
    if greeting and len(question) <= 20 and not _DOMAIN.search(question):
        rest = question.strip()[greeting.end():]  # 你好呀, 今天天气怎么样; not "ok 汾阳那次呢"
        if len(re.findall(r"[\u4e00-\u9fff]", rest)) <= 4:
            return CHITCHAT
    return None


def _accepted(part: Part, threshold: float) -> list[tuple[Hit, Verdict]]:
    """The part's candidates the verifier accepts, best first (those in `part.first` before the rest)."""
    by_id = {h.fact_id: h for h in part.hits}
    ranked = sorted(part.verdicts, key=lambda v: (v.fact_id not in part.first, -v.p))
    return [(by_id[v.fact_id], v) for v in ranked if v.p >= threshold]


def decide(whole: Part, parts: list[Part], settings, out_of_scope: str = "") -> Decision:
    """Answer with the best accepted fact of the question, or, when it asks several things,
    of each part; abstain when the verifier accepts none, saying why."""
    if out_of_scope:
        return Decision(ABSTAIN, reason=out_of_scope)
    if not whole.hits:
        return Decision(ABSTAIN, reason="no-candidates")
    threshold = settings.min_verified
    cited: list[tuple[Hit, Verdict]] = []
    best = _accepted(whole, threshold)
    if best:
        cited.append(best[0])
    for part in parts:  # each part adds its best accepted fact that is not cited yet
        ids = {h.fact_id for h, _ in cited}
        fresh = next((a for a in _accepted(part, threshold) if a[0].fact_id not in ids), None)
        if fresh:
            cited.append(fresh)
    if not cited:
        top = max(whole.verdicts, key=lambda v: v.p)
        return Decision(ABSTAIN, reason=f"unverified:{top.p:.2f}:{top.fact_id}")
    return Decision(ANSWER, tuple(h for h, _ in cited), "answer", tuple(v for _, v in cited))
