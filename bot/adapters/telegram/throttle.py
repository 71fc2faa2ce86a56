"""Flood control: a sliding window per sender (one note per window), and the rate limiter
that gives answers the Bot API's request slots before "typing…"."""
from __future__ import annotations

import collections
import functools
import logging
import time
from enum import Enum

from telegram import Update
from telegram.ext import AIORateLimiter, ContextTypes

logger = logging.getLogger(__name__)


class Verdict(Enum):
    ALLOW = "allow"
    NOTE = "note"  # refused; tell the sender once
    QUIET = "quiet"  # refused again in the same window: spend no Bot API request on it


class Throttle:
    """At most `per_minute` updates per sender in any `window` seconds. A refused sender is
    told once per window, so one flooder cannot spend the bot's shared ~30 sends/s. Idle
    senders are forgotten, and at most `max_senders` are remembered at all."""

    def __init__(self, per_minute: int, window: float = 60.0, max_senders: int = 100_000,
                 clock=time.monotonic):
        self.per_minute, self.window, self.max_senders, self.clock = per_minute, window, max_senders, clock
        self._seen: collections.OrderedDict[int, collections.deque] = collections.OrderedDict()
        self._noted: dict[int, float] = {}
        self._swept = clock()

    def __len__(self) -> int:
        return len(self._seen)

    def check(self, sender: int) -> Verdict:
        now = self.clock()
        self._sweep(now, sender)
        times = self._seen.setdefault(sender, collections.deque())
        self._seen.move_to_end(sender)
        while times and now - times[0] > self.window:
            times.popleft()
        if len(times) < self.per_minute:
            times.append(now)
            return Verdict.ALLOW
        noted = self._noted.get(sender)
        if noted is not None and now - noted <= self.window:
            return Verdict.QUIET
        self._noted[sender] = now
        return Verdict.NOTE

    def _sweep(self, now: float, sender: int) -> None:
        """Forget senders idle for a whole window (at most once a window), and the least
        recently seen beyond `max_senders`."""
        if now - self._swept > self.window:
            self._swept = now
            for sender in [s for s, t in self._seen.items() if not t or now - t[-1] > self.window]:
                del self._seen[sender]
            self._noted = {s: t for s, t in self._noted.items() if now - t <= self.window}
        while sender not in self._seen and len(self._seen) >= self.max_senders:
            sender, _ = self._seen.popitem(last=False)
            self._noted.pop(sender, None)


def sender_of(update: Update) -> int:
    """Who sent it: the sender chat for anonymous group admins and channel posts (whose
    `from` is a placeholder shared by all of them), else the user, else the chat."""
    message = update.effective_message
    if message is not None and message.sender_chat is not None and update.callback_query is None:
        return message.sender_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat else 0


def throttled(callback):
    """`callback` runs only while its sender is under the limit; a refused sender gets one
    note per window (a quiet popup for a button press) and nothing more."""

    @functools.wraps(callback)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        throttle: Throttle = context.application.bot_data["throttle"]
        verdict = throttle.check(sender_of(update))
        if verdict is Verdict.ALLOW:
            await callback(update, context)
        elif verdict is Verdict.NOTE:
            note = f"提问太频繁了，请稍后再试（每分钟最多{throttle.per_minute}次）。"
            if update.callback_query is not None:
                await update.callback_query.answer(note)
            elif update.effective_message is not None:
                await update.effective_message.reply_text(note, do_quote=True)

    return guarded


class AnswersFirst(AIORateLimiter):
    """PTB's rate limiter (about 30 requests a second to chats in all, 20 a minute per group),
    except that "typing…" never waits for a slot: when the bucket is full, answers are queued
    behind each other, and a chat action would only delay one of them, so it is dropped.

    Measured with `make loadtest` (50 chats × 20 questions at once): typing took half the
    slots, and answers left at ~15-20 a second instead of the ~30 the limit allows."""

    SKIPPED = True  # what Telegram answers to sendChatAction

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        limiter = getattr(self, "_base_limiter", None)  # PTB's overall bucket (aiolimiter)
        if endpoint == "sendChatAction" and limiter is not None and not limiter.has_capacity():
            logger.debug("'typing' dropped in chat %s: every request slot is taken", data.get("chat_id"))
            return self.SKIPPED
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
