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
from difflib import SequenceMatcher

from bot.lexicon import cut, posseg
from bot.pipeline.arithmetic import COMPARE, DIFFERENCE, RATIO, TOTAL, operation
from bot.pipeline.parts import YEAR_RUN, items, topic
from bot.pipeline.text import YEAR, read

# A message that leans on the previous one: 那…, …呢, pronouns, bare why/how/effect.
_LEAD = re.compile(r"^(那|那么|那要是|那如果|还有|再问|另外|然后|接着|同年|当年|前一年|后一年|上一年|下一年|再往前|"
                   r"and\b|what about|how about)")
_TAIL = re.compile(r"(呢|的呢|嘞|咧|勒|啦|呀|吧|捏)$")
_PRONOUN = re.compile(r"他们|她们|它们|他|她|它|这个|那个|这项|那项|这次|那次|这些|那些|这里|那里|这事|那事|这件事|"
                      r"这么做|这样做|这么搞|这办法|这个办法|该|此|其|这一|那一|这家|那家|这位|那位|这种|那种|这类|那类|"
                      r"这样的|那样的")
_BARE = re.compile(r"^(为什么|为啥|为何|怎么|咋|如何|具体|后来|结果|效果|影响|有啥|有什么)")
_EFFECT = re.compile(r"效果|结果|成效|影响|作用|反响")
# Words that name no subject: when, how far, and doing in general (运行以后, 实施以来).
_GENERIC = re.compile(r"运行|实施|实行|开展|推行|推广|搞|做|以后|之后|以来|后来|起来|到底|现在|目前|总体|整体|有|的|了|得|要|呢|啊|吗|样|怎|咋|么|如何")
_PERSON_PRONOUN = re.compile(r"他们|她们|他|她|这位|那位")
_THING_PRONOUN = re.compile(r"它们|它|这个|那个|这项|那项|这些|那些|这事|那事|这件事|这种|那种|这类|那类|该|此|其")
_FILLER = re.compile(r"^(ok|好的|那么|那要是|那如果|那|还有|再问|另外|然后|接着)\s*|(的呢|呢|嘞|咧|勒|啦|呀|吧|捏)$")
_ASK = re.compile(r"多少|几|什么|啥|哪|谁|吗|如何|怎么|怎样|咋|是否|有没有|when|what|how|who|where|which")
_RELATIVE_YEARS = {"今年": 0, "去年": 1, "前年": 2, "明年": -1, "后年": -2}
# Years counted from the previous question's: 前一年, 再往前一年, 同年.
_STEP_YEARS = (("再往前一年", -1), ("往前一年", -1), ("前一年", -1), ("上一年", -1), ("后一年", 1), ("下一年", 1),
               ("第二年", 1), ("次年", 1), ("同年", 0), ("当年", 0), ("那年", 0), ("那一年", 0))
