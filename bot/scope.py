"""What a question asks for (years, named things, the kind of figure), and whether a fact
can answer it. Used by `decide` to abstain on questions the article cannot answer."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from bot.lexicon import posseg, word_frequency
from bot.retrieve import YEAR

# Proper-noun tags of jieba: person, place, organisation, other proper noun, abbreviation.
_PROPER = {"nr", "ns", "nt", "nrt", "nrfg"}
_ORG_KIND = {"集团", "公司", "煤矿", "大学", "银行", "医院", "协会"}
# jieba's dictionary frequency above which a word is common, not a name (全省 12895, 太钢 20).
_COMMON_WORD_FREQ = 800
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_ORDINAL = re.compile(r"第(几|多少)")
# The two characters naming an organisation before its kind: 太钢工会, 建工集团, 晋煤集团.
_ORG_NAME = re.compile(r"([\u4e00-\u9fff]{2})(?:工会|集团|公司|煤矿|煤业|大学|银行|医院|协会)")
_NOT_A_NAME = re.compile(r"[个这那哪些么什啥多少几每各全该本此们里上下中]")
# Counting people: 多少会员 asks for a number of people even without a measure word.
_PEOPLE_NOUN = re.compile(r"(多少|(?<!好)几)(个|位|名)?[^，,。？?\s年月]{0,3}?(会员|职工|工人|人|劳模|干部|代表|学生)")
# The thing counted: 多少个X / 几项X (X cut at particles and punctuation).
_COUNTED = re.compile(r"(?:多少|(?<!好)几)(个|项|条|场|次|届|座|所|家|批|种|处|篇|份|件)"
                      r"([\u4e00-\u9fff]{2,10}?)(?=[的了吗呢啊呀吧？?，,。\s]|有|是|$)")
# Measure words that count the same kind of thing (318个乡镇工会 answers 有几家).
_MEASURES = ("个家座所处批", "项件种", "条", "场次回届", "篇份")
_QUESTION_WORDS = re.compile(r"多少|几|哪|什么时候|何时|谁|什么|啥|how many|how much|when|who|where|which|what")
# The kind of figure a question asks for, by the measure word after 多少/几 (or a phrase).
_UNIT_CLASSES = (
    ("people", re.compile(r"(多少|(?<!好)几)(个|位)?(人|名|号人)|\bhow many (people|workers)\b")),
    ("money", re.compile(r"(多少|几)[^，,。？?\s年月]{0,3}?(钱|资金|经费|会费|费用|收入|元)|花了多少|"
                         r"\bhow much (money|funding)\b")),
    ("rate", re.compile(r"百分之几|百分比|几比几|多大比例|什么比例|比例是|\bpercentage\b|\bratio\b")),
    ("household", re.compile(r"(多少|(?<!好)几)(户|家庭)")),
    ("date", re.compile(r"什么时候|何时|哪一?年|哪一?天|几月|几号|哪个月|\bwhen\b|\bwhat year\b")),
    ("count", re.compile(r"(多少|(?<!好)几)(个|项|条|场|次|回|届|座|所|家|批|种|处|篇|份|件)")),
)
_NUM = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千万]+)[余多]?[万亿]?[余多]?"
_FIGURE_CLASSES = (
    ("people", re.compile(_NUM + r"(人次|人|名|位)")),
    ("money", re.compile(_NUM + r"元")),
    ("rate", re.compile(r"\d%|\d:\d|\d\.\d|比例|百分")),
    ("date", re.compile(r"\d+(年|月|日|号)|月份|[一二三四五六七八九十]+月")),
    ("count", re.compile(_NUM + r"(个|项|条|场|次|届|座|所|家|批|种|处|篇|级|工种|方面)")),
)
# Words that set the scope of a figure: a fact about Shanxi does not answer for the nation.
SCOPE_WORDS = ("全国", "全世界", "世界", "中国")
COMPATIBLE = {"people": {"people"}, "money": {"money"}, "rate": {"rate"}, "household": set(),
              "date": {"date"}, "count": {"count", "people"}}


@dataclass(frozen=True)
class Ask:
    """What a normalised question asks: its years, named things and kind of figure."""

    years: frozenset[str]
    names: tuple[str, ...]      # every named thing: must be in the article
    anchors: tuple[str, ...]    # places and organisations: must be in the fact
    unit: str | None
    questions: int
    counted: str = ""           # the thing whose number is asked for (工作站 in 多少个工作站)
    measure: str = ""           # its measure word (个 in 多少个工作站)


@functools.lru_cache(maxsize=1)
def places() -> tuple[str, ...]:
    path = Path(__file__).with_name("data") / "places.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(ln.strip() for ln in lines if ln.strip() and not ln.startswith("#"))


def pinyin_key(text: str) -> str:
    from bot.lexical import toneless_pinyin

    return "".join(toneless_pinyin(text))


def _org_names(question: str, article: str) -> list[str]:
    """Organisation names before 工会/集团/公司…: two characters that are not a common
    word (太钢 and 建工 are rare in general text, 全省 and 基层 are not)."""
    out = []
    for m in _ORG_NAME.finditer(question):
        name, start = m.group(1), m.start(1)
        if _NOT_A_NAME.search(name) or word_frequency(name) >= _COMMON_WORD_FREQ:
            continue
        left = question[start - 1:start + 1] if start > 0 else ""
        if left in article and word_frequency(left) >= _COMMON_WORD_FREQ:
            continue  # 书记对工会: the word 书记 crosses the left edge, 记对 is no name
        out.append(name)
    return out


def _straddles(question: str, start: int, end: int, article: str) -> bool:
    """Whether an article word crosses the edge of question[start:end] (书记|对: jieba
    cut the question where the article would not, so the 'name' is an artefact)."""
    return any(question[i:i + 2] in article for i in (start - 1, end - 1) if 0 <= i < len(question) - 1)


def _names(question: str, article: str) -> tuple[list[str], list[str]]:
    """(names, anchors): names are the proper nouns the article must know; anchors the
    places, scope words and organisations the answering fact must mention."""
    orgs = _org_names(question, article)
    anchors = [p for p in (*places(), *SCOPE_WORDS) if p in question] + orgs
    names, pos = list(orgs), 0
    words = list(posseg().cut(question))
    for i, (word, tag) in enumerate(words):
        start, pos = pos, pos + len(word)
        nxt = words[i + 1].word if i + 1 < len(words) else ""
        if (len(word) >= 2 and _HAN.fullmatch(word) and nxt in _ORG_KIND and word not in article
                and not _NOT_A_NAME.search(word)):
            names.append(word)  # 地铁 in 太原地铁公司
        if len(word) < 2 or not _HAN.fullmatch(word) or tag not in _PROPER:
            continue
        if word not in article and _straddles(question, start, pos, article):
            continue
        names.append(word)
        if tag == "ns":
            anchors.append(word)
    return names, anchors


def analyse(question: str, article: str = "") -> Ask:
    """What a normalised question asks; `article` (normalised) helps tell names apart."""
    unit = next((name for name, rx in _UNIT_CLASSES if rx.search(question)), None)
    if unit is None and _PEOPLE_NOUN.search(question):
        unit = "people"
    if _ORDINAL.search(question):
        unit = None
    proper, anchors = _names(question, article)
    counted = _COUNTED.search(question)
    return Ask(frozenset(YEAR.findall(question)), tuple(dict.fromkeys(proper + anchors)),
               tuple(dict.fromkeys(anchors)), unit, len(_QUESTION_WORDS.findall(question)),
               counted.group(2) if counted else "", counted.group(1) if counted else "")


def figure_classes(text: str) -> set[str]:
    """The kinds of figure a fact's statement gives (people, money, rate, date, count)."""
    return {name for name, rx in _FIGURE_CLASSES if rx.search(text)}


