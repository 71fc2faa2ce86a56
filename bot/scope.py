"""Scope: the years and places the article never speaks of. A question about one of them is
out of scope whatever the nearest fact says (the article's figures are for Shanxi, 2006–2013).
And a fact dated in other months than the question names does not answer it."""
from __future__ import annotations

import re

from bot.pipeline.text import YEAR, places

_LATER = re.compile(r"明年|后年|来年|下一年度")
_MONTH = re.compile(r"(?<![\d.])(1[0-2]|0?[1-9])月")


# Kinds of figure a question can ask for, and how a fact states one: an amount of money, an age.
_KINDS = (
    (re.compile(r"多少钱|几块钱|多少元|多少万元|多少亿元?|金额|多少经费|多少资金"), re.compile(r"\d[余多]?(万|亿)?元|元钱")),
    (re.compile(r"多少岁|几岁|多大岁数|多大年纪|岁数|年龄|年纪|how old"), re.compile(r"\d+岁")),
)


def other_kind_of_figure(question: str, fact_text: str) -> bool:
    """Whether the question asks an amount of money or an age and the fact states none (具体省了
    多少钱 against a fact that gives a percentage; 贾向东今年多少岁 against his prize)."""
    return any(asks.search(question) and not states.search(fact_text) for asks, states in _KINDS)


def other_months(question: str, fact_text: str) -> bool:
    """Whether the question names a month and the fact is dated in months, none of them that one
    (今年4月开了什么会 against a fact of 2013年6月)."""
    asked = set(_MONTH.findall(question))
    dated = set(_MONTH.findall(fact_text))
    return bool(asked and dated and not asked & dated)


# Asking which city, county or town: a fact that names only the province does not say.
_ASKS_CITY = re.compile(r"哪(个|座|一个)(城市|市|县|区|镇)|哪座城|山西哪(里|儿|个地方)|in which city|which city")
_PROVINCE = ("山西", "全省", "全国")


class Scope:
    """The article's years and places, read once."""

    def __init__(self, article: str, year: int, named_places: tuple[str, ...] = ()):
        self.article = article.replace(" ", "")
        self.years = set(YEAR.findall(article)) | {str(year)}
        self.places = tuple(p for p in places() if p not in article)
        self.cities = tuple(p for p in named_places if p not in _PROVINCE)  # 太原, 阳泉, 北格镇…

    def other_level_of_place(self, question: str, fact_text: str) -> bool:
        """Whether the question asks which city (or county, town) and the fact names none
        (在山西哪个城市开的 against 全总在山西召开了…)."""
        return bool(_ASKS_CITY.search(question)) and not any(c in fact_text for c in self.cities)

    def unknown(self, question: str) -> str:
        """'place:X' or 'year:Y' for a place or year of the normalised question that the
        article never mentions; '' when there is none."""
        for place in self.places:
            if place in question:
                return f"place:{place}"
        years = set(YEAR.findall(question)) - self.years
        if _LATER.search(question):  # 明年: a year after the article's, which it cannot know
            years.add(_LATER.search(question).group(0))
        return f"year:{','.join(sorted(years))}" if years else ""
