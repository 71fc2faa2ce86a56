"""Reading Chinese questions and facts: words, names, rarity, and what a question asks for."""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.lexical import toneless_pinyin
from bot.knowledge.lexicon import posseg, word_frequency

YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_EN = re.compile(r"[a-z]+")
# Function words, question words and fillers: they name nothing, so they never count as
# uncovered (jieba's rarity would weigh some of them heavily).
STOPWORDS = frozenset("""
的 了 吗 呢 啊 呀 吧 嘛 么 哦 哈 是 有 在 和 与 及 跟 同 并 都 也 还 就 又 才 那 这 那个 这个 那些 这些 哪个 哪些 哪
什么 多少 几 几个 多 少 怎么 怎样 怎么样 如何 为什么 为啥 为何 咋 啥 谁 哪里 哪儿 何时 什么时候 请问 一下 一共
总共 共 大概 大约 到底 究竟 现在 目前 当时 个 我 你 他 她 它 我们 你们 他们 咱 咱们 能 会 要 得 给 被 把 对 从 到
以 为 中 上 下 里 后 前 过 着 地 一 不 没 没有 可以 知道 告诉 问 说 讲 想 请 呗 嗯 啦 喽 各 每 其 该 此 之 所
差不多 大概 大约 左右 前前后后 到底 究竟 听说 好像 是不是 有没有 能不能 是否 具体 一下子 还是 或者 那么 这么 那样 这样
a an the of in on at to for from by with and or is are was were be been do does did what which who whom whose
when where why how many much there their its it this that these those has have had can could will would
""".split())
# What a question asks for; a fact "states" an ask when it can answer it (see `states`).
ASKS = {
    "when": re.compile(r"什么时候|何时|哪一?年|哪一?天|几月|几号|哪个月|日期|\bwhen\b|what year|what date"),
    "where": re.compile(r"哪里|哪儿|在哪|何地|什么地方|哪个(市|县|地方|城市|省)|\bwhere\b"),
    "person": re.compile(r"谁|哪位|什么人|哪些人|叫什么名字|名字|\bwho\b|\bwhom\b"),
    "org": re.compile(r"哪个(单位|部门|企业|公司|集团|机构|组织)|哪家|什么(单位|部门|机构|组织)|which (company|organi)"),
    "count": re.compile(r"多少|几[^乎]|how many|how much|number of"),
    "breakdown": re.compile(r"其中|分别|分布|各(个|自)?(市|县|区|单位|企业|行业)|男女|占.{0,4}(多少|比例|百分之)|多少是|"
                            r"\d+[^，,。？?]{0,10}(中|里|当中)[^，,。？?]{0,10}(多少|几)"),
    "why": re.compile(r"为什么|为啥|为何|原因|目的|\bwhy\b"),
    # A person's particulars, which the article never gives (age, origin, schooling, contact).
    "personal": re.compile(r"哪里人|哪儿人|哪的人|籍贯|老家|出生|多大年纪|多大岁数|多大了|年龄|几岁|岁数|毕业于|"
                           r"哪个学校|电话|手机|联系方式|住址|家住|邮箱|\bhow old\b|\bborn\b|hometown|phone number"),
    "detail": re.compile(r"具体|详细|内容是|写了(什么|啥)|说了(什么|啥)|都叫什么|叫什么名字|全称|哪几[项个条种]|哪两[项个条种]"),
    # The items of something the fact may only count: 10项救助金是哪十项, 四权是哪四权.
    "list": re.compile(r"哪[几两二三四五六七八九十\d]+[项个种条类件方面权站句]?|具体是哪些|都有哪些|都是哪些|分别是(什么|哪)|"
                       r"都是什么|都叫什么|包括哪些|有哪些|哪些方面|\bwhich (ones|items)\b|\blist\b"),
    "how": re.compile(r"怎么(?!样)|怎样(?!了)|如何|咋(?!样)|什么(办法|措施|方法|做法|方式)|\bhow\b(?! (many|much))"),
    "effect": re.compile(r"效果|成效|结果|影响|作用|成果|成绩|怎么样|咋样|好不好|\boutcome|\bresult|\beffect"),
}
_STATES = {
    "when": re.compile(r"\d+年|\d+月|\d+日|今年|去年|近年|以来|期间|月份"),
    "count": re.compile(r"\d|[一二两三四五六七八九十百千万]+[个项次人名届条场家批种级大]"),
    # items with their figures, or a figure before and after a change (从将近1000个压缩为292个)
    "breakdown": re.compile(r"其中|分别|\d.{0,12}、.{0,12}\d|从[^，,。]{0,12}\d[^，,。]{0,16}(到|为|至)[^，,。]{0,4}\d"),
    "why": re.compile(r"为了|因为|由于|旨在|目的|为此|针对|为.{1,12}(而|，)"),
    "detail": re.compile(r"[^、]{1,12}、[^、]{1,12}、|“[^”]{2,40}”|[:：]"),
    "list": re.compile(r"[^、，。]{1,16}、[^、，。]{1,16}、|一是.{2,40}二是|[:：].{2,30}[；;]"),
    "how": re.compile(r"通过|采取|实行|实施|坚持|推行|建立|开展|以.{1,20}为|办法|措施|制度|机制|做法"),
    "effect": re.compile(r"使|成效|效果|好转|提高|下降|降低|增加|推广|肯定|赞誉|实现|达到|获得|荣获|被授予|"
                         r"优化|增强|改善|改观|提升|见效|扭亏|繁荣"),
}
_ORG = re.compile(r"工会|集团|公司|煤矿|煤业|部门|单位|委员会|省总|全总|政府|厅|局|新华社|报")
# A name directly before one of these is an organisation's name (太钢工会, 晋煤集团).
_ORG_KIND = re.compile(r"(集团|公司|煤矿|煤业|钢铁|大学|银行|医院|协会|工会|矿务局)")
_PROPER = ("nr", "ns", "nt", "nz")
_NOT_A_NAME = re.compile(r"[个这那哪些么什啥多少几每各全该本此们里上下中省市县]")
_MAX_IDF = 17.0
# The kind of figure a question asks for, by the measure word after 多少/几 (or a phrase).
_UNITS = (
    ("people", re.compile(r"(多少|(?<!好)几)(个|位)?(人|名|号人)|\bhow many (people|workers)\b")),
    ("money", re.compile(r"(多少|几)[^，,。？?\s年月]{0,3}?(钱|资金|经费|会费|费用|收入|元|工资|奖金|利润)|"
                         r"花了多少|赚了?多少|挣了?多少|盈利|亏损?了?多少|\bhow much (money|funding)\b")),
    ("rate", re.compile(r"百分之几|百分比|几比几|多大比例|什么比例|比例是|每[^，,。？?]{1,12}(多少|几)|"
                        r"\bpercentage\b|\bratio\b|\bper\b")),
    ("household", re.compile(r"(多少|(?<!好)几)(户|家庭)")),
    ("date", re.compile(r"什么时候|何时|哪一?年|哪一?天|几月|几号|哪个月|\bwhen\b|\bwhat year\b")),
    ("count", re.compile(r"(多少|(?<!好)几)(个|项|条|场|次|回|届|座|所|家|批|种|处|篇|份|件)")),
)
_PEOPLE_NOUN = re.compile(r"(多少|(?<!好)几)(个|位|名)?[^，,。？?\s年月]{0,3}?(会员|职工|工人|人|劳模|干部|代表|学生)")
_ORDINAL = re.compile(r"第(几|多少)")
_NUM = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千万]+)[余多]?[万亿]?[余多]?"
_FIGURES = (
    ("people", re.compile(_NUM + r"(人次|人|名|位)")),
    ("money", re.compile(_NUM + r"元")),
    ("rate", re.compile(r"\d%|\d:\d|\d\.\d|比例|百分")),
    ("date", re.compile(r"\d+(年|月|日|号)|月份|[一二三四五六七八九十]+月")),
    ("count", re.compile(_NUM + r"(个|项|条|场|次|届|座|所|家|批|种|处|篇|级|工种|方面)")),
)