# Where the article itself is: never "another place".
_HOME = ("山西", "全省", "全国")


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
    if _TAIL.search(core) or _PRONOUN.search(text):
        return LEANS
    if _LEAD.search(text):  # 那…: leans, unless a whole question of its own follows (那2012年长钢利润多少)
        own = [w for w in read(_LEAD.sub("", text)).words if not YEAR.search(w)]
        return MAY_LEAN if _ASK.search(text) and len(own) >= 2 and sum(map(len, own)) >= 4 else LEANS
    if _BARE.match(core) and len(core) <= 10:
        return LEANS
    if operation(core) and (len(_own_item(core)) < 2 or re.match(r"(再|还)?(加上|算上|跟|比|和|与|同)", core)):
        return LEANS  # 多多少, 2012年比2011年少了多少, 加上发明创造呢: arithmetic over what was just asked
    if len(core) <= 5 and not YEAR.search(core) and not _ASK.search(core):
        return LEANS
    own = [w for w in read(text).words if not YEAR.search(w)]
    if sum(map(len, own)) <= 3:
        return LEANS
    if _EFFECT.search(core) and not re.sub(r"[^\u4e00-\u9fff]", "", _ASK.sub("", _GENERIC.sub("", _EFFECT.sub("", core)))):
        return LEANS  # 运行以后效果咋样: the effect of nothing it names
    named = [n for n in names if n not in _HOME]
    if previous and any(n in previous for n in named) and not any(n in text for n in named):
        return MAY_LEAN
    return STANDS


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
    prev_years = YEAR.findall(prev)
    years = _years(text, year, prev_years)
    if operation(text):  # 2011年比它多了多少个, 跟五星级基层工会加起来呢, 多多少
        out += [(r, "arith") for r in _arithmetic(prev, rest, years, prev_years,
                                                                (previous.earlier, previous.read))]
    plain = _STEPS.sub("", YEAR.sub("", rest)).strip("的年 ")  # what the follow-up adds beyond a year
    new_date, old_date = _DATE.search(rest), _DATE.search(prev)
    if new_date and old_date and "月" in new_date.group(0) + old_date.group(0):  # 那4月份呢, 那2009年呢 after 6月
        date = _dated(new_date.group(0), prev_years)
        again = prev[:old_date.start()] + date + prev[old_date.end():]
        out.append((again, "year"))
        # The month of another event may be elsewhere: 6月那次呢 after …在长钢开了个什么会.
        where = _named(again, names)
        if where:
            out.append((re.sub(rf"(在|于|到)?({'|'.join(map(re.escape, where))})", "", again), "year"))
    if years and prev_years:  # another year or period: 那2011年呢; 2009到2012呢 after 2006年到2012年
        new_span, old_span = list(dict.fromkeys(years)), list(dict.fromkeys(prev_years))
        again = (YEAR.sub(lambda m: dict(zip(old_span, new_span)).get(m.group(0), m.group(0)), prev)
                 if 2 <= len(new_span) == len(old_span) else _replace_years(prev, prev_years, years[0]))
        out.append((again, "year"))
        swapped = _swap_attribute(again, plain) if plain and not _ASK.search(plain) else ""
        if swapped:  # 那2013年的主题呢 after …2012年组建月的重点是啥 → 2013年组建月的主题是啥
            out.append((swapped, "year"))
        if plain and plain not in again:  # 那2012年的重点呢 → 2012年组建月的重点是什么
            out.append((f"{topic(again, article) or years[0] + '年'}的{plain}" + ("" if _ASK.search(plain) else "是什么"),
                        "topic"))
    elif years and not (plain and _ASK.search(plain)):  # not 会上把2013年定为什么年: it asks its own thing
        out.append((f"{years[0]}年{prev}", "year"))
    for kind in ("places", "people", "organizations"):  # another subject of the same kind: 阳泉那次呢
        new = [n for n in names.get(kind, ()) if n in rest and n not in _HOME]
        old = [n for n in names.get(kind, ()) if n in prev and n not in rest and n not in _HOME]
        if new and old:
            out.append((prev.replace(max(old, key=len), max(new, key=len)), "name"))
        elif new and kind == "places":  # a place where the previous question implied Shanxi: 那广东呢
            out.append((max(new, key=len) + prev, "name"))
    bare = _strip_pronoun(rest)
    frame = _frame(prev)
    if _PERSON_PRONOUN.search(rest):  # 他是干哪一行的 → 贾向东是干哪一行的; 他们 may be an organisation
        who = (_subject(prev, fact_text, names, article, kinds=("people",))
               or _subject(prev, fact_text, names, article, kinds=("organizations",)))
        if who:
            dated = _DATE.sub(lambda m: _dated(m.group(0), prev_years), rest) if not YEAR.search(rest) else rest
            out.append((_PERSON_PRONOUN.sub(who, _STEPS.sub(years[0] + "年" if years else "", dated), count=1),
                        "person"))
    thing = _THING_PRONOUN.search(rest)
    if thing and frame:  # 这个经验具体是什么 → 西山煤电的3110帮扶经验具体是什么
        after = rest[thing.end():]
        shared = next((k for k in (3, 2, 1) if len(after) >= k and frame.endswith(after[:k])), 0)
        out.append((rest[:thing.start()] + frame + after[shared:], "thing"))
    named = _subject(prev, fact_text, names, article, kinds=("organizations", "places", "people"))
    if thing and named and named not in _HOME:  # 这个经验省总在哪推广的 → 西山煤电经验省总在哪推广的
        out.append((rest[:thing.start()] + named + rest[thing.end():], "thing"))
    # What a bare follow-up asks: 效果呢 asks how it went, whatever the previous question asked.
    tail = "" if _ASK.search(rest) else "怎么样" if re.match(r"(效果|结果|影响|成效|作用|反响)", bare) else _asked(prev)
    noun = re.sub(r"(的|级|一级|那边|这边|方面|那块|这块)+$", "", bare)
    if noun and not _ASK.search(noun) and not _BARE.match(noun):
        span = _counterpart(prev, noun)  # 五星级基层工会呢 → 五星级基层工会有多少个
        if span and span != noun:
            out.append((prev.replace(span, noun, 1), "swap"))
        counted = re.search(r"(多少|几)[个项名人条家次场]?([\u4e00-\u9fff]{2,8})$", prev)
        if counted and noun != counted.group(2) and len(noun) <= 8:  # 会员呢 → …新增多少会员
            out.append((prev[:counted.start(2)] + noun, "attribute"))
        if len(noun) <= 4:
            out += [(r, "swap") for r in _swap_lead(prev, noun)]  # 乡镇的呢 → 乡镇帮扶中心有多少个
    if _WHY_HOW.search(rest) and bare:  # 后来怎么扭转的 → 首钢长钢一度到了停产边缘后来怎么扭转的
        gist = _gist(prev)
        if gist and gist not in bare:
            out.append((f"{gist}{bare}{tail}", "frame"))
    if frame and bare and frame not in bare:  # 为啥要这么做 → 长钢的民主评议会为啥要这么做
        out.append((f"{frame}{bare}{tail}", "frame"))
    subject = _subject(prev, fact_text, names, article)
    for head in dict.fromkeys(h for h in (topic(prev, article), subject, _fact_topic(fact_text)) if h):
        if bare and head not in bare:  # another attribute of the same subject: 人数呢
            out.append((f"{head}{bare}{tail}", "topic"))
    if len(re.sub(r"[^\u4e00-\u9fff]", "", YEAR.sub("", bare))) >= 4 and (_ASK.search(bare) or _BARE.search(bare)):
        out.append((text, "self"))  # read as it stands, last: it may stand alone after all
    seen, unique = set(), []
    for reading, rule in out:
        if reading and reading != prev and reading not in seen:
            seen.add(reading)
            unique.append((reading, rule))
    return unique


