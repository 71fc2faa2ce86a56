"""The separately asked parts of a question: its clauses, and one sub-question per year or
per item of "A和B各/分别…" (长钢开了多少场，有多少人受处分 → two clauses; 2010年和2013年组建月
分别… → one question per year). Each part is then retrieved and verified on its own."""
from __future__ import annotations

import re

from bot.knowledge.lexicon import cut
from bot.pipeline.arithmetic import AVERAGE, SHARE, operation
from bot.pipeline.text import YEAR

_CLAUSE_SPLIT = re.compile(r"[，,;；。？?!！]|还有|以及|另外")
_ASKS = re.compile(r"多少|几|哪|什么|啥|谁|是否|有没有|怎么|如何|咋|how|what|when|who|where|which")
_AND = "和|与|跟|及|同|、|还有|and"
_TO = "到|至|和|与|跟|及|、"  # between the years of a list or a span (2009年到2012年)
# Words that spread one question over the items before them: 各, 分别, 哪个多 …
_DISTRIBUTIVE = re.compile(r"分别|各自|各|都|哪(个|年|项|一个|一年)|谁|相比|比较|一共|加起来|合计|差|对比")
# A run of years joined by conjunctions: 2010年和2013年, 2009、2012年.
YEAR_RUN = re.compile(rf"(?:19|20)\d\d年?(?:\s*(?:{_TO}|,|，)\s*(?:19|20)\d\d年?)+")


# Two years as the ends of a span (2010到2013, 2010年至2013年), and the words that ask about every
# year of it: a total, or which year is the most (a difference asks about the two ends only).
_SPAN = re.compile(r"((?:19|20)\d\d)年?\s*(?:到|至)\s*((?:19|20)\d\d)年?")
_EVERY_YEAR = re.compile(r"一共|总共|合计|加起来|加在一起|加一起|合起来|共计|总和|之和|哪一?年[^，,。？?]{0,10}(多|少|高|低)|每年|各年")


def _years(run: str, question: str) -> list[str]:
    """The years of a run: those written, or every year of a span when the question asks about
    each (2010到2013…加起来 → 2010, 2011, 2012, 2013)."""
    years = list(dict.fromkeys(YEAR.findall(run)))
    span = _SPAN.fullmatch(run.strip())
    if span and _EVERY_YEAR.search(question) and 1 < int(span.group(2)) - int(span.group(1)) <= 10:
        return [str(y) for y in range(int(span.group(1)), int(span.group(2)) + 1)]
    return years


def clauses(question: str) -> list[str]:
    """The clauses of a question that each ask something (at least 4 characters)."""
    parts = [p.strip() for p in _CLAUSE_SPLIT.split(question)]
    return [p for p in parts if len(p) >= 4 and _ASKS.search(p)]


# Two years each with the same words after them: 2010年组建月和2013年组建月.
_YEAR_PAIR = re.compile(rf"((?:19|20)\d\d)年?([\u4e00-\u5e73\u5e75-\u9fff][\u4e00-\u9fff]{{0,5}}?)(?:{_AND})"
                        rf"((?:19|20)\d\d)年?\2")  # \u5e74 is 年


def per_year(question: str) -> list[str]:
    """One question per year when a question lists several (2009年、2012年…各是多少), each
    keeping the rest of the sentence; [] unless the years stand together in one list (2012年
    比2009年 compares within one statement)."""
    pair = _YEAR_PAIR.search(question)
    if pair:
        head, tail = question[:pair.start()], question[pair.end():]
        return [f"{head}{year}年{pair.group(2)}{tail}" for year in (pair.group(1), pair.group(3))]
    run = YEAR_RUN.search(question)
    if not run:
        return []
    years = _years(run.group(0), question)
    head, tail = question[:run.start()], question[run.end():]
    return [f"{head}{year}年{tail}" for year in years]


