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


def normalize(text: str) -> str:
    """Fold `text` for matching: traditional → simplified, NFKC (full-width → half-width),
    case folding, and whitespace collapsed to single spaces."""
    text = unicodedata.normalize("NFKC", clean(text))
    text = _t2s().convert(text)
    return _SPACE.sub(" ", text.casefold()).strip()
