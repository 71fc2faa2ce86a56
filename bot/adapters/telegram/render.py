"""A reply as Telegram HTML messages: each line escaped on its own, split at the limit between lines."""
from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator

from bot.adapters.render import Line, lines, lines_of
from bot.pipeline.compose import Reply

MAX_MESSAGE = 4096  # characters Telegram shows in one message (UTF-16 code units, after entities)
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")


def markup(line: Line) -> str:
    """One line as Telegram HTML: its text escaped, in <b> or <i> when it stands out."""
    out = html.escape(line.text)
    if line.italic:
        out = f"<i>{out}</i>"
    return f"<b>{out}</b>" if line.bold else out


def messages(reply: Reply, before: Iterable[Line] = (), limit: int = MAX_MESSAGE) -> list[str]:
    """`reply` as HTML messages of at most `limit` visible characters, after the lines `before`
    (who asked a pressed suggestion); its suggestions are the message's buttons."""
    return split([*before, *lines(reply, buttons=True)], limit)


def plain_messages(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Plain `text` as escaped HTML messages of at most `limit` visible characters."""
    return split(lines_of(text), limit)


def split(shown: Iterable[Line], limit: int = MAX_MESSAGE) -> list[str]:
    """HTML messages of at most `limit` visible characters, cut between lines, else after sentence
    ends. A message never starts with an empty line, and the last one is sent only if it shows more
    than white space (one message in any case)."""
    shown = list(shown)
    chunks, current, size = [], [], 0
    for line in _fitted(shown, limit):
        units = _units(line.text)
        if current and size + 1 + units > limit:
            chunks.append(current)
            current = []
        if current:
            current.append(line)
            size += 1 + units
        elif line.text:
            current, size = [line], units
    if any(line.text.strip() for line in current):
        chunks.append(current)
    return [_joined(chunk) for chunk in chunks] or [_joined(_cut(shown, limit))]


def _cut(shown: list[Line], limit: int) -> list[Line]:
    """The lines with at most `limit` characters of text between them (line breaks counted): a
    message is cut by what it shows, never inside its markup."""
    kept, room = [], limit
    for line in shown:
        room -= 1 if kept else 0
        if room < 0:
            break
        kept.append(Line(line.text[:room], line.bold, line.italic))
        room -= len(kept[-1].text)
    return kept


def _joined(chunk: list[Line]) -> str:
    return "\n".join(markup(line) for line in chunk)


def _units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _fitted(shown: Iterable[Line], limit: int) -> Iterator[Line]:
    """Lines no longer than `limit`; a longer line is cut after sentence ends (a hard cut only
    inside a sentence longer than the limit), and its pieces lose their bold."""
    for line in shown:
        if _units(line.text) <= limit:
            yield line
            continue
        buffer = ""
        for sentence in _SENTENCE_END.split(line.text):
            if buffer and _units(buffer + sentence) > limit:
                yield Line(buffer)
                buffer = ""
            buffer += sentence
            while _units(buffer) > limit:
                yield Line(buffer[: limit // 2])
                buffer = buffer[limit // 2:]
        if buffer:
            yield Line(buffer)
