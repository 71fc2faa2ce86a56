"""Telegram plumbing that holds no bot logic: message splitting, and a getUpdates request
that notices a revoked token and outages."""
from __future__ import annotations

import html
import re
from http import HTTPStatus

from telegram.error import NetworkError
from telegram.request import HTTPXRequest

MAX_MESSAGE = 4096


class WatchedRequest(HTTPXRequest):
    """The getUpdates connection. PTB stops polling silently on 401 (a revoked token) and
    leaves a deaf bot that looks alive; this notices and stops the application. It also
    reports each poll's outcome to `outage` (network errors and 5xx are failures)."""

    def __init__(self, *args, on_unauthorized=None, outage=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_unauthorized = on_unauthorized
        self.outage = outage

    async def do_request(self, url, method, request_data=None, **kwargs):
        polling, sent_at = url.endswith("/getUpdates"), self.outage.clock() if self.outage else 0.0
        try:
            status, payload = await super().do_request(url, method, request_data, **kwargs)
        except NetworkError as exc:  # includes TimedOut
            if polling and self.outage:
                self.outage.failed(str(exc) or type(exc).__name__)
            raise
        if polling and self.outage:
            if status >= 500:
                self.outage.failed(f"HTTP {status} {_phrase(status)}")
            elif status < 300:
                self.outage.succeeded(sent_at)
        if status == 401 and polling and self.on_unauthorized:
            self.on_unauthorized()
        return status, payload


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


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