# An interrogative before the noun it asks about: 哪个行业, 什么措施, 哪家企业.
_WHICH = re.compile(r"^(哪|哪个|哪些|哪家|哪位|哪种|哪类|哪项|哪一个|哪一家|哪几个|哪几项|哪两项|哪两个|什么|啥)$")
_FUNCTION_BEFORE = set("了的在和与、是为对及把被从给向以,，。;；:：“”\"（(")


@dataclass(frozen=True)
class Reading:
    """A normalised text cut into words, with jieba's part-of-speech tags."""

    text: str
    tokens: tuple[tuple[str, str], ...]   # (word, tag) for every word, punctuation included
    words: list[str]                      # the content words, once each, in order
    nouns: frozenset[str]                 # those of them tagged as nouns (n…, vn)
    which: str = ""                       # the noun an interrogative asks about (哪个行业 → 行业)


# 几场, 多少个, 几年: a question word with its measure word asks, it names nothing.
_ASKING = re.compile(r"^(几|多少)[个项次条场届名人位家座所批种处篇份件回年月天号岁倍块]?$")


@functools.lru_cache(maxsize=2048)
def read(text: str) -> Reading:
    """jieba's reading of a normalised text (remembered: the same question is read once; the
    facts' own questions, which suggestions check, and the recent questions fit)."""
    tokens = tuple((w.word, w.flag) for w in posseg().cut(text))
    words = [w for w, _ in tokens if w.strip() and w not in STOPWORDS and not _ASKING.match(w)
             and (_CJK.fullmatch(w) or (_EN.fullmatch(w) and len(w) > 2))]
    nouns = frozenset(w for w, t in tokens if w in words and t.startswith(("n", "vn")))
    which = ""
    for i, (word, _) in enumerate(tokens[:-1]):
        nxt, tag = tokens[i + 1]
        if _WHICH.match(word) and _CJK.fullmatch(nxt) and tag.startswith(("n", "vn")) and nxt not in STOPWORDS:
            which = nxt
            break
    return Reading(text, tokens, list(dict.fromkeys(words)), nouns, which)