# Readings that keep the previous question's shape: they become the chat's context in turn.
SHAPED = frozenset({"year", "name", "person", "thing", "swap", "attribute", "self"})  # not arith: 那2012年呢 after a sum
# Which reading wins when several are answered: the most specific rule first (then the
# verifier's probability); the follow-up read on its own only when no reading of it in
# context is answered.
PRIORITY = {"arith": -1, "attribute": 1, "year": 0, "name": 0, "person": 0, "thing": 0, "swap": 1, "frame": 2, "topic": 2, "self": 3}


_STEPS = re.compile("|".join(w for w, _ in _STEP_YEARS))
# A date as questions write it: 2012年1月5日, 今年3月25号, 4月份, 同年2月20日, 2009年.
_DATE = re.compile(rf"(?:(?:19|20)\d\d年|今年|去年|{_STEPS.pattern})?\d{{1,2}}月份?(?:\d{{1,2}}[日号])?|"
                   r"(?:19|20)\d\d年|今年|去年")
# What an arithmetic follow-up says besides its new item: the operation, the words that tie it
# to the previous question (比它, 跟, 加上), and a bare unit.
_OPERATION = re.compile("|".join(rx.pattern for rx in (DIFFERENCE, RATIO, TOTAL, COMPARE)))
_TIES = re.compile(r"^(再|还)?(比|跟|和|与|同|加上|加|算上|从|到|至)|^(再|还)|(比|跟|和|与|同)?(它|他们|它们|这个|那个|上一个|前面的?)|"
                   r"(相比|比起来|一共|总共|是|有|的|了|呢|个|人|项|多少|几)+$|total|\?")
# The words that ask for each operation, in the readings the rules build.
_ASKING = {"difference": "相差多少", "total": "一共多少", "ratio": "是几倍", "compare": "哪个多"}


def _pair(first: str, second: str, asking: str) -> list[str]:
    """One question over the items of two questions that differ in one place: 2010年…多少 and
    2011年…多少 → 2010年和2011年…多少，哪年多; 全国劳模评了多少 and 五一劳动奖章评了多少 → 全国劳模和五一
    劳动奖章评了，一共多少."""
    years_1, years_2 = YEAR.findall(first), YEAR.findall(second)
    if years_1 and years_2 and years_1[0] != years_2[0]:
        return [f"{_with_years(first, years_1[0], sorted({years_1[0], years_2[0]}, key=int))}，{asking}"]
    words_1, words_2 = cut(first), cut(second)
    changes = [op for op in SequenceMatcher(None, words_1, words_2, autojunk=False).get_opcodes() if op[0] != "equal"]
    if len(changes) != 1 or changes[0][0] != "replace":
        return []
    _, i1, i2, j1, j2 = changes[0]
    joined = "".join(words_1[:i1]) + "".join(words_1[i1:i2]) + "和" + "".join(words_2[j1:j2]) + "".join(words_1[i2:])
    bare = re.sub(r"(有|是)?(多少|几)[个项人名场次条家]?$", "", joined)
    if bare == joined:
        bare = re.sub(r"多少|几", "", joined, count=1)
    return [bare + asking]


