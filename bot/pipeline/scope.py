"""Scope: the years and places the article never speaks of. A question about one of them is
out of scope whatever the nearest fact says (the article's figures are for Shanxi, 2006–2013).
And facts about a fact: a question asking what a fact cannot state (another month, a kind of
figure it does not give…) is not answered by it."""
from __future__ import annotations

import re

from bot.pipeline.text import YEAR, places

_LATER = re.compile(r"明年|后年|来年|下一年度")
_MONTH = re.compile(r"(?<![\d.])(1[0-2]|0?[1-9])月")


# Kinds of figure a question can ask for, and how a fact states one: an amount of money, an age,
# a home town.
_KINDS = (
    (re.compile(r"多少钱|几块钱|多少元|多少万元|多少亿元?|金额|多少经费|多少资金"), re.compile(r"\d[余多]?(万|亿)?元|元钱")),
    (re.compile(r"多少岁|几岁|多大岁数|多大年纪|岁数|年龄|年纪|how old"), re.compile(r"\d+岁")),
    # where a person comes from: stated only as 籍贯, 出生于…, 老家… or …人 after a place
    (re.compile(r"哪[里哩儿]人|什么地方人|老家|籍贯|出生地|出生在哪|家乡|hometown|where .* from"),
     re.compile(r"籍贯|出生于|出生在|老家|家乡|[省市县镇村]人[，。,]")),
    # a profit: stated only as a profit figure (a loss made up, 扭亏为盈, gives none)
    (re.compile(r"赚了?(多少|几)|挣了?(多少|几)|盈利(了|是)?(多少|几)|利润(是|有)?(多少|几)|how much profit"),
     re.compile(r"(盈利|利润|赚|净利)[^，,。]{0,6}\d|\d[^，,。]{0,6}(盈利|利润)")),
    # how long something has gone on: stated as a span (5年来, 连续4年, 经过4年, 3个月), not a date
    (re.compile(r"(多少年了?|几年了|多长时间|多久|how long)(?![^，,。？?]{0,6}一[次回])"),  # not 多久开一次
     re.compile(r"(?<![\d.])\d{1,2}个?年(?!\d)|[一二两三四五六七八九十]+个?年|\d+周年|\d+个?(月|天)|历时")),
)


def other_kind_of_figure(question: str, fact_text: str) -> bool:
    """Whether the question asks an amount of money, an age, where someone comes from, a profit or how
    long something has gone on, and the fact states none (具体省了多少钱 against a fact that gives a percentage; 贾向东今年多少岁
    against his prize; 田喜荣老家在哪 against a caption naming his office)."""
    return any(asks.search(question) and not states.search(fact_text) for asks, states in _KINDS)


# Asking the words of an instruction, a speech or a document (王兆国的批示原话是怎么写的).
_ASKS_WORDING = re.compile(r"原话|原文|(具体|都|到底)?(写|说|讲|批)了(什么|啥|些什么)|(是|都)?怎么(写|说|讲|批)的|"
                           r"(具体|详细)?内容(是什么|是啥|有哪些)|具体(是|说的)?(什么|啥)(内容|意思)")
# How a fact gives those words: a quotation, a colon, or what was asked for (要求…, 提出…).
_QUOTES_WORDING = re.compile(r"[“：:]|要求|提出|指出|强调|表示|认为")
# Asking the day of something, and how a fact gives one; the same for the month.
_ASKS_DAY = re.compile(r"几号|几日|哪天|哪一天|具体(日期|哪天|是哪天)|什么日子")
_STATES_DAY = re.compile(r"\d{1,2}[日号]")
_ASKS_MONTH = re.compile(r"几月|哪个月|哪一个月|什么月份|which month")
_STATES_MONTH = re.compile(r"\d{1,2}月|[一二三四五六七八九十]+月|月份|上半年|下半年")
# Asking which year; how a fact gives one is _STATES_YEAR, below with the other year patterns.
_ASKS_YEAR = re.compile(r"哪一?年|哪个年份|什么年份|几几年|\b(which|what) year\b")


