"""Feedback buttons: strict callback data, and the bounded table of answers they refer to."""
from __future__ import annotations

import collections
import re
import secrets

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

# Callback data comes from the client and can be forged: only this exact shape is a vote.
PATTERN = re.compile(r"\Afb:(up|down):([0-9a-f]{12})\Z")


def buttons(key: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("👍", callback_data=f"fb:up:{key}"),
                                  InlineKeyboardButton("👎", callback_data=f"fb:down:{key}")]])


def parse(data: str | None) -> tuple[str, str] | None:
    """(vote, answer key) of well-formed callback data, else None."""
    match = PATTERN.match(data or "")
    return (match[1], match[2]) if match else None


class PendingAnswers:
    """The answers that carry buttons, newest `size` of them: key → (question, fact ids).
    Questions are kept cut to `max_chars` (what retrieval saw), never as 4096-character
    originals."""

    def __init__(self, size: int = 10_000, max_chars: int = 300):
        self.size, self.max_chars = size, max_chars
        self._items: collections.OrderedDict[str, tuple[str, tuple[str, ...]]] = collections.OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def add(self, question: str, fact_ids) -> str:
        key = secrets.token_hex(6)
        self._items[key] = (question[: self.max_chars], tuple(fact_ids))
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return key

    def get(self, key: str) -> tuple[str, tuple[str, ...]] | None:
        return self._items.get(key)