def _counterpart(question: str, item: str) -> str:
    """The span of `question` that a new item of the same kind replaces: the one its first two or
    three characters and its last one or two frame (五星级乡镇(街道)工会 for 五星级基层工会); '' if none."""
    start = next((k for k in (3, 2) if len(item) > k and item[:k] in question), 0)
    if not start:
        return ""
    begin = question.find(item[:start])
    end = next((k for k in (2, 1) if question.rfind(item[-k:]) >= begin + start), 0)
    return question[begin:question.rfind(item[-end:]) + end] if end else ""


def _dated(date: str, prev_years: list[str]) -> str:
    """A follow-up's date with the previous question's year where it names none or a relative
    one: 2月20号 → 2012年2月20号, 同年2月20日 → 2012年2月20日."""
    for word, step in _STEP_YEARS:
        if date.startswith(word) and prev_years:
            return f"{int(prev_years[0]) + step}年" + date[len(word):]
    if prev_years and not YEAR.search(date) and not date.startswith(("今年", "去年")) and "月" in date:
        return f"{prev_years[0]}年{date}"
    return date


def _named(text: str, names: dict, kinds: tuple[str, ...] = ("places", "organizations")) -> list[str]:
    """The article's names of `kinds` that a text names, longest first, except the article's home."""
    return sorted((n for kind in kinds for n in names.get(kind, ()) if n in text and n not in _HOME),
                  key=len, reverse=True)


def _own_item(text: str) -> str:
    """What an arithmetic message names besides years, the operation and its ties (发明创造 in
    加上发明创造一共多少; '' in 2012年比2011年少了多少)."""
    item = _TIES.sub("", re.sub(r"\d+年?|[一二三四五六七八九十两几]+年(来|间)?", "", _OPERATION.sub("", text))).strip(" ，,")
    return _TIES.sub("", item).strip(" ，,")


def _arithmetic(prev: str, rest: str, years: list[str], prev_years: list[str],
                last_two: tuple[str, str] = ("", "")) -> list[str]:
    """Readings of an arithmetic follow-up over the previous question and the item it adds:
    2011年比它多了多少个 → 2010年和2011年…，相差多少; 跟五星级基层工会加起来呢 → 五星级乡镇工会和
    五星级基层工会一共多少; 多多少 after "A和B哪个多" → A和B相差多少. The engine computes it."""
    op = operation(rest)
    asking = _ASKING[op] if op != "compare" else COMPARE.search(rest).group(0)
    new_years = [y for y in dict.fromkeys(years) if y not in prev_years]
    if prev_years and new_years:
        span = re.search(r"((?:19|20)\d\d)年?\s*(?:到|至|-|~)\s*((?:19|20)\d\d)", rest)
        # The follow-up's own years when it names two or more (那12年和13年加起来呢), else the
        # previous question's first year with the new one (2011年比它多了多少).
        chosen = sorted(set(new_years if len(new_years) >= 2 else prev_years[:1] + new_years), key=int)
        if span and op == "total":  # 2010到2013四年加起来: every year of the span
            chosen = [str(y) for y in range(int(span.group(1)), int(span.group(2)) + 1)]
        return [f"{_with_years(prev, prev_years[0], chosen)}，{asking}"]
    item = _own_item(rest)
    if _PRONOUN.search(item):  # 这些中心一共帮扶了多少: one quantity in total, not a second item
        return []
    if not item:  # the previous question named the items: 社区和企业帮扶站哪个多 → …相差多少
        if len(items(prev)) < 2:  # or the two last questions did: 2010年…？ 2011年呢？ 哪年多？
            return _pair(*last_two, asking) if all(last_two) else []
        found = _OPERATION.search(prev) or re.search(r"各|分别", prev)
        return [prev[:found.start()] + asking if found else f"{prev}，{asking}"]
    head = re.match(r"(\d+年来|近\d+年|近年来|今年|全省|山西省?|省总)*", prev).group(0)
    body = prev[len(head):]
    ask = re.search(r"有?(多少|几)", body)
    stem = body[:ask.start()] if ask else body
    # The previous item: the span of the stem that the new item's shared start and end frame
    # (五星级乡镇(街道)工会 for 五星级基层工会), else its first word (技术革新 for 发明创造).
    left = _counterpart(stem, item)
    if not left:  # the stem without the verbs that end it: 技术革新完成了 → 技术革新
        words = [(w.word, w.flag) for w in posseg().cut(stem)]
        while len(words) > 1 and words[-1][1][0] in "vudpy":
            words.pop()
        left = "".join(w for w, _ in words)
    if not left or left == item:
        return []
    return [f"{head}{left}和{item}{asking}"]


