"""Telegram's HTML parse mode: visible text and entities, offsets in UTF-16 code units."""
from __future__ import annotations

import re
from typing import Any


class EntityParseError(ValueError):
    """The reason text of 'can't parse entities: <reason>'."""


def utf16_len(s: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets and length limits."""
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def _byte_offset(text: str, i: int) -> int:
    return len(text[:i].encode("utf-8", "surrogatepass"))


class _Out:
    """Visible text under construction, with its length in UTF-16 units."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.u16 = 0

    def add(self, s: str) -> None:
        self.parts.append(s)
        self.u16 += utf16_len(s)

    def text(self) -> str:
        return "".join(self.parts)


_HTML_ENTITY = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9A-Fa-f]{1,8})|([A-Za-z][A-Za-z0-9]*));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_TAG_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}


def _decode_html_entity(text: str, i: int) -> tuple[str, int] | None:
    m = _HTML_ENTITY.match(text, i)
    if not m:
        return None
    dec, hexa, name = m.groups()
    if name is not None:
        ch = _NAMED_ENTITIES.get(name)
        return (ch, m.end()) if ch is not None else None
    code = int(dec) if dec is not None else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), m.end()


def _mention_entity(url: str) -> dict | None:
    m = re.fullmatch(r"tg://user\?id=(\d+)", url)
    if m:
        return {"type": "text_mention", "user": {"id": int(m[1]), "is_bot": False,
                                                  "first_name": "User"}}
    return None


def parse_html(text: str) -> tuple[str, list[dict]]:
    """Telegram's HTML parse mode → (visible text, entities). Raises EntityParseError."""
    out = _Out()
    stack: list[dict] = []
    entities: list[dict] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            dec = _decode_html_entity(text, i)
            if dec is None:
                raise EntityParseError(
                    f'Unsupported HTML entity at byte offset {_byte_offset(text, i)}: a bare "&" '
                    'must be written as "&amp;" (only &lt; &gt; &amp; &quot; and numeric '
                    "entities are supported)")
            out.add(dec[0])
            i = dec[1]
            continue
        if c != "<":
            out.add(c)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and text[i] == "/":  # end tag
            i += 1
            start = i
            while i < n and not text[i].isspace() and text[i] != ">":
                i += 1
            name = text[start:i].lower()
            while i < n and text[i].isspace():
                i += 1
            if i >= n or text[i] != ">":
                raise EntityParseError(
                    f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            i += 1
            if not stack:
                raise EntityParseError(
                    f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
            top = stack[-1]
            if name and name != top["tag"]:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{top["tag"]}>", found "</{name}>"')
            stack.pop()
            _close_html_tag(top, out, stack, entities)
            continue
        # start tag
        start = i
        while i < n and not text[i].isspace() and text[i] != ">":
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        name = text[start:i].lower()
        if name not in _HTML_TAG_TYPES:
            raise EntityParseError(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, begin)}')
        attrs: dict[str, str] = {}
        while True:
            while i < n and text[i].isspace():
                i += 1
            if i >= n:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            if text[i] == ">":
                i += 1
                break
            astart = i
            while i < n and not text[i].isspace() and text[i] not in "=>":
                i += 1
            aname = text[astart:i].lower()
            if not aname:
                raise EntityParseError(f'Empty attribute name in the tag "{name}" at byte offset '
                                       f"{_byte_offset(text, begin)}")
            while i < n and text[i].isspace():
                i += 1
            if i >= n:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            if text[i] != "=":
                if name == "blockquote" and aname == "expandable":
                    attrs[aname] = ""
                    continue
                raise EntityParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{name}" at '
                    f"byte offset {_byte_offset(text, begin)}")
            i += 1
            while i < n and text[i].isspace():
                i += 1
            if i >= n:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            if text[i] in "'\"":
                quote = text[i]
                i += 1
                val: list[str] = []
                while i < n and text[i] != quote:
                    if text[i] == "&":
                        dec = _decode_html_entity(text, i)
                        if dec is not None:
                            val.append(dec[0])
                            i = dec[1]
                            continue
                    val.append(text[i])
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
                i += 1
                value = "".join(val)
            else:
                vstart = i
                while i < n and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
                    i += 1
                value = text[vstart:i].lower()
                if i >= n:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
                if not (text[i].isspace() or text[i] == ">"):
                    raise EntityParseError(
                        f"Unexpected end of name token at byte offset {_byte_offset(text, vstart)}")
            attrs.setdefault(aname, value)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset '
                                   f"{_byte_offset(text, begin)}")
        if name == "tg-emoji" and not re.fullmatch(r"\d{1,20}", attrs.get("emoji-id", "")):
            raise EntityParseError("Invalid custom emoji identifier specified")
        stack.append({"tag": name, "attrs": attrs, "start": out.u16, "out_idx": len(out.parts),
                      "begin": begin, "language": None})
    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1]["tag"]}"')
    return out.text(), sorted_entities(entities)


def _close_html_tag(top: dict, out: _Out, stack: list[dict], entities: list[dict]) -> None:
    tag, attrs = top["tag"], top["attrs"]
    length = out.u16 - top["start"]
    typ = _HTML_TAG_TYPES[tag]
    ent: dict[str, Any] = {"type": typ, "offset": top["start"], "length": length}
    if tag == "code":
        lang = attrs.get("class", "")
        if stack and stack[-1]["tag"] == "pre" and lang.startswith("language-") and len(lang) > 9:
            stack[-1]["language"] = lang[9:]
            return  # becomes the language of the enclosing pre
    elif tag == "pre":
        if top["language"]:
            ent["language"] = top["language"]
    elif tag == "a":
        url = attrs.get("href", "")
        if not url:
            return
        mention = _mention_entity(url)
        if mention:
            ent.update(mention)
        else:
            ent["url"] = url
    elif tag == "tg-emoji":
        ent["custom_emoji_id"] = attrs["emoji-id"]
    elif tag == "blockquote" and "expandable" in attrs:
        ent["type"] = "expandable_blockquote"
    if length > 0:
        entities.append(ent)


def sorted_entities(entities: list[dict]) -> list[dict]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))
