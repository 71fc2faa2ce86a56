"""Curated facts as every stage sees them: Fact, Meta, FactBase, and how facts relate."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from bot.knowledge.numbers import numbers_in

_WS = re.compile(r"\s+")
_CJK_KEY = re.compile(r"[\u4e00-\u9fff]")


def is_everyday(key: str) -> bool:
    """Whether a glossary key is an everyday Chinese expression (拉人入会), not an English term."""
    return bool(_CJK_KEY.match(key))


def squeeze(text: str) -> str:
    """The article's comparison form: all whitespace and page breaks removed."""
    return _WS.sub("", text)


@dataclass(frozen=True)
class Fact:
    """One self-contained statement of the article, with its verbatim support."""

    id: str
    text: str
    quote: tuple[str, ...]
    section: str
    figures: tuple[str, ...]
    questions: tuple[str, ...]
    source: str = ""
    variants: tuple[tuple[str, str], ...] = ()      # (style, question) the fact answers
    not_answered: tuple[tuple[str, str], ...] = ()  # (kind, question) the article does not answer

    @property
    def quote_text(self) -> str:
        return "……".join(self.quote)

    @property
    def asked(self) -> tuple[str, ...]:
        """Every way of asking what this fact states: the curated questions, then the variants."""
        return self.questions + tuple(q for _, q in self.variants)


@dataclass(frozen=True)
class Meta:
    """What the article is: title, paper, year and its section headings."""

    title: str
    paper: str
    year: int
    authors: str
    sections: tuple[str, ...]
    people: tuple[str, ...] = ()          # the people, places and organisations the article names
    places: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    summary: str = ""                     # what the article covers, in a phrase
    examples: tuple[str, ...] = ()        # questions shown to a new user
    subject: str = ""                     # what the article is about (这篇文章讲的是…)

    @property
    def names(self) -> tuple[str, ...]:
        return self.people + self.places + self.organizations


@dataclass(frozen=True)
class FactBase:
    """All facts plus the article they were checked against."""

    facts: tuple[Fact, ...]
    meta: Meta
    article: str
    digest: str
    glossary: tuple[tuple[str, str], ...] = ()
    out_of_scope: tuple[tuple[str, str], ...] = ()  # (kind, question): general questions to refuse

    def by_id(self, fact_id: str) -> Fact:
        return self._by_id[fact_id]

    @functools.cached_property
    def _by_id(self) -> dict[str, Fact]:
        return {f.id: f for f in self.facts}

    @property
    def allowed_numbers(self) -> frozenset[str]:
        """Numbers a reply may state beyond its quotes: the article's own year, which
        the article writes as 今年."""
        return frozenset({str(self.meta.year)})


def states_all(outer: Fact, inner: Fact, year: int = 0) -> bool:
    """Whether fact `outer` states everything fact `inner` does (a summary and one of its parts)."""
    if squeeze(inner.quote_text) in squeeze(outer.quote_text) and squeeze(inner.text) != squeeze(outer.text):
        return len(numbers_in(inner.text)) <= len(numbers_in(outer.text))
    own = set(numbers_in(inner.text)) - {str(year)}
    return bool(own) and own <= set(numbers_in(outer.text))
