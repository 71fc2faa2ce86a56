"""Conversation context: each chat's last answered question, and the explicit rules that read
an elliptical follow-up as a whole question (那2011年呢 → 2011年组建月新增了多少工会组织).

The rules only propose readings; the engine retrieves and verifies each one and keeps the
reading the verifier trusts most, so a rule that misfires costs a candidate, not an answer.
A standalone question never inherits anything. Context lives in memory only, in a bounded
LRU of chats, and expires after a number of minutes and of follow-ups.
"""
from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from bot.lexicon import cut
from bot.pipeline.parts import topic
from bot.pipeline.text import YEAR

# A message that leans on the previous one: 那…, …呢, pronouns, bare why/how/effect.
_LEAD = re.compile(r"^(那|那么|那要是|那如果|还有|再问|另外|然后|接着|and\b|what about|how about)")
_TAIL = re.compile(r"(呢|的呢|嘞|咧)$")
_PRONOUN = re.compile(r"他们|她们|它们|他|她|它|这个|那个|这项|那项|这次|那次|这些|那些|这里|那里|这事|那事|这件事|"
                      r"这么做|这样做|这么搞|这办法|这个办法|该|此|其|这一|那一|这家|那家|这位|那位")
_BARE = re.compile(r"^(为什么|为啥|为何|怎么|咋|如何|具体|后来|结果|效果|影响|有啥|有什么)")
_PERSON_PRONOUN = re.compile(r"他们|她们|他|她|这位|那位")
_THING_PRONOUN = re.compile(r"它们|它|这个|那个|这项|那项|这些|那些|这事|那事|这件事|该|此|其")
_FILLER = re.compile(r"^(那么|那要是|那如果|那|还有|再问|另外|然后|接着)|(的呢|呢|嘞|咧)$")
_ASK = re.compile(r"多少|几|什么|啥|哪|谁|吗|如何|怎么|咋|是否|有没有|when|what|how|who|where|which")
_RELATIVE_YEARS = {"今年": 0, "去年": 1, "前年": 2, "那年": None}


@dataclass(frozen=True)
class Turn:
    """What a chat last asked and was answered."""

    question: str              # the whole question, as it was finally read (prepared text)
    facts: tuple[str, ...]     # the facts its answer cited
    at: float                  # time.monotonic() when it was answered
    followups: int = 0         # follow-ups read against it so far


def is_followup(text: str) -> bool:
    """Whether a prepared message leans on the previous question rather than standing alone."""
    core = re.sub(r"[\s\W_]+", "", text)
    if not core:
        return False
    if _LEAD.search(text) or _TAIL.search(core) or _PRONOUN.search(text):
        return True
    if _BARE.match(core) and len(core) <= 10:
        return True
    return len(core) <= 5 and not YEAR.search(core) and not _ASK.search(core)


def core(text: str) -> str:
    """A follow-up without its 那…/…呢 and punctuation: 那2011年呢 → 2011年."""
    return _FILLER.sub("", re.sub(r"[\s?？!！。,，]+$", "", text.strip())).strip()


def readings(text: str, previous: Turn, names: dict[str, tuple[str, ...]], article: str, year: int,
             fact_text: str = "") -> list[tuple[str, str]]:
    """(whole question, rule) pairs a follow-up may mean, the most specific first; the engine
    verifies each. Rules: year, name, person and thing keep the previous question's shape and
    swap one part; swap replaces its first words; frame and topic put the follow-up after its
    subject; self is the follow-up as it stands.

    `names` maps a kind (people, places, organizations) to the names the article uses; places
    also include places the article never mentions, so 那广东呢 reads as a question about 广东."""
    prev, rest = previous.question, core(text)
    out: list[tuple[str, str]] = []
    years = _years(text, year)
    prev_years = YEAR.findall(prev)
    if years and prev_years:  # another year or period: 那2011年呢
        out.append((_replace_years(prev, prev_years, years[0]), "year"))
    elif years:
        out.append((f"{years[0]}年{prev}", "year"))
    for kind in ("places", "people", "organizations"):  # another subject of the same kind: 阳泉那次呢
        new = [n for n in names.get(kind, ()) if n in rest]
        old = [n for n in names.get(kind, ()) if n in prev and n not in rest]
        if new and old:
            out.append((prev.replace(max(old, key=len), max(new, key=len)), "name"))
        elif new and kind == "places":  # a place where the previous question implied Shanxi: 那广东呢
            out.append((max(new, key=len) + prev, "name"))
    bare = _strip_pronoun(rest)
    frame = _frame(prev)
    if _PERSON_PRONOUN.search(rest):  # 他是干哪一行的 → 贾向东是干哪一行的
        who = _subject(prev, fact_text, names, article, kinds=("people",))
        if who:
            out.append((_PERSON_PRONOUN.sub(who, rest, count=1), "person"))
    thing = _THING_PRONOUN.search(rest)
    if thing and frame:  # 这个经验具体是什么 → 西山煤电的3110帮扶经验具体是什么
        after = rest[thing.end():]
        shared = next((k for k in (3, 2, 1) if len(after) >= k and frame.endswith(after[:k])), 0)
        out.append((rest[:thing.start()] + frame + after[shared:], "thing"))
    tail = "" if _ASK.search(rest) else _asked(prev)
    noun = re.sub(r"(的|级|一级|那边|这边|方面|那块|这块)+$", "", bare)
    if noun and len(noun) <= 4 and not _ASK.search(noun) and not _BARE.match(noun):
        out += [(r, "swap") for r in _swap_lead(prev, noun)]  # 乡镇的呢 → 乡镇帮扶中心有多少个
    if frame and bare and frame not in bare:  # 为啥要这么做 → 长钢的民主评议会为啥要这么做
        out.append((f"{frame}{bare}{tail}", "frame"))
    subject = _subject(prev, fact_text, names, article)
    for head in dict.fromkeys(h for h in (topic(prev, article), subject, _fact_topic(fact_text)) if h):
        if bare and head not in bare:  # another attribute of the same subject: 人数呢
            out.append((f"{head}{bare}{tail}", "topic"))
    if len(re.sub(r"[^\u4e00-\u9fff]", "", YEAR.sub("", bare))) >= 4 and _ASK.search(bare):
        out.append((text, "self"))  # read as it stands, last: it may stand alone after all
    seen, unique = set(), []
    for reading, rule in out:
        if reading and reading != prev and reading not in seen:
            seen.add(reading)
            unique.append((reading, rule))
    return unique