# "A比B多几个": two items that are not years, compared by how much one exceeds the other.
_THAN = re.compile(r"^(?P<a>[^，,。？?\d]{2,14}?)比(?P<b>[^，,。？?\d]{2,14}?)(多|少|高|低)(了|出)?(多少|几)"
                   r"(?P<unit>[个项名人场次条家所座])?")


# Two years compared within one sentence: 2011年组建月新覆盖法人单位比2010年多多少.
_YEAR_THAN = re.compile(r"^(?P<head>[^，,。？?]*?)(?P<a>(?:19|20)\d\d)年?(?P<mid>[^，,。？?\d]*?)比(?P<b>(?:19|20)\d\d)年?"
                        r"(?P<rest>[^，,。？?\d]*)$")


def _year_than(question: str) -> re.Match | None:
    """The match of "A年…比B年…" with two different years and words between them, or None."""
    m = _YEAR_THAN.match(question)
    return m if m and m.group("a") != m.group("b") and m.group("mid") else None


def year_than(question: str) -> list[str]:
    """For "A年…比B年多多少", the question for each year (2011年组建月新覆盖法人单位是多少, 2010年…);
    [] for any other question. The engine asks them only when no fact states the comparison whole
    (长钢2012年比2009年可比产品成本降了多少 is one statement)."""
    m = _year_than(question)
    return [f"{m.group('head')}{year}年{m.group('mid')}是多少" for year in (m.group("a"), m.group("b"))] if m else []


def share_items(question: str) -> tuple[str, str] | None:
    """The part and the whole of a share (今年上半年新建的工会占全省基层工会总数百分之几 → 今年上半年新建的工会,
    全省基层工会总数), or None; the part must be named."""
    m = SHARE.search(question)
    if not m:
        return None
    part = re.sub(r"的$", "", question[:m.start()].strip(" ，,"))
    whole = re.sub(r"的$", "", question[m.start() + 1:m.start(2) if m.group(1) is None else m.start(1)])
    return (part, whole) if len(part) >= 2 and len(whole) >= 2 else None


def average_items(question: str) -> tuple[str, str] | None:
    """The two totals of an average, what is counted first (平均每个工会多少会员 → 会员, 工会), or None."""
    m = AVERAGE.search(question)
    if not m:
        return None
    # What it is per: named after 每 (平均每个工会), or before 平均 (全省工会组织平均每个覆盖几个…).
    per = m.group("per") or re.sub(r"^(全省|全国|山西省?|其中)|的$", "", question[:m.start()].strip(" ，,"))
    counted = re.sub(r"(呢|吗|啊|了)$", "", m.group("of"))
    return (counted, per) if counted and per and counted != per else None


def unnamed_total(question: str) -> str:
    """'average' or 'share' when the question asks one and leaves a total unnamed (平均每个覆盖几个
    法人单位, 占全省基层工会总数百分之几): it is of what the previous question counted; '' otherwise."""
    op = operation(question)
    named = {"average": average_items, "share": share_items}.get(op)
    return op if named and not named(question) else ""


def _than(question: str) -> tuple[str, str, str] | None:
    """The two items of "A比B多几个" and the measure word ('' if none), or None."""
    m = _THAN.match(re.sub(r"[(（][^)）]{1,6}[)）]", "", question))
    return (m.group("a"), m.group("b"), m.group("unit") or "") if m else None


