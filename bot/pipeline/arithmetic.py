"""Comparisons, totals, differences and ratios over the figures an answer cites.

Only figures that stand in the cited facts are used: for each item the question compares (a
year, or one of "A和B"), the figure of its fact whose words best match what is asked (新增工会组织
in "哪年新增工会组织多"). The result is labelled as computed, and the number guard admits it only
after computing it again from the quoted operands (`Computation.check`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bot.pipeline.text import YEAR

COMPARE = re.compile(r"(哪(个|年|项|一个|一年|边|种|家)|谁)[^，,。？?]{0,14}?(更)?(多|少|高|低|大|小)|多还是少|比较|对比|"
                     r"which (is |was )?(more|less|higher|lower|bigger|smaller)")
_SMALLER = re.compile(r"(少|低|小|less|lower|smaller)$")
TOTAL = re.compile(r"一共|总共|合计|加起来|加在一起|加一起|合起来|加上|算上|共计|之和|总和|in total|altogether|combined")
DIFFERENCE = re.compile(r"差(了|距)?多少|相差|差距|多(了|出)?多少|少(了)?多少|比[^，,。？?]{2,14}?(多|少)(了|出)?几|(降|下降|减少|降低|低|高|升|上升|增加|提高|增长)了?多少|"
                        r"how much (more|less|lower|higher)|difference")
RATIO = re.compile(r"几倍|多少倍|是.{0,6}的几|times")
# A share of one figure in another: 1215个占全省基层工会总数百分之几, 新发展的会员占总数多大比例.
SHARE = re.compile(r"占[^，,。？?]{1,16}?(的)?(百分之几|百分之多少|百分比|多大比例|多少比例|比例是多少|比例多大|几成|多少%)")
# An average of one total over another: 平均每个工会多少会员, 平均一场处理了几个人.
AVERAGE = re.compile(r"(平均|人均)(每|一)?(个|名|场|家|所|位|次)?(?P<per>[\u4e00-\u9fff]{0,6}?)"
                     r"(有|覆盖|处理|帮扶|发展|是|能|要)?(了)?(多少|几)(个|名|人|家|项|场|次)?(?P<of>[\u4e00-\u9fff]{1,8})")
# A figure of a fact: a number with the unit written after it, and the words before it.
_FIGURE = re.compile(r"(\d+(?:\.\d+)?)(万|亿)?(余|多)?(个|项|名|人|场|次|条|家|元|%|倍)?")
_WORDS = re.compile(r"[\u4e00-\u9fff]")


# How a computed line is written (Computation.line) and read back (recomputed): the name of the
# operation, the sign between operands, and the sign before the result.
_COMPUTED = "（计算得出，非原文数字）："
_WRITTEN = {"total": ("合计", " + ", "="), "difference": ("相差", " − ", "="), "ratio": ("倍数", " ÷ ", "≈"),
            "average": ("平均", " ÷ ", "≈"), "share": ("占比", " ÷ ", "≈")}


@dataclass(frozen=True)
class Operand:
    label: str      # the item it stands for (2010年, 县级帮扶中心)
    number: str     # as the article writes it
    unit: str


@dataclass(frozen=True)
class Computation:
    """An operation on quoted figures and its result, as shown to the user."""

    operation: str              # compare, total, difference, ratio
    operands: tuple[Operand, ...]
    result: str                 # the computed number ('' for a comparison)
    smaller: bool = False       # a comparison that asks for the smaller (哪个少)

    @property
    def verdict(self) -> str:
        """For a comparison: the item with the larger (or, if asked, the smaller) figure."""
        values = [_value(o.number) for o in self.operands]
        pick = (min if self.smaller else max)(range(len(values)), key=lambda i: values[i])
        return self.operands[pick].label

    def line(self) -> str:
        """The arithmetic in one line: the article's figures, then what follows from them."""
        if self.operation == "compare":
            shown = "，".join(f"{o.label}{o.number}{o.unit}" for o in self.operands)
            most = "更" if len(self.operands) == 2 else "最"  # 2012年更少; of four years, 最少
            return f"比较：{shown}；{self.verdict}{most}{'少' if self.smaller else '多'}。"
        name, sign, equals = _WRITTEN[self.operation]
        shown = self.operands if self.operation in ("total", "average", "share") else \
            sorted(self.operands, key=lambda o: _value(o.number), reverse=True)
        unit = {"ratio": "", "average": "", "share": "%"}.get(self.operation, self.operands[0].unit)
        return f"{name}{_COMPUTED}{sign.join(o.number for o in shown)} {equals} {self.result}{unit}"

    def check(self) -> bool:
        """Whether the result follows from the operands (the number guard asks this)."""
        values = [_value(o.number) for o in self.operands]
        if any(v is None for v in values):
            return False
        return self.operation == "compare" or self.result == _compute(self.operation, values)


_LINE = re.compile(rf"^({'|'.join(n for n, _, _ in _WRITTEN.values())}){_COMPUTED}(.+?) (=|≈) ([\d.]+)")
_SIGNS = {name: (op, sign) for op, (name, sign, _) in _WRITTEN.items()}