def named_in(noun: str, text: str) -> int:
    """How a text mentions a noun a question asks "which" of: 0 not at all, 1 only as the
    bare word (召开了行业…), 2 with something naming it (常村煤矿, 钢铁行业)."""
    found = 0
    for m in re.finditer(re.escape(noun), text):
        before = text[m.start() - 1] if m.start() else ""
        found = max(found, 1 if not before or before in _FUNCTION_BEFORE else 2)
    return found


def org_names_in(reading: Reading) -> list[str]:
    """Words directly before an organisation's kind (王庄煤矿 → 王庄, 太原地铁公司 → 地铁)."""
    tokens = reading.tokens
    return [w for i, (w, _) in enumerate(tokens[:-1]) if len(w) >= 2 and _CJK.fullmatch(w)
            and not _NOT_A_NAME.search(w) and not _ORG_KIND.fullmatch(w) and _ORG_KIND.fullmatch(tokens[i + 1][0])]


# A word this common in general Chinese (jieba's count) is a word, not a name.
COMMON_NAME = 800


def names_in(reading: Reading) -> list[str]:
    """Names a text uses: jieba's proper nouns, and the word (or two characters) before an
    organisation's kind (晋煤集团 → 晋煤, 太原地铁公司 → 地铁)."""
    out, tokens = [], reading.tokens
    for i, (word, tag) in enumerate(tokens):
        if not _CJK.fullmatch(word) or _NOT_A_NAME.search(word) or _ORG_KIND.fullmatch(word):
            continue
        nxt = tokens[i + 1][0] if i + 1 < len(tokens) else ""
        if len(word) >= 2 and (tag.startswith(_PROPER) or _ORG_KIND.fullmatch(nxt)):
            out.append(word)
    for m in re.finditer(r"([\u4e00-\u9fff]{2})" + _ORG_KIND.pattern, reading.text):
        name = m.group(1)
        if not _NOT_A_NAME.search(name) and word_frequency(name) < COMMON_NAME:
            out.append(name)
    return list(dict.fromkeys(out))


@functools.lru_cache(maxsize=65536)
def idf(word: str) -> float:
    """Rarity of a word in general Chinese (jieba's counts), scaled to [0, 1]."""
    if _EN.fullmatch(word):
        return 0.35  # jieba does not count English words: a middling weight
    return min(_MAX_IDF, math.log(60_000_000 / (word_frequency(word) + 1))) / _MAX_IDF


def bigrams(text: str) -> set[str]:
    return {run[i:i + 2] for run in _CJK.findall(text) for i in range(max(1, len(run) - 1))}


@functools.lru_cache(maxsize=65536)
def syllables(text: str) -> str:
    """Toneless pinyin of the Chinese in `text`, space-separated and padded, for homophone
    matching on syllable boundaries (公会 → ' gong hui ')."""
    return " " + " ".join(s for run in _CJK.findall(text) for s in toneless_pinyin(run)) + " "