# Readings that keep the previous question's shape: they become the chat's context in turn.
SHAPED = frozenset({"year", "name", "person", "thing", "swap", "self"})


def _years(text: str, year: int) -> list[str]:
    found = YEAR.findall(text)
    for word, back in _RELATIVE_YEARS.items():
        if word in text and back is not None:
            found.append(str(year - back))
    m = re.search(r"(?<!\d)(\d\d)年", text)  # 11年 for 2011年
    if m and not found and 6 <= int(m.group(1)) <= year % 100:
        found.append(f"20{m.group(1)}")
    return found


def _replace_years(question: str, old: list[str], new: str) -> str:
    out = question
    for y in dict.fromkeys(old):
        out = out.replace(y, new)
    return out


def _asked(question: str) -> str:
    """What the previous question asked for, to finish a bare follow-up (人数 → 人数是多少)."""
    if re.search(r"什么时候|何时|哪一?年|几月|几号", question):
        return "是什么时候"
    if re.search(r"多少|几", question):
        return "是多少"
    if re.search(r"哪里|在哪|哪儿", question):
        return "在哪里"
    if re.search(r"谁|哪位", question):
        return "是谁"
    return "是什么"


def _subject(question: str, fact_text: str, names: dict, article: str,
             kinds: tuple[str, ...] = ("people", "organizations", "places")) -> str:
    """Who or what the previous question was about: the longest article name of `kinds` in it
    (or in the fact that answered it), else (for any kind) its longest start the article says."""
    for source in (question, fact_text):
        found = [n for kind in kinds for n in names.get(kind, ())
                 if n in source and n not in ("山西", "全省", "全国")]
        if found:
            return max(found, key=len)
    return "" if kinds == ("people",) else topic(question, article)


def _frame(question: str) -> str:
    """The previous question up to what it asked: 长钢的民主评议会是什么时候第一次召开的 → 长钢的民主评议会."""
    m = _ASK.search(question)
    head = question[:m.start()] if m else question
    return re.sub(r"(是|的|有|在|了|一共|总共|共)+$", "", head)


def _swap_lead(question: str, new: str) -> list[str]:
    """The previous question with its first word, or first two, replaced by `new`
    (县级帮扶中心有多少个 + 乡镇 → 乡镇帮扶中心有多少个), a year in front kept in place."""
    lead = re.match(r"((?:19|20)\d\d年)?", question).group(0)
    words = cut(question[len(lead):])
    return [lead + new + "".join(words[k:]) for k in (1, 2) if len(words) > k and new not in words[:k]]


def _fact_topic(fact_text: str) -> str:
    """The opening phrase of the previous answer's fact (2010年“工会组建月”期间), when short."""
    head = re.split(r"[，,。；;]", fact_text, maxsplit=1)[0] if fact_text else ""
    return head if 2 <= len(head) <= 16 else ""


def _strip_pronoun(text: str) -> str:
    return _PRONOUN.sub("", text).strip() or text


class Conversations:
    """Each chat's last answered question, in a bounded LRU, never written to disk."""

    def __init__(self, minutes: float = 30, followups: int = 5, chats: int = 10000, clock=time.monotonic):
        self.minutes, self.followups, self.chats, self.clock = minutes, followups, chats, clock
        self._turns: OrderedDict[str, Turn] = OrderedDict()
        self._lock = threading.Lock()

    def last(self, chat: str) -> Turn | None:
        """The chat's last answered question, unless it has expired."""
        with self._lock:
            turn = self._turns.get(chat)
            if turn is None:
                return None
            if self.clock() - turn.at > self.minutes * 60 or turn.followups >= self.followups:
                del self._turns[chat]
                return None
            self._turns.move_to_end(chat)
            return turn

    def remember(self, chat: str, question: str, facts: tuple[str, ...], followup: bool) -> None:
        """Keep an answered question as the chat's context (a follow-up extends the chain)."""
        with self._lock:
            before = self._turns.get(chat)
            count = before.followups + 1 if followup and before else 0
            self._turns[chat] = Turn(question, facts, self.clock(), count)
            self._turns.move_to_end(chat)
            while len(self._turns) > self.chats:
                self._turns.popitem(last=False)

    def clear(self, chat: str) -> None:
        with self._lock:
            self._turns.pop(chat, None)

    def __len__(self) -> int:
        return len(self._turns)
