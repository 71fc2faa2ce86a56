"""Telegram plumbing that holds no bot logic: message splitting, a throttle, and a
getUpdates request that notices a revoked token."""
from __future__ import annotations

import collections
import html
import re
import time

from telegram.request import HTTPXRequest

MAX_MESSAGE = 4096


class WatchedRequest(HTTPXRequest):
    """The getUpdates connection. PTB stops polling silently on 401 (a revoked token) and
    leaves a deaf bot that looks alive; this notices and stops the application."""

    def __init__(self, *args, on_unauthorized=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_unauthorized = on_unauthorized

    async def do_request(self, url, method, request_data=None, **kwargs):
        status, payload = await super().do_request(url, method, request_data, **kwargs)
        if status == 401 and url.endswith("/getUpdates") and self.on_unauthorized:
            self.on_unauthorized()
        return status, payload


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split rendered HTML into messages of at most `limit` visible characters, at line
    breaks, else after sentence ends. Each line of our HTML closes its own tags."""
    chunks, current = [], ""
    for line in _fit_lines(text.split("\n"), limit):
        candidate = f"{current}\n{line}" if current else line
        if current and _visible_len(candidate) > limit:
            chunks.append(current)
            candidate = line
        current = candidate
    if current.strip():
        chunks.append(current)
    return chunks or [text[:limit]]


def _visible_len(markup: str) -> int:
    return len(html.unescape(re.sub(r"<[^>]+>", "", markup)).encode("utf-16-le")) // 2


def _fit_lines(lines: list[str], limit: int) -> list[str]:
    """Lines no longer than `limit`; a longer line is cut after sentence ends (a hard
    cut only inside a sentence longer than the limit) and loses its bold."""
    out = []
    for line in lines:
        if _visible_len(line) <= limit:
            out.append(line)
            continue
        plain, buffer = html.unescape(re.sub(r"<[^>]+>", "", line)), ""
        for sentence in re.split(r"(?<=[。！？；!?;])", plain):
            if buffer and _visible_len(html.escape(buffer + sentence)) > limit:
                out.append(html.escape(buffer))
                buffer = ""
            buffer += sentence
            while _visible_len(html.escape(buffer)) > limit:
                out.append(html.escape(buffer[: limit // 2]))
                buffer = buffer[limit // 2:]
        if buffer:
            out.append(html.escape(buffer))
    return out


class Throttle:
    """At most `per_minute` questions per user in any 60 seconds."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._seen: dict[int, collections.deque] = collections.defaultdict(collections.deque)

    def allow(self, user_id: int) -> bool:
        now, window = time.monotonic(), self._seen[user_id]
        while window and now - window[0] > 60:
            window.popleft()
        if len(window) >= self.per_minute:
            return False
        window.append(now)
        return True