def sounds_in(word: str, pinyin_text: str) -> bool:
    """Whether a Chinese word's syllables occur, in order, in `pinyin_text` (a homophone typo)."""
    return len(word) >= 2 and bool(_CJK.fullmatch(word)) and syllables(word) in pinyin_text


def neighbours(word: str, text: str) -> list[str]:
    """For a one-character word, the two-character windows of `text` around it: a typo often
    makes jieba cut a word apart (民主平议会 → 平), and the window 平议 sounds like 评议."""
    if len(word) != 1:
        return []
    out = []
    for m in re.finditer(re.escape(word), text):
        out += [text[i:i + 2] for i in (m.start() - 1, m.start()) if i >= 0 and _CJK.fullmatch(text[i:i + 2] or "x")]
    return out


def unit_of(question: str) -> str | None:
    """The kind of figure a normalised question asks for (people, money, rate, date, count)."""
    unit = next((name for name, rx in _UNITS if rx.search(question)), None)
    if unit is None and _PEOPLE_NOUN.search(question):
        unit = "people"
    return None if _ORDINAL.search(question) else unit


# A figure as a question quotes it: a number with its unit, not a year, date or span of years.
_QUOTED_FIGURE = re.compile(r"(?<!第)(?<![\d.])(\d+(?:\.\d+)?)(?:多|余)?(?:万|亿)?(?:个|项|名|人|场|次|条|家|所|届|元|%|种|批|处)")


def quoted_figures(text: str) -> set[str]:
    """The numbers a text gives with a unit (67项 → 67, 30多人 → 30), dates and periods aside."""
    return set(_QUOTED_FIGURE.findall(text))


def figure_classes(text: str) -> set[str]:
    """The kinds of figure a fact's statement gives (people, money, rate, date, count)."""
    return {name for name, rx in _FIGURES if rx.search(text)}


def states(text: str, article: "Article") -> set[str]:
    """Which kinds of question (ASKS) a fact's normalised text can answer."""
    out = {k for k, rx in _STATES.items() if rx.search(text)}
    if any(p in text for p in article.places) or re.search(r"在.{1,10}(召开|举行|举办|推广|建立|成立|设立|开展)", text):
        out.add("where")
    if any(p in text for p in article.people):
        out.add("person")
    if any(o in text for o in article.organizations) or _ORG.search(text):
        out.add("org")
    return out


@functools.lru_cache(maxsize=1)
def places() -> tuple[str, ...]:
    """Places that matter for scope: every line of bot/data/places.txt."""
    path = Path(__file__).resolve().parent.parent / "data" / "places.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(ln.strip() for ln in lines if ln.strip() and not ln.startswith("#"))


class Article:
    """The article's own words and the people, places and organisations it names (from
    facts/meta.yaml), for telling 'not in the article' from a typo. Built once at index time
    (`of`) and stored with the index (`to_json`/`from_json`)."""

    def __init__(self, text: str, pinyin: str, words: list[str], people, places, organizations):
        self.text, self.pinyin, self.words = text, pinyin, words
        self.people, self.places, self.organizations = tuple(people), tuple(places), tuple(organizations)
        self.names = self.people + self.places + self.organizations
        # Names of three or more characters, for one-character typos (申记兰 → 申纪兰).
        self._masked = {n[:i] + "?" + n[i + 1:] for n in self.names if len(n) >= 3 for i in range(len(n))}

    @classmethod
    def of(cls, text: str, meta) -> "Article":
        return cls(text, syllables(text), read(text).words, meta.people, meta.places, meta.organizations)

    def to_json(self) -> dict:
        return {"text": self.text, "pinyin": self.pinyin, "words": self.words, "people": self.people,
                "places": self.places, "organizations": self.organizations}

    @classmethod
    def from_json(cls, d: dict) -> "Article":
        return cls(d["text"], d["pinyin"], d["words"], d["people"], d["places"], d["organizations"])

    def knows(self, word: str) -> bool:
        """The article uses `word`, or a word that sounds the same or differs in one character,
        or (three characters or more) the word without its first or last character (压缩成 → 压缩;
        not further: 党组书记 is not known for 书记)."""
        if word in self.text or sounds_in(word, self.pinyin):
            return True
        if len(word) < 3 or not _CJK.fullmatch(word):
            return False
        if any(word[:i] + "?" + word[i + 1:] in self._masked for i in range(len(word))):
            return True
        return any(w in self.text or sounds_in(w, self.pinyin) for w in (word[:-1], word[1:]))
