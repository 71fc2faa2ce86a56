"""Conversation context: each chat's last answered question, and the explicit rules that read
an elliptical follow-up as a whole question (那2011年呢 → 2011年组建月新增了多少工会组织); the
pieces the rules build with live in bot/pipeline/rewrite.py.

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

from bot.pipeline.arithmetic import operation
from bot.pipeline.parts import topic, unnamed_total
from bot.pipeline.rewrite import (ASK, ASKING, DATE, HOME, PERSON_PRONOUN, PRONOUN, STEPS, THING_PRONOUN, WHY_HOW,
                                  arithmetic_readings, asked_tail, counterpart, dated_like, fact_topic, frame_of,
                                  gist_of, names_in, object_of, own_item, replace_years, strip_pronoun, subject_of,
                                  swap_attribute, swap_lead, years_in)
from bot.pipeline.text import YEAR, read

# A message that leans on the previous one: 那…, …呢, pronouns, bare why/how/effect.
_LEAD = re.compile(r"^(那|那么|那要是|那如果|还有|再问|另外|然后|接着|同年|当年|前一年|后一年|上一年|下一年|再往前|"
                   r"and\b|what about|how about)")
_TAIL = re.compile(r"(呢|的呢|嘞|咧|勒|啦|呀|吧|捏)$")
_BARE = re.compile(r"^(为什么|为啥|为何|怎么|咋|如何|具体|后来|结果|效果|影响|有啥|有什么)")
_EFFECT = re.compile(r"效果|结果|成效|影响|作用|反响")
# A span of years, over which a total or a difference is asked (2010到2013, 这四年).
_SPAN_OF_YEARS = re.compile(r"(19|20)\d\d年?(到|至|-|~)(19|20)?\d\d|这[两几三四五六七八九十]年")
# Words that name no subject: when, how far, and doing in general (运行以后, 实施以来).
_GENERIC = re.compile(r"运行|实施|实行|开展|推行|推广|搞|做|以后|之后|以来|后来|起来|到底|现在|目前|总体|整体|有|的|了|得|要|呢|啊|吗|样|怎|咋|么|如何")
_FILLER = re.compile(r"^(ok|好的|那么|那要是|那如果|那|还有|再问|另外|然后|接着)\s*|(的呢|呢|嘞|咧|勒|啦|呀|吧|捏)$")


@dataclass(frozen=True)
class Turn:
    """What a chat last asked and was answered."""

    question: str              # the whole question, as it was finally read (prepared text)
    facts: tuple[str, ...]     # the facts its answer cited
    at: float                  # time.monotonic() when it was answered
    followups: int = 0         # follow-ups read against it so far
    read: str = ""             # how this turn was read and answered (the question, or its reading)
    earlier: str = ""          # how the turn before it was read, for arithmetic over both (哪年多)


LEANS, MAY_LEAN, STANDS = 2, 1, 0


def is_followup(text: str, previous: str = "", names: tuple[str, ...] = ()) -> int:
    """How much a prepared message leans on the previous question: LEANS for 它/他/这种…,
    那…/…呢, a bare why/how/effect, or a message with so few words of its own that it names no
    subject (2013年的主题是啥); MAY_LEAN when it names none of the article's people, places or
    organisations while the previous question did (评议结果咋算 after a question about 长钢);
    STANDS otherwise. A message that only may lean is also tried as it stands, and wins then."""
    core = re.sub(r"[\s\W_]+", "", text)
    if not core:
        return STANDS
    if _TAIL.search(core) or PRONOUN.search(text):
        return LEANS
    if _LEAD.search(text):  # 那…: leans, unless a whole question of its own follows (那2012年长钢利润多少)
        own = [w for w in read(_LEAD.sub("", text)).words if not YEAR.search(w)]
        return MAY_LEAN if ASK.search(text) and len(own) >= 2 and sum(map(len, own)) >= 4 else LEANS
    if _BARE.match(core) and len(core) <= 10:
        return LEANS
    if unnamed_total(core):
        return LEANS  # 平均每个覆盖几个法人单位, 占全省基层工会总数百分之几: of what the last question counted
    if operation(core) and (len(own_item(core)) < 2 or re.match(r"(再|还)?(加上|算上|跟|比|和|与|同)", core)
                            or (previous and _SPAN_OF_YEARS.search(core)
                                and all(w in previous for w in read(own_item(core)).words))):
        return LEANS  # 多多少, 2012年比2011年少了多少, 加上发明创造呢, 2010到2013这四年一共新增多少:
        # arithmetic over what was just asked (nothing it names is new)
    if len(core) <= 5 and not YEAR.search(core) and not ASK.search(core):
        return LEANS
    own = [w for w in read(text).words if not YEAR.search(w)]
    # A name of the article the previous question did not use is a subject of its own (Who is 曹晓斌).
    new_name = any(n in text and n not in previous for n in names if n not in HOME)
    if sum(map(len, own)) <= 3 and not new_name:
        return LEANS
    if _EFFECT.search(core) and not re.sub(r"[^\u4e00-\u9fff]", "", ASK.sub("", _GENERIC.sub("", _EFFECT.sub("", core)))):
        return LEANS  # 运行以后效果咋样: the effect of nothing it names
    named = [n for n in names if n not in HOME]
    if previous and any(n in previous for n in named) and not any(n in text for n in named):
        return MAY_LEAN
    return STANDS


def name_run(text: str, names: list[str]) -> str:
    """The longest run of `names` side by side in `text` (潞安煤业集团常村煤矿), which another
    subject replaces whole."""
    spans = sorted((m.start(), m.end()) for n in names for m in re.finditer(re.escape(n), text))
    runs: list[list[int]] = []
    for start, end in spans:
        if runs and start <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([start, end])
    start, end = max(runs, key=lambda r: r[1] - r[0])
    return text[start:end]


def core(text: str) -> str:
    """A follow-up without its 那…/…呢 and punctuation: 那2011年呢 → 2011年; 2月20日呢，干了啥 →
    2月20日，干了啥."""
    text = re.sub(r"(的呢|呢)(?=[,，])", "", text.strip())
    return _FILLER.sub("", re.sub(r"[\s?？!！。,，]+$", "", text)).strip()


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
    prev_years = YEAR.findall(prev)
    years = years_in(text, year, prev_years)
    unnamed = unnamed_total(text)
    if unnamed:  # 平均每个覆盖几个法人单位 after 工会组织有多少个; 占全省基层工会总数百分之几 after 新建了多少工会
        out.append(((frame_of if unnamed == "average" else gist_of)(prev) + rest, "arith"))
    elif operation(text) in ASKING:  # 2011年比它多了多少个, 跟五星级基层工会加起来呢, 多多少 (an average that
        # names what it is per asks nothing of the previous question)
        out += [(r, "arith") for r in arithmetic_readings(prev, rest, years, prev_years,
                                                                (previous.earlier, previous.read))]
    plain = STEPS.sub("", YEAR.sub("", rest)).strip("的年 ")  # what the follow-up adds beyond a year
    new_date, old_date = DATE.search(rest), DATE.search(prev)
    if new_date and old_date and "月" in new_date.group(0) + old_date.group(0):  # 那4月份呢, 那2009年呢 after 6月
        date = dated_like(new_date.group(0), prev_years)
        again = prev[:old_date.start()] + date + prev[old_date.end():]
        out.append((again, "year"))
        # The month of another event may be elsewhere: 6月那次呢 after …在长钢开了个什么会.
        where = names_in(again, names)
        if where:
            out.append((re.sub(rf"(在|于|到)?({'|'.join(map(re.escape, where))})", "", again), "year"))
    # What the follow-up asks of its own beyond a year (利润是多少, 多大岁数): then it is not the
    # previous question in another year.
    asking = ASK.search(plain) or re.search(r"多大|多久|多长|多高|多远", plain)
    asks_own = bool(years and plain and asking) and not operation(plain) and any(
        w not in prev for w in read(ASK.sub("", plain)).words
        if re.fullmatch(r"[\u4e00-\u9fff]{2,}", w) and not PRONOUN.fullmatch(w))
    if years and prev_years:  # another year or period: 那2011年呢; 2009到2012呢 after 2006年到2012年
        new_span, old_span = list(dict.fromkeys(years)), list(dict.fromkeys(prev_years))
        again = (YEAR.sub(lambda m: dict(zip(old_span, new_span)).get(m.group(0), m.group(0)), prev)
                 if 2 <= len(new_span) == len(old_span) else replace_years(prev, prev_years, years[0]))
        if not asks_own:
            out.append((again, "year"))
        swapped = swap_attribute(again, plain) if plain and not ASK.search(plain) else ""
        if swapped:  # 那2013年的主题呢 after …2012年组建月的重点是啥 → 2013年组建月的主题是啥
            out.append((swapped, "year"))
        if plain and plain not in again:  # 那2012年的重点呢 → 2012年组建月的重点是什么
            out.append((f"{topic(again, article) or years[0] + '年'}的{plain}" + ("" if ASK.search(plain) else "是什么"),
                        "topic"))
    elif years and not (plain and ASK.search(plain)) and not asks_own:  # not 会上把2013年定为什么年, 他今年多大岁数:
        # they ask their own thing
        out.append((f"{years[0]}年{prev}", "year"))
    # A place inside an organisation's name is the organisation's (太原公交公司呢 names no place).
    unplaced = re.sub("|".join(map(re.escape, sorted(names.get("organizations", ()), key=len, reverse=True)))
                      or "$^", "", rest)
    for kind in ("places", "people", "organizations"):  # another subject of the same kind: 阳泉那次呢
        asked = unplaced if kind == "places" else rest
        new = [n for n in names.get(kind, ()) if n in asked and n not in HOME]
        old = [n for n in names.get(kind, ()) if n in prev and n not in rest and n not in HOME]
        if new and old:
            out.append((prev.replace(name_run(prev, old), max(new, key=len)), "name"))
        elif new and kind == "places":  # a place where the previous question implied Shanxi: 那广东呢
            out.append((max(new, key=len) + prev, "name"))
    bare = strip_pronoun(rest)
    frame = frame_of(prev)
    if PERSON_PRONOUN.search(rest):  # 他是干哪一行的 → 贾向东是干哪一行的; 他们 may be an organisation
        who = (subject_of(prev, fact_text, names, article, kinds=("people",))
               or subject_of(prev, fact_text, names, article, kinds=("organizations",)))
        if who:
            dated = DATE.sub(lambda m: dated_like(m.group(0), prev_years), rest) if not YEAR.search(rest) else rest
            out.append((PERSON_PRONOUN.sub(who, STEPS.sub(years[0] + "年" if years else "", dated), count=1),
                        "person"))
    thing = THING_PRONOUN.search(rest)
    if thing and frame:  # 这个经验具体是什么 → 西山煤电的3110帮扶经验具体是什么
        after = rest[thing.end():]
        shared = next((k for k in (3, 2, 1) if len(after) >= k and frame.endswith(after[:k])), 0)
        out.append((rest[:thing.start()] + frame + after[shared:], "thing"))
    named = subject_of(prev, fact_text, names, article, kinds=("organizations", "places", "people"))
    if thing and named and named not in HOME:  # 这个经验省总在哪推广的 → 西山煤电经验省总在哪推广的
        out.append((rest[:thing.start()] + named + rest[thing.end():], "thing"))
    # What a bare follow-up asks: 效果呢 asks how it went, whatever the previous question asked.
    tail = "" if ASK.search(rest) else "怎么样" if re.match(r"(效果|结果|影响|成效|作用|反响)", bare) else asked_tail(prev)
    noun = re.sub(r"(的|级|一级|那边|这边|方面|那块|这块)+$", "", bare)
    if noun and not ASK.search(noun) and not _BARE.match(noun):
        span = counterpart(prev, noun)  # 五星级基层工会呢 → 五星级基层工会有多少个
        if span and span != noun:
            out.append((prev.replace(span, noun, 1), "swap"))
        counted = re.search(r"(多少|几)[个项名人条家次场]?([\u4e00-\u9fff]{2,8})$", prev)
        if counted and noun != counted.group(2) and len(noun) <= 8:  # 会员呢 → …新增多少会员
            out.append((prev[:counted.start(2)] + noun, "attribute"))
        if len(noun) <= 4:
            out += [(r, "swap") for r in swap_lead(prev, noun)]  # 乡镇的呢 → 乡镇帮扶中心有多少个
    if WHY_HOW.search(rest) and bare:  # 后来怎么扭转的 → 首钢长钢一度到了停产边缘后来怎么扭转的
        gist = gist_of(prev)
        if gist and gist not in bare:
            out.append((f"{gist}{bare}{tail}", "frame"))
    if frame and bare and frame not in bare:  # 为啥要这么做 → 长钢的民主评议会为啥要这么做
        out.append((f"{frame}{bare}{tail}", "frame"))
    subject = subject_of(prev, fact_text, names, article)
    heads = (topic(prev, article), subject, fact_topic(fact_text), object_of(prev, article))
    for head in dict.fromkeys(h for h in heads if h):
        if bare and head not in bare:  # another attribute of the same subject: 人数呢
            out.append((f"{head}{bare}{tail}", "topic"))
    if len(re.sub(r"[^\u4e00-\u9fff]", "", YEAR.sub("", bare))) >= 4 and (ASK.search(bare) or _BARE.search(bare)):
        out.append((text, "self"))  # read as it stands, last: it may stand alone after all
    # A follow-up that names its own date or year replaces the previous one: a reading that
    # keeps both (…1月5日得2012年2月20日…) is not one.
    new_dates, new_years = DATE.findall(rest), YEAR.findall(rest)
    stale = ([d for d in DATE.findall(prev) if new_dates and d not in rest]
             + [y for y in prev_years if new_years and y not in new_years])
    seen, unique = set(), []
    for reading, rule in out:
        if rule != "arith" and any(d in reading for d in stale):
            continue
        if reading and reading != prev and reading not in seen:
            seen.add(reading)
            unique.append((reading, rule))
    return unique


# Readings that keep the previous question's shape: they become the chat's context in turn.
SHAPED = frozenset({"year", "name", "person", "thing", "swap", "attribute", "self"})  # not arith: 那2012年呢 after a sum
# Which reading wins when several are answered: the most specific rule first (then the
# verifier's probability); the follow-up read on its own only when no reading of it in
# context is answered.
PRIORITY = {"arith": -1, "effect": 1, "attribute": 1, "year": 0, "name": 0, "person": 0, "thing": 0, "swap": 1, "frame": 2, "topic": 2, "self": 3}


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

    def remember(self, chat: str, question: str, facts: tuple[str, ...], followup: bool, read: str = "") -> None:
        """Keep an answered question as the chat's context (a follow-up extends the chain);
        `read`: how the message was read when that is not `question` itself."""
        with self._lock:
            before = self._turns.get(chat)
            count = before.followups + 1 if followup and before else 0
            earlier = (before.read or before.question) if followup and before else ""
            self._turns[chat] = Turn(question, facts, self.clock(), count, read or question, earlier)
            self._turns.move_to_end(chat)
            while len(self._turns) > self.chats:
                self._turns.popitem(last=False)

    def clear(self, chat: str) -> None:
        with self._lock:
            self._turns.pop(chat, None)

    def __len__(self) -> int:
        return len(self._turns)