def unstated_detail(question: str, fact_text: str) -> bool:
    """Whether the question asks the words of an instruction or document and the fact quotes
    none (原国家领导人王兆国等作了重要批示), or asks the day, the month or the year and the fact gives
    none (2011年11月，省总在汾阳召开了推进会: 11月几号 is not stated; 2012年，新华社…: nor which month;
    省委书记先后两次作出重要批示: nor which year)."""
    return bool((_ASKS_WORDING.search(question) and not _QUOTES_WORDING.search(fact_text))
                or (_ASKS_DAY.search(question) and not _STATES_DAY.search(fact_text))
                or (_ASKS_MONTH.search(question) and not _STATES_MONTH.search(fact_text))
                or (_ASKS_YEAR.search(question) and not _STATES_YEAR.search(fact_text)))


def other_months(question: str, fact_text: str) -> bool:
    """Whether the question names a month and the fact is dated in months, none of them that one
    (今年4月开了什么会 against a fact of 2013年6月; 那7月呢 after a question about June)."""
    asked = set(_MONTH.findall(question))
    dated = set(_MONTH.findall(fact_text))
    return bool(asked and dated and not asked & dated)


# Asking for the items of a group the question counts (百个工作室都有哪些, 八大工程是哪八个): the fact
# answers only if it holds at least that many items.
_LISTING = re.compile(r"都有哪些|有哪些|都是哪些|具体是哪些|具体有哪些|分别是(什么|哪些|啥)|都是(什么|啥)|都叫(什么|啥)|"
                      r"(具体|到底)(是|指)(什么|啥)|包括哪些|哪[两二三四五六七八九十百\d]+[项个种条类件大站级句]?")
# A count of items has at most three digits (3110 is the name of a mechanism, 2013 a year).
_COUNTED = re.compile(r"(?<![\d一二两三四五六七八九十百千])(\d{1,3}|[一二两三四五六七八九十百千双])(?![\d一二两三四五六七八九十百千])"
                      r"(个|项|大|种|条|类|件|站|级|句)?[\u4e00-\u9fff]")  # not 五一表彰: a name
_VALUES = {"一": 1, "二": 2, "两": 2, "双": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
           "十": 10, "百": 100, "千": 1000}


def unlisted_items(question: str, fact_text: str) -> bool:
    """Whether the question asks for the items of a group it counts, and the fact, which names
    that group, holds fewer items than the count (命名百个省级创新工作室 lists none of the hundred;
    the 六站 fact lists all six). The separators inside the group's own name list none of its
    items (“双措并举、二次覆盖”的经验 does not say what the two measures are)."""
    if not _LISTING.search(question):
        return False
    for m in _COUNTED.finditer(question):
        group = question[m.start():]
        found = next((group[:k] for k in range(len(group), len(m.group(0)) - 1, -1) if group[:k] in fact_text), "")
        if found:
            number = m.group(1)
            count = int(number) if number.isdigit() else _VALUES[number]
            if len(re.findall(r"[、，,；;]", _without_name(fact_text, found))) + 1 < count:
                return True
    return False


def _without_name(fact_text: str, found: str) -> str:
    """The fact without the quoted name that holds `found` (“双措并举、二次覆盖”), or without `found`."""
    for name in re.findall(r"[“‘\"]([^”’\"]+)[”’\"]", fact_text):
        if found in name or name in found:
            return fact_text.replace(name, "")
    return fact_text.replace(found, "")


# A count within a total the question quotes (67项荣誉里国家级的占几项, 30余人中干部有几个).
_WITHIN = re.compile(r"(?<![\d.])(\d+)[^，,。？?\d]{0,14}?(里|中|当中|之中|其中)[，,]?[^，,。？?]{0,12}(几|多少)")
_COUNTED_FIGURE = re.compile(r"(?<![\d.])(\d+)(?:余|多)?(个|项|人|名|家|场|次|条|座|所|批|届|种|户|位)")


def within_a_total(question: str, fact_text: str) -> bool:
    """Whether the question asks how many of a total it quotes are of some kind, and the fact
    counts nothing but that total (近3年来荣获…荣誉67项 does not say how many are national)."""
    m = _WITHIN.search(question)
    if not m:
        return False
    counted = {n for n, _ in _COUNTED_FIGURE.findall(fact_text)}
    return counted == {m.group(1)}


# Asking which city, county or town: a fact that names only the province does not say.
_ASKS_CITY = re.compile(r"哪(个|座|一个)(城市|市|县|区|镇)|哪座城|山西哪(里|儿|个地方)|in which city|which city")
# Asking which province (第一名是哪个省): a fact naming no province but the article's own does not say.
_ASKS_PROVINCE = re.compile(r"哪(个|一个)?省(份)?|什么省|which province")
PROVINCES = ("北京", "天津", "河北", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建",
             "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏",
             "陕西", "甘肃", "青海", "宁夏", "新疆", "台湾", "香港", "澳门")
