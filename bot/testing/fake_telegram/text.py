"""Message text as Telegram takes it: parse mode, trimming, length limit, automatic entities."""
from __future__ import annotations

import re

from .entities import EntityParseError, parse_html, sorted_entities, utf16_len
from .params import p_json, p_str
from .records import bad

MAX_MESSAGE_LENGTH = 4096

_EXTRA_BLANKS = "\u200b\u2060\ufeff"


def _is_blank(ch: str) -> bool:
    return ch.isspace() or ch in _EXTRA_BLANKS


def _trim(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Telegram trims leading/trailing blanks; entity offsets follow."""
    start, end = 0, len(text)
    while start < end and _is_blank(text[start]):
        start += 1
    while end > start and _is_blank(text[end - 1]):
        end -= 1
    if (start, end) == (0, len(text)):
        return text, entities
    stripped = text[start:end]
    lead, size = utf16_len(text[:start]), utf16_len(stripped)
    out = []
    for e in entities:
        first = max(0, e["offset"] - lead)
        last = min(size, e["offset"] - lead + e["length"])
        if last > first:
            out.append({**e, "offset": first, "length": last - first})
    return stripped, out


def parse_text(text: str, parse_mode: str | None,
               entities: list[dict] | None = None) -> tuple[str, list[dict]]:
    """Visible text and entities of a message text, trimmed like Telegram does.

    Raises ApiError (400) exactly as the fake's sendMessage would, without the empty/length checks.
    """
    if entities is not None or not parse_mode:
        return _trim(text, list(entities or []))
    mode = parse_mode.lower()
    if mode in ("markdownv2", "markdown"):
        raise bad(f"parse_mode {parse_mode} is unsupported by the fake (the bot sends HTML "
                  "only)")
    if mode != "html":
        raise bad("unsupported parse_mode")
    try:
        visible, ents = parse_html(text)
    except EntityParseError as exc:
        raise bad(f"can't parse entities: {exc}") from None
    return _trim(visible, ents)


def check_text(params: dict) -> tuple[str, str, list[dict], str | None]:
    """(raw text, visible text, entities, parse_mode) of a request, or the 400 Telegram gives."""
    raw = p_str(params, "text")
    parse_mode = p_str(params, "parse_mode") or None
    if raw is None or raw == "":
        raise bad("message text is empty")
    explicit = p_json(params, "entities", "entities")
    if explicit is not None and not isinstance(explicit, list):
        raise bad("can't parse entities JSON object")
    visible, entities = parse_text(raw, parse_mode, explicit)
    if not visible:
        raise bad("message text is empty")
    if utf16_len(visible) > MAX_MESSAGE_LENGTH:
        raise bad("message is too long")
    return raw, visible, entities, parse_mode


def auto_entities(text: str) -> list[dict]:
    """The bot_command and mention entities Telegram adds to a user's text."""
    entities = []
    for m in re.finditer(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?", text):
        entities.append({"type": "bot_command", "offset": utf16_len(text[:m.start()]),
                         "length": utf16_len(m.group())})
    for m in re.finditer(r"(?<![\w@/])@[A-Za-z0-9_]{5,32}(?!\w)", text):
        entities.append({"type": "mention", "offset": utf16_len(text[:m.start()]),
                         "length": utf16_len(m.group())})
    return sorted_entities(entities)
