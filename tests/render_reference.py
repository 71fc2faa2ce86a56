"""The reply as readers saw it before the adapters rendered it: the core's own rendering and the
Telegram adapter's split of the rendered HTML (bot/compose.py's render and bot/adapters/telegram/
send.py's split_message at a1adee7, unchanged), and the check that the adapters still show that."""
from __future__ import annotations

import html
import re

from bot.adapters import render
from bot.adapters.telegram import render as telegram
from bot.adapters.telegram.suggestions import asked
from bot.pipeline.compose import Reply
from bot.pipeline.decide import Kind

LIMIT = telegram.MAX_MESSAGE


def old_render(reply: Reply, html_mode: bool) -> str:
    esc = html.escape if html_mode else (lambda s: s)
    bold = (lambda s: f"<b>{esc(s)}</b>") if html_mode else (lambda s: s)
    lines = [f"（理解为：{esc(reply.understood)}？）"] if reply.understood else []
    lines += [bold(reply.lead[0]) if reply.kind == Kind.ANSWER else esc(reply.lead[0])]
    lines += [esc(line) for line in reply.lead[1:]]
    if reply.citations:
        lines += ["", "📖 原文"]
        for c in reply.citations:
            lines.append(f"「{esc(c.section)}」")
            lines.append(f"“{esc(c.quote)}”")
    if reply.suggestions and reply.kind != Kind.ANSWER:
        if html_mode:
            lines += ["", "你可以点下面的问题接着问。"]
        else:
            lines += ["", "你可以这样问："] + [f"· {esc(s)}" for s in reply.suggestions]
    return "\n".join(lines)


def old_split(text: str, limit: int = LIMIT) -> list[str]:
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


def old_asked(question: str, who: str = "") -> str:
    return f"<i>{html.escape(who[:32])}问：{html.escape(question)}</i>"


def assert_as_before(reply: Reply, limit: int = LIMIT) -> None:
    """The plain text, the Telegram messages and a pressed suggestion's messages are what they were."""
    assert render.text(reply) == old_render(reply, html_mode=False)
    assert telegram.messages(reply, limit=limit) == old_split(old_render(reply, html_mode=True), limit)
    pressed = telegram.messages(reply, asked("山西<工会>&会员?", "小王"), limit=limit)
    assert pressed == old_split(f"{old_asked('山西<工会>&会员?', '小王')}\n{old_render(reply, True)}", limit)