def recomputed(line: str) -> tuple[list[str], str] | None:
    """(operands, result) of a computed line that `Computation.line` wrote, when the result
    follows from the operands; None for any other line (an evaluator's fidelity check)."""
    m = _LINE.match(line)
    if not m:
        return None
    op, sign = _SIGNS[m.group(1)]
    operands = m.group(2).split(sign)
    values = [_value(o) for o in operands]
    if len(values) < 2 or any(v is None for v in values):
        return None
    return (operands, m.group(4)) if _compute(op, values) == m.group(4) else None


def operation(question: str) -> str:
    """Which arithmetic a question asks for ('' for none)."""
    for name, rx in (("share", SHARE), ("average", AVERAGE), ("difference", DIFFERENCE), ("ratio", RATIO),
                     ("total", TOTAL), ("compare", COMPARE)):
        if rx.search(question):
            return name
    return ""


def compute(question: str, items: list[tuple[str, str]]) -> Computation | None:
    """The computation a question asks for over `items` ((label, fact text) per compared item,
    in the question's order), or None when it asks none or the figures do not line up."""
    op = operation(question)
    if not op or len(items) < 2:
        return None
    labels = "".join(YEAR.sub("", label) for label, _ in items)
    # What is asked of every item, not the items' own words (劳模, 奖章 tell the items apart).
    asked = "".join(ch for ch in _asked_words(question) if ch not in labels)
    found = [_operand(label, text, asked) for label, text in items]
    if any(f is None for f in found) or len({(text, pos) for (_, pos), (_, text) in zip(found, items)}) < len(found):
        return None  # an item without a figure, or two items read off the same figure
    if op in ("average", "share") and not all(
            set(_WORDS.findall(YEAR.sub("", label))) & set(text[max(0, pos - 12):pos])
            for (label, text), (_, pos) in zip(items, found)):
        return None  # each total must be named by its own words (总数 is not 新增工会组织1523个)
    operands = [o for o, _ in found]
    if len({o.unit for o in operands}) != 1 and op not in ("average", "share"):  # one unit per another
        return None
    if op in ("difference", "ratio", "average", "share") and len(operands) != 2:
        return None
    values = [_value(o.number) for o in operands]
    if any(v is None for v in values):
        return None
    if op == "compare":
        return Computation(op, tuple(operands), "", bool(_SMALLER.search(COMPARE.search(question).group(0))))
    return Computation(op, tuple(operands), _compute(op, values))


def _compute(op: str, values: list[Decimal]) -> str:
    if op == "total":
        result = sum(values)
    elif op == "difference":
        result = abs(values[0] - values[1])
    elif op in ("average", "share"):  # the first over the second, in the question's order
        if values[1] == 0:
            return ""
        result = (values[0] / values[1] * (100 if op == "share" else 1)).quantize(Decimal("0.01"))
    else:
        big, small = max(values), min(values)
        if small == 0:
            return ""
        result = (big / small).quantize(Decimal("0.01"))
    return _plain(result)


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _value(number: str) -> Decimal | None:
    try:
        return Decimal(number)
    except InvalidOperation:
        return None


def _asked_words(question: str) -> str:
    """The words of a question that say what is counted (years and question words removed)."""
    text = YEAR.sub("", question)
    text = re.sub(r"哪(个|年|项|一个|一年)?|谁|多少|几|更|多|少|一共|总共|合计|加起来|相差|差|比较|相比|是|的|了|呢|吗|啊|和|与|跟|"
                  r"降|升|增加|减少|下降|提高", "", text)
    return text


def _operand(label: str, fact_text: str, asked: str) -> tuple[Operand, int] | None:
    """The figure of a fact whose preceding words best match the item, then what is asked,
    with its position in the fact."""
    year = YEAR.fullmatch(label.rstrip("年"))
    if year and label.rstrip("年") not in fact_text:
        return None  # a year's figure comes only from a fact about that year
    several_years = len(set(YEAR.findall(fact_text))) > 1
    best, best_score, previous_end = None, -1, 0
    for m in _FIGURE.finditer(fact_text):
        number, big, _, unit = m.groups()
        if fact_text[m.end():m.end() + 1] in "年月日" or (unit is None and not big and "." not in number):
            continue  # a year or a date, or a bare whole number without a unit
        # The words that name this figure: those since the figure before it (劳模82人，全国“五一
        # 劳动奖章”125人: 125 is the 奖章's, not the 劳模's).
        own = fact_text[max(previous_end, m.start() - 12):m.start()]
        previous_end = m.end()
        near = label in fact_text[max(0, m.start() - 14):m.start()]
        if year and several_years and not near:
            continue  # in 2006年的0.845、2009年的0.328, a year takes the figure after it
        chars = set(_WORDS.findall(own))
        score = 3 * sum(ch in label for ch in chars) + sum(ch in asked for ch in chars) + (10 if near else 0)
        if score > best_score:
            best, best_score = (Operand(label, number, (big or "") + (unit or "")), m.start()), score
    return best
