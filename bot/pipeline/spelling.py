"""Spelling: a homophone typo of one of the article's words is respelled before retrieval (煤旷 → 煤矿).

People type Chinese through pinyin input, so most typos are another character with the same sound
(劳摸 for 劳模, 西山煤店 for 西山煤电, 曹小斌 for 曹晓斌). A run of jieba's words is respelled when

- it is two to four Chinese characters that the article does not use, and not a common word
  (jieba's count under `_COMMON`: 陕西 stays 陕西, though it sounds like 山西);
- at least one of its words looks like a slip: a single character, or a rare word the article
  does not use (so two real words side by side, 省总 今年, are never merged into something else);
- it holds no function character (的, 是, 几…: 各是 is not 各市);
- exactly one of the article's words (or the people, places and organisations it names) has the
  same toneless syllables and shares at least one character in the same place.

A place the article never speaks of (河南, 广东: bot/data/places.txt) is respelled only where an
administrative suffix marks it as a place (河难省 → 河南省), so the scope check can see it.

Anything else is left as written: a wrong correction would cost more than a missed one.
"""
from __future__ import annotations

import functools
import re

from bot.knowledge.lexical import readings
from bot.knowledge.lexicon import cut, word_frequency
from bot.pipeline.text import places

_CJK = re.compile(r"[\u4e00-\u9fff]+")
# Common words are not typos (jieba's dictionary count).
_COMMON = 100
_FUNCTION = frozenset("的了是在和有个几多么吗呢啊吧也都就还又被把给对从到与及或这那哪谁啥什怎为各每")
# Two or three characters before 省 or 市: where a place elsewhere may be misspelled.
_SUFFIXED = re.compile(r"([\u4e00-\u9fff]{2,3})(?=[省市])")


# A number's unit ends a word: jieba would glue it to the next character (5年表章 → 年表 章).
_UNIT_AFTER_NUMBER = re.compile(r"(\d+[年月日号个项名人次条])")


def _cut(text: str) -> list[str]:
    """jieba's words, with each number and its unit cut apart from what follows."""
    return [w for piece in _UNIT_AFTER_NUMBER.split(text) if piece
            for w in ([piece] if _UNIT_AFTER_NUMBER.fullmatch(piece) else cut(piece))]


def _sound(char: str) -> str:
    """A character's toneless syllable (its most common reading), with the pairs that pinyin
    input confuses folded together (zh/z, ch/c, sh/s; -ng/-n): 西三 sounds like 西山."""
    return _folded(char)[0]


@functools.lru_cache(maxsize=8192)
def _folded(char: str) -> tuple[str, ...]:
    """Every reading of a character, most common first, each folded as `_sound` says."""
    return tuple(dict.fromkeys(re.sub(r"ng$", "n", re.sub(r"^([zcs])h", r"\1", r)) for r in readings(char)))


def _sounds(word: str) -> list[tuple[str, ...]]:
    """Every way `word` can sound (a heteronym such as 长 reads zhang or chang: 常钢 is 长钢), at
    most 8."""
    combos = [()]
    for char in word:
        combos = [c + (s,) for c in combos for s in _folded(char)][:8]
    return combos


class Speller:
    """Respells homophone typos of the article's words in a normalised question."""

    def __init__(self, article_text: str, words, names=(), elsewhere=()):
        self.text = article_text
        self.table: dict[tuple[str, ...], list[str]] = {}
        for word in sorted({w for w in (*words, *names) if 2 <= len(w) <= 4 and _CJK.fullmatch(w)}):
            for sound in _sounds(word):
                self.table.setdefault(sound, []).append(word)
        self.elsewhere: dict[tuple[str, ...], list[str]] = {}
        for place in sorted({p for p in elsewhere if 2 <= len(p) <= 3 and _CJK.fullmatch(p)}):
            self.elsewhere.setdefault(tuple(map(_sound, place)), []).append(place)

    @classmethod
    def of(cls, article) -> "Speller":
        """From the verifier's `Article` (its text, words and names, stored with the index)."""
        return cls(article.text, article.words, article.names, places())

    def __call__(self, text: str) -> str:
        if not _CJK.search(text):
            return text
        text = _SUFFIXED.sub(self._place, text)
        # A rare word of three or more characters that the article does not use is often a typo
        # that jieba glued to its neighbour (劳摸评 in 全国劳摸评了多少人): read it by character.
        words = [piece for w in _cut(text) for piece in (list(w) if self._glued(w) else [w])]
        out, i = [], 0
        while i < len(words):
            # A unit after a number (2009年低了: 年 is the year's) starts no typo: 年低 is not 年底.
            after_number = i > 0 and words[i - 1][-1:].isdigit() and len(words[i]) == 1
            for j in range(min(len(words), i + 4), i, -1) if not after_number else ():
                found = self._respelled(words[i:j])
                if found:
                    out.append(found)
                    i = j
                    break
            else:
                out.append(words[i])
                i += 1
        return "".join(out)

    def _place(self, match: re.Match) -> str:
        """河难 before 省 → 河南, when exactly one place elsewhere sounds so and shares a character
        in the same position, and the name as written is neither the article's nor a common word."""
        name = match.group(1)
        for span in (name, name[1:]) if len(name) == 3 else (name,):  # 去河难省: the name is the last two
            if span in self.text or word_frequency(span) >= _COMMON or _FUNCTION.intersection(span):
                continue
            found = [p for p in self.elsewhere.get(tuple(map(_sound, span)), ()) if any(a == b for a, b in zip(p, span))]
            if len(found) == 1 and not self.table.get(tuple(map(_sound, span))):
                return name[:len(name) - len(span)] + found[0]
        return name

    def _glued(self, word: str) -> bool:
        """A rare word the article does not use, with no common word inside (大同市 holds 大同)."""
        return (len(word) >= 3 and bool(_CJK.fullmatch(word)) and word not in self.text
                and word_frequency(word) < _COMMON
                and all(word_frequency(word[k:k + 2]) < _COMMON for k in range(len(word) - 1)))

    def _respelled(self, words: list[str]) -> str:
        span = "".join(words)
        if not 2 <= len(span) <= 4 or not _CJK.fullmatch(span) or _FUNCTION.intersection(span):
            return ""
        if span in self.text or word_frequency(span) >= _COMMON:
            return ""
        if not any(len(w) == 1 or (w not in self.text and word_frequency(w) < _COMMON) for w in words):
            return ""
        # every way the span can sound: a typo may be the heteronym (长村 reads changcun: 常村)
        found = list(dict.fromkeys(w for sound in _sounds(span) for w in self.table.get(sound, ())
                                   if any(a == b for a, b in zip(w, span))))
        return found[0] if len(found) == 1 else ""
