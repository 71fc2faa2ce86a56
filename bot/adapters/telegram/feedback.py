"""Feedback buttons: strict callback data, and the bounded table of answers they refer to."""
from __future__ import annotations

import re

from telegram import InlineKeyboardButton

from bot.adapters.telegram.keyed import Keyed

# Callback data comes from the client and can be forged: only this exact shape is a vote.
PATTERN = re.compile(r"\Afb:(up|down):([0-9a-f]{12})\Z")


def row(key: str) -> list[InlineKeyboardButton]:
    """The 👍/👎 buttons of the answer under `key`, one keyboard row."""
    return [InlineKeyboardButton("👍", callback_data=f"fb:up:{key}"),
            InlineKeyboardButton("👎", callback_data=f"fb:down:{key}")]


def parse(data: str | None) -> tuple[str, str] | None:
    """(vote, answer key) of well-formed callback data, else None."""
    match = PATTERN.match(data or "")
    return (match[1], match[2]) if match else None


class PendingAnswers(Keyed):
    """The answers that carry buttons, newest `size` of them: key → (question, fact ids).
    Questions are kept cut to `max_chars` (what retrieval saw), never as 4096-character
    originals."""

    def __init__(self, size: int = 10_000, max_chars: int = 300):
        super().__init__(size)
        self.max_chars = max_chars

    def add(self, question: str, fact_ids) -> str:
        return self.put((question[: self.max_chars], tuple(fact_ids)))
