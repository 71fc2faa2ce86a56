"""Figure lookup: a question that is only one of the article's figures ("61428",
"0.09是什么意思") is answered by the facts that state it, found by exact match."""
from __future__ import annotations

import re

from bot.knowledge.numbers import numbers_in
from bot.pipeline.text import YEAR

# What may stand around a figure in a "what is this number" question.
_AROUND = re.compile(r"是什么意思|什么意思|是什么数字?|什么数字?|指的是什么|指什么|代表什么|是啥|啥意思|这个数|这个|"
                     r"数字|数据|意思|是|的|呢|吗|啊|what is|what does|mean|stand for|[个名人项条次场万亿元%年月日号余多]")
_NOISE = re.compile(r"[\s\W_]+")


def figures_asked(text: str) -> list[str]:
    """The figures a prepared question consists of, or [] when it asks anything else."""
    numbers = [n for n in numbers_in(text) if not YEAR.fullmatch(n) and (len(n) >= 3 or "." in n)]
    if not numbers:
        return []
    rest = _NOISE.sub("", _AROUND.sub("", re.sub(r"\d+(?:\.\d+)?", "", text)))
    return numbers if not rest else []


def stating(figures: list[str], facts) -> list:
    """The facts whose statement gives every figure, shortest first."""
    found = [f for f in facts if set(figures) <= set(numbers_in(f.text))]
    return sorted(found, key=lambda f: len(f.text))
