"""Scope: the years and places the article never speaks of. A question about one of them is
out of scope whatever the nearest fact says (the article's figures are for Shanxi, 2006–2013)."""
from __future__ import annotations

from bot.pipeline.text import YEAR, places


class Scope:
    """The article's years and places, read once."""

    def __init__(self, article: str, year: int):
        self.article = article.replace(" ", "")
        self.years = set(YEAR.findall(article)) | {str(year)}
        self.places = tuple(p for p in places() if p not in article)

    def unknown(self, question: str) -> str:
        """'place:X' or 'year:Y' for a place or year of the normalised question that the
        article never mentions; '' when there is none."""
        for place in self.places:
            if place in question:
                return f"place:{place}"
        years = set(YEAR.findall(question)) - self.years
        return f"year:{','.join(sorted(years))}" if years else ""