def _years(text: str, year: int, previous: list[str] = ()) -> list[str]:
    """The years a follow-up names: written out, relative to the article's year (去年), or
    relative to the previous question's (前一年, 同年)."""
    found = YEAR.findall(text)
    for word, back in _RELATIVE_YEARS.items():
        if word in text:
            found.append(str(year - back))
    for word, step in _STEP_YEARS:
        if word in text and previous:
            found.append(str(int(previous[0]) + step))
            break
    if not found:  # 11年 for 2011年; 12年和13年
        found = [f"20{y}" for y in re.findall(r"(?<!\d)(\d\d)(?=年|和|与|、|到|至)", text) if 6 <= int(y) <= year % 100]
    return found


def _with_years(question: str, old: str, years: list[str]) -> str:
    """The question with its year `old` replaced by a list of years: 2010年… → 2010年、2011年和2012年…"""
    listed = "、".join(f"{y}年" for y in years[:-1]) + f"和{years[-1]}年"
    run = next((m for m in YEAR_RUN.finditer(question) if old in m.group(0)), None)
    if run:  # the previous question's own list of years goes as a whole: 2010年和2011年…
        return question[:run.start()] + listed + question[run.end():]
    return _replace_years(question, [old], "#").replace("#年", listed).replace("#", listed)


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
        found = _named(source, names, kinds)
        if found:
            return found[0]
    return "" if kinds == ("people",) else topic(question, article)


_WHY_HOW = re.compile(r"(?<![定成作称])为什么|为啥|为何|怎么|如何|咋|效果|结果|成效|影响|作用|后来|反响")  # not 定为什么年
# The words a question asks with, and the particles after them (the gist keeps what it is about).
_ASKING_WORDS = re.compile(r"为什么|为啥|为何|是怎么|是如何|怎么样|怎么|如何|咋样|咋|是什么时候|什么时候|何时|哪一?年|哪一?天|"
                           r"在哪里?|哪里|是多少|多少|几[个项次场名人年]?|是什么|什么|是啥|啥|是谁|谁|是否|有没有|吗|呢")


def _gist(question: str) -> str:
    """The previous question without its asking words: 山西为啥要在煤矿建井口群众安全工作站 →
    山西要在煤矿建井口群众安全工作站 (what a why, how or effect follow-up goes on about)."""
    return re.sub(r"[的了是]+$", "", _ASKING_WORDS.sub("", question)).strip(" ,，")


def _swap_attribute(question: str, noun: str) -> str:
    """The question with the last noun before what it asks replaced by `noun` (a short noun
    phrase of the follow-up's own): 2013年组建月的重点是啥 + 主题 → 2013年组建月的主题是啥; '' if none."""
    if len(noun) > 6 or not re.fullmatch(r"[\u4e00-\u9fff]+", noun) or noun in question:
        return ""  # 那2012年的重点呢 after …以哪些行业为重点: it asks the same attribute
    head = _frame(question)
    nouns, pos = [], 0
    for token in posseg().cut(head):
        if token.flag.startswith(("n", "vn")) and token.word not in _HOME:
            nouns.append((pos, token.word))
        pos += len(token.word)
    if not nouns or nouns[-1][1] == noun:
        return ""
    start, word = nouns[-1]
    return question[:start] + noun + question[start + len(word):]


def _frame(question: str) -> str:
    """The previous question up to what it asked: 长钢的民主评议会是什么时候第一次召开的 → 长钢的民主评议会."""
    starts = [m.start() for m in (_ASK.search(question), _ASKING_WORDS.search(question)) if m]
    head = question[:min(starts)] if starts else question
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
    """The follow-up without the pronoun that stood for the previous subject (这么做 stays: it
    is the verb)."""
    return _PERSON_PRONOUN.sub("", _THING_PRONOUN.sub("", text)).strip() or text


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
