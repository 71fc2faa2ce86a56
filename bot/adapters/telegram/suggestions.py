"""Suggested questions as buttons: strict callback data, the table behind the keys, the keyboard."""
from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.adapters.render import Line, lines_of
from bot.adapters.telegram import feedback
from bot.adapters.telegram.keyed import Keyed

# Callback data comes from the client and can be forged: only this exact shape is a suggestion.
PATTERN = re.compile(r"\Asq:([0-9a-f]{12})\Z")
EXPIRED = "这个建议已过期，请直接输入问题。"
# Characters of a button's text. Telegram sets no documented limit, but clients cut a long
# text to one line; suggestions are at most 30 characters (bot.pipeline.compose), so this only guards.
BUTTON_CHARS = 32


class SuggestedQuestions(Keyed):
    """The questions on suggestion buttons, newest `size` of them: key → question. A question
    offered again keeps its key and becomes the newest, so the table holds each once: the
    article's suggestions number in the hundreds, and their buttons last while the bot runs."""

    def __init__(self, size: int = 10_000, max_chars: int = 300):
        super().__init__(size)
        self.max_chars = max_chars
        self._keys: dict[str, str] = {}

    def add(self, question: str) -> str:
        question = question[: self.max_chars]
        key = self._keys.get(question)
        key = self.put(question, key if self.get(key) == question else None)
        if len(self._keys) >= 2 * self.size:  # forget the keys of questions the table dropped
            self._keys = {q: k for k, q in self._items.items()}
        self._keys[question] = key
        return key


def parse(data: str | None) -> str | None:
    """The key of well-formed callback data, else None."""
    match = PATTERN.match(data or "")
    return match[1] if match else None


def label(question: str) -> str:
    return question if len(question) <= BUTTON_CHARS else question[: BUTTON_CHARS - 1] + "…"


def keyboard(table: SuggestedQuestions, questions, answer_key: str | None = None) -> InlineKeyboardMarkup | None:
    """One button per suggested question, one per row, above the 👍/👎 row of the answer under
    `answer_key` (when it has one); None when there is no button at all."""
    rows = [[InlineKeyboardButton(label(q), callback_data=f"sq:{table.add(q)}")] for q in questions]
    if answer_key:
        rows.append(feedback.row(answer_key))
    return InlineKeyboardMarkup(rows) if rows else None


def asked(question: str, who: str = "") -> list[Line]:
    """The line, in italics, that opens the answer to a pressed suggestion: no message of the
    user's shows what was asked (in a group, `who` says who asked)."""
    return lines_of(f"{who[:BUTTON_CHARS]}问：{question}", italic=True)
