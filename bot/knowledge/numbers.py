"""Numbers in text: the one definition used by fact validation, coverage and the reply guard."""
from __future__ import annotations

import re

# An Arabic number as the article writes them: 61428, 29.12, 0.09. Ratios (1:1) and
# ranges (1月~8月) yield each side separately.
NUMBER = re.compile(r"\d+(?:\.\d+)?")
# A figure token: a number with the unit written right after it (61428个, 484万余条, 15.7%).
FIGURE = re.compile(r"\d+(?:\.\d+)?(?:[:：]\d+)?[%年月日个名人项条届次场号余多万亿元周份]*")


def numbers_in(text: str) -> list[str]:
    """Every Arabic number in `text`, in order, as written (no unit)."""
    return NUMBER.findall(text)


def figure_tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, token) of every figure token in `text`."""
    return [(m.start(), m.end(), m.group()) for m in FIGURE.finditer(text)]


def unsupported_numbers(reply: str, sources: list[str], allowed: frozenset[str] = frozenset()) -> list[str]:
    """Numbers of `reply` that appear in none of `sources` (nor in `allowed`)."""
    known = set(allowed)
    for source in sources:
        known.update(numbers_in(source))
    return [n for n in numbers_in(reply) if n not in known]
