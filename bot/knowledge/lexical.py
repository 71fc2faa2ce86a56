"""Chinese-aware tokenisation for BM25, shared by indexing and querying."""
from __future__ import annotations

import functools
import importlib.util
import json
import re
import unicodedata
from pathlib import Path

from bot.knowledge.lexicon import cut_for_search

# CJK runs, or runs of ASCII letters/digits (numbers keep their decimal point).
_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[a-z]+|\d+(?:\.\d+)?")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_TONE_MARK = re.compile(r"[\u0300-\u036f]")  # combining marks, once NFD has split them off

TOKENIZERS = ("bigram", "jieba", "bigram+pinyin")
# Bumped whenever tokens change for the same text, so an index built before is stale.
# 2: pypinyin without its phrase dictionary (each character's most common reading).
VERSION = 2


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[int, str], dict[int, tuple[str, ...]]]:
    """Code point → toneless syllable of its most common reading, and → every toneless reading
    for the characters that have more than one (长: zhang, chang), from pypinyin's table of
    single characters. The table is read as a file because importing pypinyin also loads its
    phrase dictionary (~44 MB, ~0.2 s) unless PYPINYIN_NO_PHRASES is set in the process
    environment, which would change pypinyin for everything else in the process."""
    package = importlib.util.find_spec("pypinyin")  # locates the package without importing it
    table = json.loads((Path(package.submodule_search_locations[0]) / "pinyin_dict.json").read_text("utf-8"))
    first, every = {}, {}
    for point, readings in table.items():
        toneless = _toneless(readings.split(",", 1)[0])
        first[int(point)] = toneless
        if "," in readings:
            others = tuple(dict.fromkeys(_toneless(r) for r in readings.split(",")))
            if len(others) > 1:
                every[int(point)] = others
    return first, every


def _syllables() -> dict[int, str]:
    return _tables()[0]


def readings(char: str) -> tuple[str, ...]:
    """Every toneless reading of one character, its most common first (长 → zhang, chang)."""
    return _tables()[1].get(ord(char)) or tuple(toneless_pinyin(char))


@functools.lru_cache(maxsize=4096)  # a few thousand readings recur over 41,000 characters
def _toneless(reading: str) -> str:
    """pypinyin's Style.NORMAL of one reading: tone marks dropped, ü written v (lǜ → lv)."""
    return _TONE_MARK.sub("", unicodedata.normalize("NFD", reading).replace("u\u0308", "v"))


def toneless_pinyin(text: str) -> list[str]:
    """One toneless syllable per character of a Chinese run (a character without a reading
    stands for itself): what `pypinyin.lazy_pinyin(char)` gives each character alone.

    pypinyin's phrase dictionary would pick heteronym readings from context, but since
    questions and facts go through the same function the readings only have to be
    consistent, and the evaluation is unchanged without it."""
    table = _syllables()
    return [table.get(ord(char), char) for char in text]


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


def _pinyin_bigrams(run: str) -> list[str]:
    syllables = toneless_pinyin(run)
    if len(syllables) == 1:
        return ["py:" + syllables[0]]
    return [f"py:{a}_{b}" for a, b in zip(syllables, syllables[1:])]


def tokenize(text: str, mode: str = "bigram") -> list[str]:
    """Tokens of already-normalised `text`: CJK character bigrams (or jieba words),
    ASCII words and numbers whole, and with "+pinyin" also toneless pinyin bigrams,
    which let homophone typos (公会 for 工会) still match."""
    if mode not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer {mode!r}")
    tokens: list[str] = []
    for run in _RUN.findall(text):
        if not CJK.match(run):
            tokens.append(run)
        elif mode == "jieba":
            tokens += [w for w in cut_for_search(run) if w.strip()]
        else:
            tokens += _bigrams(run)
            if mode == "bigram+pinyin":
                tokens += _pinyin_bigrams(run)
    return tokens