# Asking where an event took place (not 在哪个单位, 在哪天, 在哪里推行).
_ASKS_WHERE = re.compile(r"(在(哪里|哪儿|哪|什么地方|啥地方)|哪里|哪儿|什么地方|啥地方)(开|召开|举行|举办|办)|地点|会址|"
                         r"(哪个|哪家|什么|啥)(会场|场馆|礼堂|会堂|宾馆|酒店|饭店|会议室|大厅|场地)|"
                         r"where was .* held")
# The kinds of unit a question asks for by 哪个/哪家 (哪家企业, 在哪个单位开的).
_UNIT = r"(企业|公司|单位|厂|矿|煤矿|集团)"
# Asking which organisation hosted it (在哪个单位开的): a fact naming only a city does not say.
_ASKS_HOST = re.compile(rf"在(哪|哪一?个|哪一?家){_UNIT}(开|召开|举行|举办|办)")
_HOSTED = re.compile(r"[在于][^，,。；;]{0,12}(集团|公司|煤矿|矿|厂|单位|企业)")
# Where the article itself is: never "another place", nor a city.
HOME = ("山西", "全省", "全国")


# Asking a person's name by their role (那位书记叫什么, 拿第一的选手是谁): a fact naming none of the
# article's people does not say.
_ASKS_NAME = re.compile(r"(书记|主席|领导|记者|选手|干部|劳模|局长|厂长|矿长|经理|董事长|老总|一把手|负责人|带头人|"
                        r"主任|处长|科长|部长|会长|站长|班长|队长|组长|冠军|获奖者|人)"
                        r"(的名字|叫什么|叫啥|姓什么|是谁|是哪位|名字)")
# Asking which company or unit (哪家企业的队伍): a fact naming no organisation does not say.
_ASKS_WHICH_ORG = re.compile(rf"哪(一?家|一?个){_UNIT}|什么(企业|公司|单位)")
_NAMES_AN_ORG = re.compile(r"集团|公司|煤矿|工厂|[处局厅]|部门|单位")


# Years named relative to the article's own (前年 is two years before 2013); 同期 after one is a
# comparison's base, which the fact may state as its own 去年同期.
_RELATIVE = {"大前年": 3, "前年": 2, "去年": 1}
_RELATIVE_YEAR = re.compile(r"大前年|前年|去年")
_FULL_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)年")


def other_relative_year(question: str, fact_text: str, year: int) -> bool:
    """Whether the question names a year relative to the article's (去年, 前年) that the fact,
    which is dated, does not cover (去年比前年减少了多少 against 2013年1月~8月份…与去年同期相比: the
    fact covers 2013 and, through its 去年同期, 2012, not 2011)."""
    asked = {year - _RELATIVE[w] for w in _RELATIVE_YEAR.findall(question)}
    dated = {int(y) for y in _FULL_YEAR.findall(fact_text)}
    if not asked or not dated:
        return False
    if "去年" in fact_text:
        dated |= {y - 1 for y in dated}
    return not asked <= dated


# One year asked (今年, 2012年; not 2012年以来), and a figure totalled over several years (5年来, 近3年).
_A_YEAR = re.compile(rf"今年|{_RELATIVE_YEAR.pattern}|{_FULL_YEAR.pattern}")
# A year a fact gives, also bare (晋工发[2010]49号) or as 当年: what answers which year (_ASKS_YEAR).
_STATES_YEAR = re.compile(rf"{_A_YEAR.pattern}|(?<!\d)(?:19|20)\d\d(?!\d)|当年")
_ONE_YEAR = re.compile(rf"({_A_YEAR.pattern})(?!以来|来|至|到|[-—~～]|和|与|、)")
_YEARS_TOTAL = re.compile(r"(近|这)?(?<![\d.])[\d一二两三四五六七八九十]+年(来|以来|间|中|里)")


def several_years(question: str, fact_text: str) -> bool:
    """Whether the question asks about one year and the fact gives a total over several, naming
    no year (this year's May Day awards against 5年来，山西共有33个集体获评…)."""
    return bool(_ONE_YEAR.search(question) and _YEARS_TOTAL.search(fact_text) and not _A_YEAR.search(fact_text))