class Scope:
    """The article's vocabulary, for telling 'not in the article' from 'not in this fact'."""

    def __init__(self, base):
        from bot.facts import squeeze
        from bot.normalize import normalize

        self.base = base
        self.article = normalize(squeeze(base.article))
        self.article_pinyin = pinyin_key(self.article)
        self._text = {f.id: normalize(squeeze(f.text + f.quote_text)) for f in base.facts}
        self._pinyin = {fid: pinyin_key(t) for fid, t in self._text.items()}
        self._classes = {f.id: figure_classes(normalize(f.text)) for f in base.facts}
        self._years = {fid: set(YEAR.findall(t)) for fid, t in self._text.items()}
        self._year = str(base.meta.year)
        self._common: dict[str, bool] = {}

    def common(self, name: str) -> bool:
        """Whether `name` is in so many facts (山西, 全省) that a fact need not repeat it;
        scope words (全国) never are."""
        if name not in self._common:
            share = sum(name in t for t in self._text.values()) / max(1, len(self._text))
            self._common[name] = share > 0.2 and name not in SCOPE_WORDS
        return self._common[name]

    def unknown(self, ask: Ask) -> str:
        """A named thing or year of the question that the article never mentions."""
        for place in places():
            if place in ask.anchors and place not in self.article:
                return f"place:{place}"
        for name in ask.names:
            if name not in self.article and pinyin_key(name) not in self.article_pinyin:
                return f"name:{name}"
        years = ask.years - set(YEAR.findall(self.article)) - {self._year}
        return f"year:{','.join(sorted(years))}" if years else ""

    def fits(self, ask: Ask, fact_id: str) -> str:
        """'' if the fact can answer the question, else why not."""
        text, pin = self._text[fact_id], self._pinyin[fact_id]
        for name in ask.anchors:
            if not self.common(name) and name not in text and pinyin_key(name) not in pin:
                return f"entity-not-in-fact:{name}"
        if ask.years and not ask.years & self._years[fact_id]:
            return "year-not-in-fact"
        if ask.unit and not COMPATIBLE[ask.unit] & self._classes[fact_id]:
            return f"no-{ask.unit}-figure"
        if ask.counted and not self._counts_any(text, ask.counted, ask.measure):
            return f"no-count-of:{ask.counted}"
        return ""

    def _counts_any(self, text: str, counted: str, measure: str) -> bool:
        """Whether the fact counts the thing asked about: a numeral with the same kind of
        measure word stands next to its first or last word (工会组织61428个 answers
        多少个工会组织). Words the article never uses are not judged."""
        heads = {counted[:2], counted[-2:]}
        measures = next((m for m in _MEASURES if measure in m), measure)
        pattern = re.compile(_NUM + f"[{measures}]")
        return any(h not in self.article or self._counts(text, h, pattern) for h in heads)

    @staticmethod
    def _counts(text: str, noun: str, pattern: re.Pattern, window: int = 8) -> bool:
        """Whether `text` has `pattern` (a numeral and measure word) within `window`
        characters of `noun`."""
        start = text.find(noun)
        while start >= 0:
            around = text[max(0, start - window): start + len(noun) + window]
            if pattern.search(around):
                return True
            start = text.find(noun, start + 1)
        return False