def per_item(question: str) -> list[str]:
    """For "A和B各/分别…" questions, one question per item, each with the shared rest
    (全国劳模和五一劳动奖章各评了多少人 → 全国劳模各评了多少人, 五一劳动奖章各评了多少人); for
    "A比B多几个", A有多少个 and B有多少个."""
    question = re.sub(r"[(（][^)）]{1,6}[)）]", "", question)  # 社区(村)和企业 → 社区和企业
    than = _than(question)
    if than:
        return [f"{item}有多少{than[2]}" for item in than[:2]]
    average = average_items(question) or share_items(question)
    if average:  # 平均每个工会多少会员 → 会员有多少, 工会有多少; …占…百分之几 → the part, the whole
        return [f"{item}有多少" for item in average]
    m = _DISTRIBUTIVE.search(question)
    if not m:
        return []
    head, tail = question[:m.start()], question[m.start():]
    words = cut(head)
    joins = [i for i, w in enumerate(words) if re.fullmatch(_AND, w)]
    if not joins:
        return []
    j = joins[-1]
    right = words[j + 1:]
    left_start = max(0, j - max(1, len(right)))
    if any(re.fullmatch(r"[，,;；:：]", w) for w in words[left_start:j]):
        left_start = max(i for i, w in enumerate(words[:j]) if re.fullmatch(r"[，,;；:：]", w)) + 1
    prefix = "".join(words[:left_start])
    left = "".join(words[left_start:j])
    if not left or not right:
        return []
    return [prefix + left + tail, prefix + "".join(right) + tail]


# A comparison asked of one item becomes a plain question: 2010年…哪年新增工会组织多 → …新增工会组织多少.
_COMPARE = re.compile(r"(哪一?[个年项]|谁)(.*?)(更|最)?(多|少|高|低|大|小)([?？]?)$")
_SPREAD = re.compile(r"分别|各自|各|都")


def _single(part: str) -> str:
    """A part of a spread or compared question, asked as a question of its own."""
    part = _COMPARE.sub(lambda m: f"{m.group(2)}多少{m.group(5)}", part)
    part = re.sub(r"(差了?|相差|相比|降了?|下降了?|减少了?|升了?|增加了?|提高了?)(多少)", r"是\2", part)
    part = re.sub(r"(一共|总共|合计|加起来)", "", part)
    return _SPREAD.sub("", re.sub(r"从((?:19|20)\d\d年)", r"\1", part))


def items(question: str) -> list[str]:
    """What a question compares or adds up, in its order: its years (2010年, 2013年) or the
    items of "A和B…" (县级帮扶中心, 乡镇帮扶站); [] when it names fewer than two."""
    pair = _YEAR_PAIR.search(question)
    if pair:
        return [f"{pair.group(1)}年", f"{pair.group(3)}年"]
    than = _year_than(question)
    if than:
        return [f"{than.group('a')}年", f"{than.group('b')}年"]
    run = YEAR_RUN.search(question)
    if run:
        return [f"{y}年" for y in _years(run.group(0), question)]
    than = _than(question)
    if than:
        return list(than[:2])
    average = average_items(question) or share_items(question)
    if average:
        return list(average)
    split = per_item(question)
    if len(split) == 2:
        plain = re.sub(r"[(（][^)）]{1,6}[)）]", "", question)  # as per_item read it
        tail = plain[_DISTRIBUTIVE.search(plain).start():]
        heads = [p[: len(p) - len(tail)] if p.endswith(tail) else p for p in split]
        return [h for h in heads if h]
    return []


def topic(clause: str, article: str) -> str:
    """The longest start of a clause that the article also says (五一表彰有哪些特点 → 五一表彰)."""
    end = 0
    while end < len(clause) and re.match(r"[\u4e00-\u9fff]", clause[end]) and clause[:end + 1] in article:
        end += 1
    return clause[:end] if end >= 2 else ""


def parts(question: str, article: str = "") -> list[str]:
    """Every separately asked part, clause by clause and then per year or item; [] when the
    question asks one thing. A later clause is also asked with the first clause's topic in
    front (五一表彰有哪些特点，名额怎么变的 → …, 五一表彰名额怎么变的), for when it leaves the topic out."""
    out = []
    pieces = clauses(question)
    lead = topic(pieces[0], article) if len(pieces) > 1 and article else ""
    for n, piece in enumerate(pieces if len(pieces) > 1 else [question]):
        split = [_single(p) for p in per_year(piece) or per_item(piece)]
        out += split or ([piece] if len(pieces) > 1 else [])
        if n and lead and lead not in piece:
            out.append(lead + piece)
    return list(dict.fromkeys(p for p in out if p != question))
