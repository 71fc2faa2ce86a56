"""Normalisation shared by index build and query: one function, used everywhere."""
from __future__ import annotations

import functools
import re
import unicodedata

_SPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc  # imported lazily: a few ms, and only the engine needs it

    return opencc.OpenCC("t2s")


def clean(text: str) -> str:
    """Drop what can never carry meaning: surrogates, control and format characters."""
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cs" or (cat in ("Cc", "Cf") and ch not in "\t\n\r"):
            continue
        out.append(ch)
    return "".join(out)


_NOISE = re.compile(r"(?:https?://|www\.)\S+|(?<![\w.])@[A-Za-z0-9_]{3,}")


def strip_noise(text: str) -> str:
    """Remove what carries no question: links and @mentions of users or bots."""
    return _NOISE.sub(" ", text)


def normalize(text: str) -> str:
    """Fold `text` for matching: traditional → simplified, NFKC (full-width → half-width),
    case folding, and whitespace collapsed to single spaces."""
    text = unicodedata.normalize("NFKC", clean(text))
    text = _t2s().convert(text)
    return _SPACE.sub(" ", text.casefold()).strip()


def expand_english(text: str, glossary: tuple[tuple[str, str], ...]) -> str:
    """Append the Chinese terms of English words found in normalised `text`, so that an
    English or mixed question reaches the Chinese facts (trade union → 工会)."""
    if not re.search(r"[a-z]{2,}", text):
        return text
    rest, added = text, []
    for en, zh in _longest_first(glossary):
        pattern = r"(?<![a-z])" + re.escape(en) + r"s?(?![a-z])"
        if re.search(pattern, rest):
            rest = re.sub(pattern, " ", rest)  # a longer term hides the words it contains
            added.append(zh)
    return text if not added else f"{text} {' '.join(dict.fromkeys(added))}"


@functools.lru_cache(maxsize=4)
def _longest_first(glossary: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(glossary, key=lambda p: -len(p[0])))
