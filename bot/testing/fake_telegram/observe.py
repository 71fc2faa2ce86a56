"""Test-side reads of what the bot did: copies of the records, and blocking FIFO waits."""
from __future__ import annotations

import copy
import time
from typing import Any, Callable

from .records import Call, ConflictRecord, ErrorRecord, SentMessage
from .state import State


class Observe(State):
    """What the bot did, as copies of the records, and the blocking waits on them."""

    # ---- records (copies) -----------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return list(self._calls)

    @property
    def sent_messages(self) -> list[SentMessage]:
        with self._cond:
            return list(self._sent)

    @property
    def edits(self) -> list[SentMessage]:
        with self._cond:
            return list(self._edits)

    @property
    def deleted_messages(self) -> list[tuple[int, int]]:
        with self._cond:
            return list(self._deleted)

    @property
    def left_chats(self) -> list[int]:
        """Chats the bot left with leaveChat, in order."""
        with self._cond:
            return list(self._left_log)

    @property
    def errors(self) -> list[ErrorRecord]:
        """Every 4xx/5xx answered, except 409s of superseded polls whose client had hung up."""
        with self._cond:
            return list(self._errors)

    @property
    def conflicts(self) -> list[ConflictRecord]:
        with self._cond:
            return list(self._conflicts)

    @property
    def unexpected_errors(self) -> list[ErrorRecord]:
        """``errors`` minus those produced by fail()."""
        with self._cond:
            return [e for e in self._errors if not e.injected]

    @property
    def confirmed_offset(self) -> int | None:
        """Highest positive ``offset`` a getUpdates call has sent (None if never)."""
        with self._cond:
            return self._confirmed_offset

    @property
    def last_update_id(self) -> int | None:
        with self._cond:
            return self._last_update_id

    @property
    def pending_updates(self) -> list[dict]:
        """Updates not yet confirmed: they would be delivered again to the next getUpdates."""
        with self._cond:
            return copy.deepcopy(self._queue)

    @property
    def polls_waiting(self) -> int:
        with self._cond:
            return len(self._pollers)

    def commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        with self._cond:
            return copy.deepcopy(self._commands.get((self._scope_key(scope), language_code), []))

    def message(self, chat_id: int, message_id: int) -> dict | None:
        """Current state of a stored message (user's or bot's), or None (never/deleted)."""
        with self._cond:
            m = self._messages.get((chat_id, message_id))
            return copy.deepcopy(m) if m else None

    # ---- waits ----------------------------------------------------------------------------
    def wait_for_message(self, chat_id: int | None = None, timeout: float = 10,
                         predicate: Callable[[SentMessage], bool] | None = None, *,
                         consumer: str = "default") -> SentMessage:
        """The oldest message sent by the bot (sendMessage) not yet returned to this
        ``consumer`` that matches ``chat_id``/``predicate``; blocks up to ``timeout`` s."""
        def match(m: SentMessage) -> bool:
            return (chat_id is None or m.chat_id == chat_id) and (predicate is None or predicate(m))
        return self._wait_consume("message", consumer, lambda: self._sent, match, timeout,
                                  f"a message from the bot (chat_id={chat_id})")

    def wait_for_edit(self, chat_id: int | None = None, timeout: float = 10,
                      predicate: Callable[[SentMessage], bool] | None = None, *,
                      consumer: str = "default") -> SentMessage:
        """Like wait_for_message, for editMessageText / editMessageReplyMarkup."""
        def match(m: SentMessage) -> bool:
            return (chat_id is None or m.chat_id == chat_id) and (predicate is None or predicate(m))
        return self._wait_consume("edit", consumer, lambda: self._edits, match, timeout,
                                  f"an edit by the bot (chat_id={chat_id})")

    def wait_for_call(self, method: str, timeout: float = 10,
                      predicate: Callable[[Call], bool] | None = None, *,
                      consumer: str = "default") -> Call:
        """The oldest answered call of ``method`` (case-insensitive) not yet returned to this
        ``consumer`` for which ``predicate(call)`` holds (``call.params``, ``call.status``)."""
        low = method.lower()

        def match(c: Call) -> bool:
            return c.method.lower() == low and (predicate is None or predicate(c))
        return self._wait_consume("call", consumer, lambda: self._calls, match, timeout,
                                  f"a {method} call")

    def wait_for_poll(self, timeout: float = 10) -> None:
        """Return once a getUpdates long poll is pending on the server (the bot is listening)."""
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self._pollers), timeout):
                raise TimeoutError(f"no getUpdates long poll pending within {timeout} s; "
                                   f"recent calls: {self._recent()}")

    def _wait_consume(self, kind: str, consumer: str, items: Callable[[], list],
                      match: Callable[[Any], bool], timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            consumed = self._consumed.setdefault((kind, consumer), set())
            while True:
                for idx, item in enumerate(items()):
                    if idx not in consumed and match(item):
                        consumed.add(idx)
                        return item
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no {what} within {timeout} s; recent calls: "
                                       f"{self._recent()}; errors: {self._errors[-5:]}")
                self._cond.wait(remaining)

    def _recent(self) -> list[str]:
        return [f"{c.method}->{c.status}" for c in self._calls[-8:]]
