"""Normalisation shared by index build and query: one function, used everywhere."""
from __future__ import annotations

import functools
import re
import unicodedata

from bot.knowledge.facts import is_everyday

_SPACE = re.compile(r"\s+")
# Bumped whenever normalize() gives another text for the same input, so older indexes are stale.
# 2: Chinese numerals to digits (cn2an). 3: trailing sentence punctuation and combining marks dropped.
VERSION = 3
_TRAILING = re.compile(r"[\s?!.。！？~～…]+$")


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc  # imported lazily: a few ms, and only the engine needs it

    return opencc.OpenCC("t2s")


def clean(text: str) -> str:
    """Drop what can never carry meaning in a question: surrogates, control and format
    characters, and combining marks (工\u0301会 is 工会)."""
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cs", "Mn") or (cat in ("Cc", "Cf") and ch not in "\t\n\r"):
            continue
        out.append(ch)
    return "".join(out)


_NOISE = re.compile(r"(?:https?://|www\.)\S+|(?<![\w.])@[A-Za-z0-9_]{3,}")


def strip_noise(text: str) -> str:
    """Remove what carries no question: links and @mentions of users or bots."""
    return _NOISE.sub(" ", text)


# Openers that introduce a question and say nothing about it (再问个，… 新话题：… 文章里说的…).
_PREAMBLE = re.compile(r"^(?:(?:我|我们)?(?:再|还|想|还想|再来|顺便|顺带)?问(?:个|一个|一下|下|一句|问)?(?:问题)?|换个(?:问题|话题)|"
                       r"btw|by the way|顺便说一下|"
                       r"新(?:话题|问题)|还有(?:个|一个)问题|另外(?:再)?问(?:个|一个|一下|下)?|"
                       r"文章(?:里|中)?(?:说|提|讲|写)(?:到)?的|文中(?:说|提|讲|写)(?:到)?的)[\s:：,，、;；!！-]+|"
                       r"^(?:文章(?:里|中)(?:说|提|讲|写)(?:到)?的|文中(?:说|提|讲|写)(?:到)?的)")


def strip_preamble(text: str) -> str:
    """A normalised question without an opener that only introduces it: 再问个，长钢… → 长钢…,
    新话题：全委会… → 全委会…, 文章里说的曹晓斌… → 曹晓斌… (kept when nothing would remain)."""
    rest = _PREAMBLE.sub("", text, count=1)
    return rest if len(rest) >= 2 else text


def normalize(text: str) -> str:
    """Fold `text` for matching: traditional → simplified, NFKC (full-width → half-width),
    case folding, Chinese numerals to digits, whitespace collapsed to single spaces, and
    the question or full stop at the end dropped (it says nothing about what is asked)."""
    text = unicodedata.normalize("NFKC", clean(text))
    text = _t2s().convert(text)
    return numerals(_TRAILING.sub("", _SPACE.sub(" ", text.casefold()).strip()))


# A run of Chinese numeral characters, optionally a percentage (百分之…) or a decimal (…点…).
_CN_DIGIT = "零〇一二两三四五六七八九"
_CN_NUMBER = re.compile(rf"(百分之)?([{_CN_DIGIT}十][{_CN_DIGIT}十百千万亿]*(?:点[{_CN_DIGIT}]+)?)")
# 两千零一二年: a year said as thousands, then its last digits one by one.
_SPOKEN_YEAR = re.compile(rf"^([一二两])千零([{_CN_DIGIT}]{{2}})$")
_DIGIT_BY_DIGIT = re.compile(rf"^[{_CN_DIGIT}]{{4}}$")


@functools.lru_cache(maxsize=1)
def _cn2an():
    import warnings

    import cn2an  # a maintained converter; imported lazily (it is small)

    warnings.filterwarnings("ignore", module="cn2an")  # it warns on every span it cannot read
    return cn2an