def _at(names: set[str]) -> re.Pattern | None:
    """A pattern for one of `names` after 在, 于, 到 or 赴 (在汾阳, 于西山煤电集团公司), longest first."""
    ordered = sorted(names, key=len, reverse=True)
    return re.compile(rf"[在于到赴]({'|'.join(map(re.escape, ordered))})") if ordered else None


class Scope:
    """The article's years, places, people and organisations, read once."""

    def __init__(self, article: str, year: int, named_places: tuple[str, ...] = (),
                 organizations: tuple[str, ...] = (), people: tuple[str, ...] = ()):
        self.article = article.replace(" ", "")
        self.people, self.organizations = tuple(people), tuple(organizations)
        self.year = year
        self.years = set(YEAR.findall(article)) | {str(year)}
        self.places = tuple(p for p in places() if p not in article)
        self.cities = tuple(p for p in named_places if p not in HOME)  # 太原, 阳泉, 北格镇…
        self._venue = _at({*named_places, *organizations})
        self._host = _at(set(organizations))

    def no_venue(self, question: str, fact_text: str) -> bool:
        """Whether the question asks where something took place and the fact names no place for
        it (在什么地方开的 against 山西省总工会召开十二届五次全委（扩大）会议: 山西 is who met), or asks
        which organisation hosted it and the fact names only a city (在哪个单位开的 against 省总在汾阳
        召开了推进会)."""
        if _ASKS_HOST.search(question):  # which organisation: a city is not enough
            return not (_HOSTED.search(fact_text) or (self._host and self._host.search(fact_text)))
        return bool(_ASKS_WHERE.search(question)) and not (
            self._names_a_city(fact_text) or (self._venue and self._venue.search(fact_text)))

    def other_level_of_place(self, question: str, fact_text: str) -> bool:
        """Whether the question asks which city (or county, town) and the fact names none
        (在山西哪个城市开的 against 全总在山西召开了…)."""
        return bool(_ASKS_CITY.search(question)) and not self._names_a_city(fact_text)

    def other_relative_year(self, question: str, fact_text: str) -> bool:
        """`other_relative_year` against the article's year."""
        return other_relative_year(question, fact_text, self.year)

    def other_province(self, question: str, fact_text: str) -> bool:
        """Whether the question asks which province and the fact names none but the article's own
        (连续两届获得总成绩第二名 does not say who came first)."""
        return bool(_ASKS_PROVINCE.search(question)) and not any(p in fact_text for p in PROVINCES)

    def other_place(self, question: str, fact_text: str) -> bool:
        """Whether the question asks about one of the article's own cities or towns (北京职工…,
        太原的…) and the fact states its figure for the province or the country, naming no such
        place (5年来，山西全省职工共提合理化建议484万余条)."""
        asked = any(c in question for c in self.cities)
        return asked and any(h in fact_text for h in HOME) and not self._names_a_city(fact_text)

    def other_level(self, question: str, fact_text: str) -> bool:
        """Whether the question is about the country (全国比赛拿了第一) and the fact states its
        figure for the province alone (第三、第四届全省职工职业技能大赛), naming nothing national."""
        national = re.sub(r"全国总工会|中华全国总工会", "", question)
        return "全国" in national and "全省" in fact_text and not re.search(r"全国|全总", fact_text)

    def unnamed_person(self, question: str, fact_text: str) -> bool:
        """Whether the question asks someone's name by their role and the fact names none of the
        article's people (省委书记先后两次作出重要批示 does not say who the secretary was)."""
        return bool(_ASKS_NAME.search(question)) and not any(p in fact_text for p in self.people)

    def unnamed_organisation(self, question: str, fact_text: str) -> bool:
        """Whether the question asks which company or unit and the fact names no organisation
        (山西钳工、焊工两个工种双双获得团体第一名 does not say whose team it was)."""
        return bool(_ASKS_WHICH_ORG.search(question)) and not (
            any(o in fact_text for o in self.organizations) or _NAMES_AN_ORG.search(fact_text))

    def _names_a_city(self, fact_text: str) -> bool:
        return any(c in fact_text for c in self.cities)

    def unknown(self, question: str) -> str:
        """'place:X' or 'year:Y' for a place or year of the normalised question that the
        article never mentions; '' when there is none."""
        for place in self.places:
            if place in question:
                return f"place:{place}"
        years = set(YEAR.findall(question)) - self.years
        later = _LATER.search(question)
        if later:  # 明年: a year after the article's, which it cannot know
            years.add(later.group(0))
        return f"year:{','.join(sorted(years))}" if years else ""
