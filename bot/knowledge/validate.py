"""Checks of curated facts against the schema and the article, and the article's figure coverage."""
from __future__ import annotations

import re

from bot.knowledge.facts import Fact, FactBase, Meta, squeeze
from bot.knowledge.numbers import figure_tokens, numbers_in

FIELDS = ("id", "text", "quote", "section", "figures", "questions")
# Training data beside each fact: ways to ask what it states, and questions about the same
# subject that the article does not answer. Optional for loading, counted by `check`.
TRAINING_FIELDS = ("variants", "not_answered")
MIN_VARIANTS, MIN_NOT_ANSWERED = 15, 5
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def check_fields(raw: dict, where: str) -> list[str]:
    """An item of a fact file has every field, none empty but `figures`, and no unknown one."""
    problems = []
    for key in FIELDS:
        if key not in raw:
            problems.append(f"{where}: missing field '{key}'")
        elif key != "figures" and not raw[key]:
            problems.append(f"{where}: empty field '{key}'")
    extra = set(raw) - set(FIELDS) - set(TRAINING_FIELDS)
    if extra:
        problems.append(f"{where}: unknown field(s) {', '.join(sorted(extra))}")
    return problems


def check_fact(fact: Fact, where: str, article: str, meta: Meta) -> list[str]:
    """A fact against the article: verbatim quotes, figures and numbers in the quote, a listed section."""
    problems = []
    if not _SLUG.match(fact.id):
        problems.append(f"{where}: id must be a lowercase slug (a-z, 0-9, -)")
    for span in fact.quote:
        if not span.strip():
            problems.append(f"{where}: empty quote span")
        elif squeeze(span) not in article:
            problems.append(f"{where}: quote is not verbatim in the article: {span[:40]!r}")
    quote = squeeze(fact.quote_text)
    for fig in fact.figures:
        if not fig.strip() or squeeze(fig) not in quote:
            problems.append(f"{where}: figure {fig!r} is not in the quote")
    allowed = set(numbers_in(quote)) | {str(meta.year)}
    for fig in fact.figures:
        allowed.update(numbers_in(fig))
    for number in numbers_in(fact.text):
        if number not in allowed:
            problems.append(f"{where}: number {number} in text is not in the quote")
    for fig in fact.figures:
        for number in numbers_in(fig):
            if number not in numbers_in(quote):
                problems.append(f"{where}: number {number} in figures is not in the quote")
    if fact.section not in meta.sections:
        problems.append(f"{where}: section {fact.section!r} is not listed in meta.yaml")
    if not 3 <= len(fact.questions) <= 6:
        problems.append(f"{where}: needs 3-6 questions, has {len(fact.questions)}")
    if any(not q.strip() for q in fact.questions):
        problems.append(f"{where}: empty question")
    return problems


def check_training(fact: Fact, where: str, year: int) -> list[str]:
    """Variants name only the fact's years; no question is both a variant and a near-miss."""
    problems = []
    years = set(_YEAR.findall(fact.text)) | {str(year)}
    for _, q in fact.variants:
        extra = set(_YEAR.findall(q)) - years
        if extra:
            problems.append(f"{where}: variant names a year the fact does not: {q!r}")
    asked = {squeeze(q) for q in fact.asked}
    for _, q in fact.not_answered:
        if squeeze(q) in asked:
            problems.append(f"{where}: {q!r} is both a variant and not_answered")
    return problems


def missing_figures(base: FactBase) -> list[str]:
    """Figure tokens of the article that no fact carries, each with its context.

    A token occurrence is carried when some fact's quote spans it and one of that
    fact's figures contains the token."""
    article = squeeze(base.article)
    spans = []
    for fact in base.facts:
        for part in fact.quote:
            part = squeeze(part)
            start = article.find(part)
            while start >= 0:
                spans.append((start, start + len(part), fact))
                start = article.find(part, start + 1)
    missing = []
    for s, e, token in figure_tokens(article):
        carried = any(qs <= s and e <= qe and any(token in squeeze(f) for f in fact.figures)
                      for qs, qe, fact in spans)
        if not carried:
            missing.append(f"{token} (…{article[max(0, s - 12):e + 6]}…)")
    return missing


def thin_training(base: FactBase) -> list[str]:
    """Facts with fewer variants or near-misses than the verifier needs, for `check`."""
    out = []
    for fact in base.facts:
        nv, nn = len(fact.variants), len(fact.not_answered)
        if nv < MIN_VARIANTS or nn < MIN_NOT_ANSWERED:
            out.append(f"{fact.id} ({fact.source}): {nv} variants, {nn} not_answered "
                       f"(need {MIN_VARIANTS} and {MIN_NOT_ANSWERED})")
    return out
