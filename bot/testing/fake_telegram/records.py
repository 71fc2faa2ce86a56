"""What the fake records and answers: API calls, sent messages, error records, API errors."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CONFLICT = ("Conflict: terminated by other getUpdates request; make sure that only one bot "
            "instance is running")


@dataclass
class Call:
    """One API request that reached a method (valid token). Appended when answered.

    ``time`` is when the request arrived (``time.time()``); ``status`` the HTTP status it got
    (0 = connection dropped on purpose); ``params`` the decoded parameters (form values as sent).
    """

    method: str
    params: dict
    time: float
    status: int = 0
    description: str | None = None


@dataclass(frozen=True)
class ErrorRecord:
    """A 4xx/5xx answer the fake gave."""

    method: str
    status: int
    description: str
    time: float
    injected: bool = False  # produced by fail()


@dataclass(frozen=True)
class ConflictRecord:
    """A getUpdates long poll answered 409 because another getUpdates superseded it."""

    method: str
    status: int
    description: str
    time: float
    expected: bool  # True: the superseded client had already hung up (PTB stop())


@dataclass
class SentMessage:
    """A message the bot sent (sendMessage) or an edit of one (editMessageText/ReplyMarkup)."""

    method: str
    chat_id: int
    message_id: int
    text: str  # visible text: markup removed, entities unescaped, trimmed
    raw_text: str  # the text parameter as sent
    parse_mode: str | None
    entities: list
    reply_markup: dict | None  # as sent (any keyboard type), parsed from JSON
    reply_to_message_id: int | None
    message: dict  # the Message object returned to the bot
    params: dict
    time: float

    @property
    def buttons(self) -> list[dict]:
        """Inline keyboard buttons, flattened row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [b for row in rows for b in row]


class ApiError(Exception):
    """A Bot API error answer: status, description and optional ``parameters``."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None,
                 injected: bool = False, conflict: bool = False,
                 parameters: dict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.parameters = dict(parameters or {})
        self.injected = injected
        self.conflict = conflict

    def payload(self) -> dict:
        out: dict[str, Any] = {"ok": False, "error_code": self.status,
                               "description": self.description}
        parameters = dict(self.parameters)
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if parameters:
            out["parameters"] = parameters
        return out


def bad(description: str) -> ApiError:
    """400 "Bad Request: <description>"."""
    return ApiError(400, "Bad Request: " + description)