def _numeral(span: str, before_year: bool, before_month: bool = False) -> str | None:
    """The Arabic form of one Chinese numeral span, or None to leave it as written.

    Only quantities are converted: a span with a place value (六万一千四百二十八, 十一), a
    decimal (零点零九), a year written digit by digit (二〇一二年) or a month (七月). Other
    single characters stay
    (五星级, 一助一, 三级网络 are names in the article), and so do spans cn2an cannot read."""
    if len(span) < 2 and not before_year and not before_month:
        return None  # decided before cn2an loads (~0.1 s): 一共 needs none of it
    cn2an = _cn2an()
    spoken = _SPOKEN_YEAR.match(span) if before_year else None
    if spoken:
        head = cn2an.cn2an(spoken.group(1), "normal")
        tail = "".join(str(cn2an.cn2an(ch, "normal")) for ch in spoken.group(2))
        return f"{head}0{tail}"
    if before_year and _DIGIT_BY_DIGIT.match(span):
        return str(cn2an.cn2an(span, "smart"))
    if len(span) > 1 and span[-1] in "万亿" and not re.search("[万亿]", span[:-1]):
        head = _numeral(span[:-1], False) or (str(cn2an.cn2an(span[:-1], "normal")) if len(span) == 2 else None)
        return head and head + span[-1]  # 四百八十四万 → 484万, as the article writes it
    if before_month and len(span) <= 2:
        try:
            return str(cn2an.cn2an(span, "strict"))  # 七月 → 7月: the article writes months in digits
        except (ValueError, KeyError, IndexError):
            return None
    if len(span) < 2 or not re.search("[十百千万亿点]", span) or span[0] in "百千万亿":
        return None
    try:
        value = cn2an.cn2an(span, "strict")
    except (ValueError, KeyError, IndexError):
        return None
    return f"{value:g}" if isinstance(value, float) else str(value)


def numerals(text: str) -> str:
    """Chinese numerals that state a quantity or a year, as the Arabic digits the article uses."""
    if not re.search(f"[{_CN_DIGIT}十]", text):
        return text

    def convert(m: re.Match) -> str:
        percent, span = m.group(1), m.group(2)
        value = _numeral(span, text.startswith("年", m.end()), text.startswith("月", m.end()))
        if value is None:
            return m.group(0)
        return f"{value}%" if percent else value

    return _CN_NUMBER.sub(convert, text)


def expand_english(text: str, glossary: tuple[tuple[str, str], ...]) -> str:
    """Append the Chinese terms of English words found in normalised `text`, so that an
    English or mixed question reaches the Chinese facts (trade union → 工会)."""
    if not re.search(r"[a-z]{2,}", text):
        return text
    rest, added = text, []
    for en, zh in _split(glossary)[0]:
        pattern = r"(?<![a-z])" + re.escape(en) + r"s?(?![a-z])"
        if re.search(pattern, rest):
            rest = re.sub(pattern, " ", rest)  # a longer term hides the words it contains
            added.append(zh)
    return text if not added else f"{text} {' '.join(dict.fromkeys(added))}"


def expand_everyday(text: str, glossary: tuple[tuple[str, str], ...]) -> str:
    """Append the article's term for each everyday Chinese expression in normalised `text`
    (拉人入会 → 发展会员), unless the question already uses the term."""
    rest, added = text, []
    for said, term in _split(glossary)[1]:
        if said not in rest:
            continue
        rest = rest.replace(said, " ")  # a longer expression hides the ones it contains
        if term not in text:
            added.append(term)
    return text if not added else f"{text} {' '.join(dict.fromkeys(added))}"


@functools.lru_cache(maxsize=4)
def _split(glossary: tuple[tuple[str, str], ...]) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """The glossary's English pairs and its everyday Chinese pairs, each longest key first."""
    longest = sorted(glossary, key=lambda p: -len(p[0]))
    return (tuple(p for p in longest if not is_everyday(p[0])), tuple(p for p in longest if is_everyday(p[0])))
