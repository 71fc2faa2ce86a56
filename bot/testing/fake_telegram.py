"""A fake Telegram Bot API server for offline tests of a python-telegram-bot (PTB 22) bot.

Standard library only. A ``ThreadingHTTPServer`` runs in a daemon thread on 127.0.0.1 with an
ephemeral port; point PTB at it with::

    with FakeTelegram(token=TOKEN, bot_username="shanxi_qa_bot") as fake:
        app = (ApplicationBuilder().token(TOKEN)
               .base_url(fake.base_url).base_file_url(fake.base_file_url).build())

Set ``NO_PROXY=127.0.0.1,localhost`` (httpx routes even 127.0.0.1 through ``HTTP(S)_PROXY`` /
``ALL_PROXY``) and ``PTB_TIMEDELTA=1``.

IMPORTANT - never block the bot under test
    Every ``wait_*`` method blocks the calling *thread* (on a ``threading.Condition``, never a busy
    loop) with its own ``timeout`` and raises ``TimeoutError`` when it expires. An in-process PTB
    bot shares the test's event loop, so from an ``async`` test always call them through
    ``asyncio.to_thread``::

        msg = await asyncio.to_thread(fake.wait_for_message, chat_id=1001, timeout=5)

    Do not wrap that in ``asyncio.wait_for``: the cancelled thread keeps waiting and silently
    consumes the next message. The ``inject_*``/``press_button``/``fail``/``revoke`` methods never
    block and may be called directly from the event loop.

What is emulated (see the ``_m_*`` methods): URLs ``/bot<token>/<method>`` with case-insensitive
method names; ``/file/bot<token>/...`` always answers 404. Replies are
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N, "description": "..."}``
(+ ``parameters.retry_after`` for 429). A well-formed but different token gets 401
"Unauthorized", a malformed one 404 "Not Found"; an unimplemented method gets 404 "Not Found: method X not implemented in the fake" (PTB turns every
404 into ``InvalidToken``, hence the explicit description). Bodies may be form-encoded (values
JSON-encoded as PTB sends them), JSON or multipart/form-data.

Text validation follows Telegram: the text is parsed according to ``parse_mode`` (HTML, the only
mode the bot sends; errors give 400 "Bad Request: can't parse entities: <reason>", reasons worded
like Telegram's tdlib; MarkdownV2 and legacy Markdown are not parsed and get 400 "Bad Request:
parse_mode ... is unsupported by the fake"), leading/trailing whitespace is trimmed (Python ``str.strip()`` plus zero-width
space, word joiner and BOM - an approximation of Telegram's set), an empty result gives 400 "Bad
Request: message text is empty", and a visible text longer than 4096 *UTF-16 code units* gives 400
"Bad Request: message is too long". Telegram's documentation says "characters"; entity offsets are
UTF-16 based, so the fake counts UTF-16 units, which is the stricter choice: an emoji outside the
BMP counts 2. Plain BMP text (e.g. Chinese) counts 1 per character either way. The HTML parser is
deliberately stricter than Telegram in one respect: a bare ``&`` that does not start one of
``&lt; &gt; &amp; &quot; &#NN; &#xHH;`` is rejected (Telegram may keep it literally); unescaped
content is the most common production failure, so tests should see it.

Other Telegram behaviour reproduced on purpose: ``editMessageText`` without ``reply_markup`` removes
the inline keyboard; editing to identical content gives 400 "Bad Request: message is not modified:
..."; a callback query can be answered once; ``getUpdates`` while a webhook is set gives 409; a
second ``getUpdates`` while one is waiting makes the first answer 409 "Conflict: terminated by other
getUpdates request; ...". That happens once, by design, whenever PTB stops polling (the cancelled
long poll is superseded by the final offset-confirming call). Such 409s are kept in ``conflicts``;
one whose client had already hung up (PTB's stop) has ``expected=True`` and is *not* put in
``errors``; one delivered to a live client (two bot instances polling) is put in both.

Test-side API (all thread-safe)
    inject_message / inject_sticker / inject_photo / inject_edited_message / inject_channel_post /
    inject_update / inject_my_chat_member / press_button / register_chat
                                                          -> queue updates, make chats known
    delete_user_message / block / migrate_chat            -> what users and Telegram do to chats
    left_chats                                            -> leaveChat calls
    wait_for_message / wait_for_edit / wait_for_call / wait_for_poll   -> blocking, see above
    sent_messages, edits, deleted_messages, calls, errors, unexpected_errors, conflicts,
    confirmed_offset, last_update_id, pending_updates, polls_waiting, message(), commands()
    fail / delay / drop_connection / clear_faults / revoke             -> fault injection
The ``wait_for_*`` record waits are FIFO per ``consumer`` (keyword, default "default"): each
returns the oldest matching record that consumer has not been given yet, including records
that arrived before the call.
"""
from __future__ import annotations

import copy
import itertools
import json
import logging
import re
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass
from email import policy as _email_policy
from email.parser import BytesParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "FakeTelegram",
    "SentMessage",
    "Call",
    "ErrorRecord",
    "ConflictRecord",
    "ApiError",
    "EntityParseError",
    "DEFAULT_TOKEN",
    "MAX_MESSAGE_LENGTH",
    "parse_text",
    "parse_html",
    "utf16_len",
]

_LOG = logging.getLogger("fake_telegram")

DEFAULT_TOKEN = "123456789:AAF4keT0kenForOfflineTests_0123456789abc"
MAX_MESSAGE_LENGTH = 4096
WELL_FORMED_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{30,}$")

_DROP = object()  # sentinel: close the connection without answering


# --------------------------------------------------------------------------------------------
# records
# --------------------------------------------------------------------------------------------
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
    method: str
    status: int
    description: str
    time: float
    injected: bool = False  # produced by fail()


@dataclass(frozen=True)
class ConflictRecord:
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


def _bad(description: str) -> ApiError:
    return ApiError(400, "Bad Request: " + description)


# --------------------------------------------------------------------------------------------
# text parsing (HTML)
# --------------------------------------------------------------------------------------------
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
    return out.text(), _sorted(entities)


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


def _sorted(entities: list[dict]) -> list[dict]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


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
        raise _bad(f"parse_mode {parse_mode} is unsupported by the fake (the bot sends HTML "
                   "only)")
    if mode != "html":
        raise _bad("unsupported parse_mode")
    try:
        visible, ents = parse_html(text)
    except EntityParseError as exc:
        raise _bad(f"can't parse entities: {exc}") from None
    return _trim(visible, ents)


# --------------------------------------------------------------------------------------------
# parameter decoding
# --------------------------------------------------------------------------------------------
def _p_json(params: dict, name: str, what: str | None = None) -> Any:
    v = params.get(name)
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            raise _bad(f"can't parse {what or name} JSON object") from None
    return v


def _p_int(params: dict, name: str, required: bool = False) -> int | None:
    v = params.get(name)
    if v is None or v == "":
        if required:
            raise _bad(f"{name} is empty")
        return None
    if isinstance(v, bool):
        raise _bad(f"invalid {name} specified")
    if isinstance(v, (int, float)) and int(v) == v:
        return int(v)
    if isinstance(v, str) and re.fullmatch(r"\s*-?\d+\s*", v):
        return int(v)
    raise _bad(f"invalid {name} specified")


def _p_float(params: dict, name: str, default: float = 0.0) -> float:
    v = params.get(name)
    if v is None or v == "":
        return default
    try:
        return float(v)
    except (TypeError, ValueError):
        raise _bad(f"invalid {name} specified") from None


def _p_bool(params: dict, name: str) -> bool:
    v = params.get(name)
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1")
    return bool(v)


def _p_str(params: dict, name: str) -> str | None:
    v = params.get(name)
    if v is None:
        return None
    return v if isinstance(v, str) else json.dumps(v)


def _parse_body(content_type: str, body: bytes, query: str) -> dict:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    ctype = content_type.split(";")[0].strip().lower()
    if not body:
        return params
    if ctype == "application/json":
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("JSON body is not an object")
        params.update(data)
    elif ctype == "multipart/form-data":
        msg = BytesParser(policy=_email_policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
        if not msg.is_multipart():
            raise ValueError("bad multipart body")
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                continue
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                params[name] = {"filename": filename, "content_type": part.get_content_type(),
                                "size": len(payload), "data": payload}
            else:
                params[name] = payload.decode(part.get_content_charset() or "utf-8")
    else:  # application/x-www-form-urlencoded (PTB) or unspecified
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return params


def _public_params(params: dict) -> dict:
    return {k: ({kk: vv for kk, vv in v.items() if kk != "data"}
                if isinstance(v, dict) and "data" in v else v) for k, v in params.items()}


# --------------------------------------------------------------------------------------------
# HTTP layer
# --------------------------------------------------------------------------------------------
class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    # socketserver's default listen backlog is 5: a bot opening dozens of connections at once
    # (PTB's pool holds 256) then sees SYNs dropped and requests hang for seconds, which
    # Telegram's servers never do to it.
    request_queue_size = 1024
    fake: "FakeTelegram"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    disable_nagle_algorithm = True  # else Nagle + delayed ACK add ~40 ms per call
    server_version = "FakeTelegram/1.0"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.fake._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        _LOG.debug("%s " + format, self.address_string(), *args)

    def do_POST(self) -> None:
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(400, {"ok": False, "error_code": 400,
                             "description": "Bad Request: malformed HTTP body"})
            return
        status, payload = self.server.fake._process(self, body)
        if payload is _DROP:
            self._drop()
        else:
            self._send(status, payload)

    do_GET = do_POST

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline(65537).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # client gone (e.g. a cancelled long poll)
            self.close_connection = True

    def _drop(self) -> None:
        """Abort the connection without an answer (RST via SO_LINGER 0)."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass

    def client_gone(self) -> bool:
        """True if the peer already closed its side (nothing more will be read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True


# --------------------------------------------------------------------------------------------
# the fake
# --------------------------------------------------------------------------------------------
_CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note"})

_METHODS = ["getMe", "deleteWebhook", "setWebhook", "getWebhookInfo", "logOut", "close",
            "getUpdates", "sendMessage", "sendChatAction", "setMyCommands", "getMyCommands",
            "deleteMyCommands", "answerCallbackQuery", "editMessageText",
            "editMessageReplyMarkup", "deleteMessage", "getChat", "leaveChat"]
_CANONICAL = {m.lower(): m for m in _METHODS}

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure", 401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user", 404: "Not Found",
    409: "Conflict: injected conflict", 500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}

_NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are "
                 "exactly the same as a current content and reply markup of the message")


_CONFLICT = ("Conflict: terminated by other getUpdates request; make sure that only one bot "
             "instance is running")


class _PollWaiter:
    __slots__ = ("state", "handler")

    def __init__(self, handler: _Handler) -> None:
        self.state = "waiting"  # -> woken | superseded | revoked | stopping
        self.handler = handler


class FakeTelegram:
    """A fake Bot API server. All public methods are thread-safe.

    Use as a context manager (or call ``start()`` / ``stop()``).
    """

    def __init__(self, token: str = DEFAULT_TOKEN, bot_username: str = "shanxi_qa_bot", *,
                 bot_first_name: str = "Shanxi QA", host: str = "127.0.0.1",
                 first_update_id: int = 100_000_001):
        if not WELL_FORMED_TOKEN.match(token):
            raise ValueError(f"token {token!r} is not of the form <digits>:<30+ chars>")
        self.token = token
        self.bot_username = bot_username.lstrip("@")
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user = {"id": self.bot_id, "is_bot": True, "first_name": bot_first_name,
                         "username": self.bot_username}
        self._host = host
        self._cond = threading.Condition(threading.RLock())
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._connections: set[socket.socket] = set()
        self._revoked = False
        self._stopping = False
        # updates
        self._queue: list[dict] = []
        self._next_update_id = first_update_id
        self._last_update_id: int | None = None
        self._confirmed_offset: int | None = None
        self._allowed_updates: list[str] | None = None
        self._pollers: list[_PollWaiter] = []
        self._webhook: dict[str, Any] = {"url": ""}
        # chats & messages
        self._chats: dict[int, dict] = {}
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict] = {}
        self._callback_queries: dict[str, dict] = {}
        self._cq_ids = itertools.count(4_000_000_000_001)
        self._commands: dict[tuple[str, str], list[dict]] = {}
        self._blocked: set[int] = set()  # private chats whose user blocked the bot
        self._left: set[int] = set()  # groups the bot is no longer a member of
        self._left_log: list[int] = []  # leaveChat calls, in order
        self._migrated: dict[int, int] = {}  # group id -> the supergroup it became
        # records
        self._calls: list[Call] = []
        self._sent: list[SentMessage] = []
        self._edits: list[SentMessage] = []
        self._deleted: list[tuple[int, int]] = []
        self._errors: list[ErrorRecord] = []
        self._conflicts: list[ConflictRecord] = []
        self._consumed: dict[tuple[str, str], set[int]] = {}
        # faults: method(lower) -> list of [remaining, spec]
        self._fails: dict[str, list[list]] = {}
        self._delays: dict[str, list[list]] = {}
        self._drops: dict[str, int] = {}
        self._methods: dict[str, Callable[[dict, _Handler], Any]] = {
            m.lower(): getattr(self, "_m_" + re.sub(r"(?<!^)([A-Z])", r"_\1", m).lower())
            for m in _METHODS}

    # ---- lifecycle ------------------------------------------------------------------------
    def start(self) -> "FakeTelegram":
        if self._server is not None:
            return self
        with self._cond:
            self._stopping = False
        self._stop_event.clear()
        self._server = _Server((self._host, 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="FakeTelegram", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        with self._cond:
            self._stopping = True
            self._wake_pollers("stopping")
        self._stop_event.set()
        self._server.shutdown()
        with self._cond:
            conns = list(self._connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = None

    def __enter__(self) -> "FakeTelegram":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self._host}:{self.port}/file/bot"

    def revoke(self) -> None:
        """From now on the token answers 401 Unauthorized (pending long polls too)."""
        with self._cond:
            self._revoked = True
            self._wake_pollers("revoked")

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

    # ---- fault injection ------------------------------------------------------------------
    def fail(self, method: str, status: int, times: int = 1, retry_after: int | None = None,
             description: str | None = None) -> None:
        """The next ``times`` calls of ``method`` answer ``status``.

        429 answers carry ``parameters.retry_after`` (default 1)."""
        if status == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        if description is None:
            try:
                description = _DEFAULT_DESCRIPTIONS.get(status) or HTTPStatus(status).phrase
            except ValueError:
                description = f"Error {status}"
        with self._cond:
            self._fails.setdefault(method.lower(), []).append(
                [times, (status, description, retry_after)])

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` are answered ``seconds`` late."""
        with self._cond:
            self._delays.setdefault(method.lower(), []).append([times, seconds])

    def drop_connection(self, method: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` get their connection reset, no answer."""
        with self._cond:
            self._drops[method.lower()] = self._drops.get(method.lower(), 0) + times

    def clear_faults(self) -> None:
        with self._cond:
            self._fails.clear()
            self._delays.clear()
            self._drops.clear()

    @staticmethod
    def _take(queue: list[list] | None) -> Any:
        if not queue:
            return None
        entry = queue[0]
        entry[0] -= 1
        if entry[0] <= 0:
            queue.pop(0)
        return entry[1]

    # ---- chats & injection ----------------------------------------------------------------
    def register_chat(self, chat_id: int, chat_type: str = "private", *, title: str | None = None,
                      username: str | None = None, first_name: str = "Tester") -> dict:
        """Make a chat known (sendMessage to unknown chats gives 'chat not found')."""
        with self._cond:
            return copy.deepcopy(self._chat(chat_id, chat_type, title, username, first_name))

    def _chat(self, chat_id: int, chat_type: str, title: str | None, username: str | None,
              first_name: str) -> dict:
        known = self._chats.get(chat_id)
        if known is not None:
            if known["type"] != chat_type:
                raise ValueError(f"chat {chat_id} is a {known['type']}, not a {chat_type}")
            return known
        if chat_type == "private":
            if chat_id <= 0:
                raise ValueError("private chat ids are positive (= the user id)")
            chat = {"id": chat_id, "type": "private", "first_name": first_name}
            if username:
                chat["username"] = username
        elif chat_type in ("group", "supergroup", "channel"):
            if chat_id >= 0:
                raise ValueError(f"{chat_type} chat ids are negative")
            chat = {"id": chat_id, "type": chat_type,
                    "title": title or {"group": "Test group", "supergroup": "Test supergroup",
                                       "channel": "Test channel"}[chat_type]}
            if username and chat_type != "group":
                chat["username"] = username
        else:
            raise ValueError(f"unknown chat_type {chat_type!r}")
        self._chats[chat_id] = chat
        return chat

    def _user(self, user_id: int, username: str | None, first_name: str) -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}
        if username:
            user["username"] = username
        return user

    @staticmethod
    def _default_chat_id(chat_type: str, user_id: int) -> int:
        defaults = {"private": user_id, "group": -2001, "supergroup": -1000000002001,
                    "channel": -1000000003001}
        if chat_type not in defaults:
            raise ValueError(f"unknown chat_type {chat_type!r}")
        return defaults[chat_type]

    def _new_message(self, chat_id: int | None, user_id: int | None, chat_type: str,
                     username: str | None, first_name: str, title: str | None,
                     reply_to: Any, content: dict) -> dict:
        """Build (and store) a user message; caller holds the lock."""
        if chat_type == "private" and chat_id is not None and user_id is not None \
                and chat_id != user_id:
            raise ValueError("in a private chat chat_id must equal user_id")
        if user_id is None:
            user_id = chat_id if (chat_type == "private" and chat_id is not None) else 1001
        if chat_id is None:
            chat_id = self._default_chat_id(chat_type, user_id)
        chat = self._chat(chat_id, chat_type, title,
                          username if chat_type == "private" else None, first_name)
        msg: dict[str, Any] = {"message_id": self._alloc_message_id(chat_id)}
        if chat_type != "channel":
            msg["from"] = self._user(user_id, username, first_name)
        else:
            msg["sender_chat"] = copy.deepcopy(chat)
        msg["chat"] = copy.deepcopy(chat)
        msg["date"] = int(time.time())
        if reply_to is not None:
            msg["reply_to_message"] = self._reply_target(chat_id, reply_to)
        msg.update(content)
        self._messages[(chat_id, msg["message_id"])] = msg
        return msg

    def _reply_target(self, chat_id: int, reply_to: Any) -> dict:
        if isinstance(reply_to, SentMessage):
            reply_to = reply_to.message_id
        if isinstance(reply_to, dict):
            target = reply_to
        else:
            target = self._messages.get((chat_id, int(reply_to)))
            if target is None:
                raise ValueError(f"no message {reply_to} in chat {chat_id} to reply to")
        target = copy.deepcopy(target)
        target.pop("reply_to_message", None)
        return target

    def _alloc_message_id(self, chat_id: int) -> int:
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

    def _auto_entities(self, text: str) -> list[dict]:
        entities = []
        for m in re.finditer(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?", text):
            entities.append({"type": "bot_command", "offset": utf16_len(text[:m.start()]),
                             "length": utf16_len(m.group())})
        for m in re.finditer(r"(?<![\w@/])@[A-Za-z0-9_]{5,32}(?!\w)", text):
            entities.append({"type": "mention", "offset": utf16_len(text[:m.start()]),
                             "length": utf16_len(m.group())})
        return _sorted(entities)

    def inject_message(self, text: str, chat_id: int | None = None, user_id: int | None = None,
                       chat_type: str = "private", username: str | None = None,
                       reply_to: Any = None, entities: list[dict] | None = None, *,
                       first_name: str = "Tester", chat_title: str | None = None) -> dict:
        """A user's text message. Defaults: user 1001; chat = user (private), -2001 (group),
        -1000000002001 (supergroup). ``bot_command`` / ``mention`` entities are added unless
        ``entities`` is given. ``reply_to``: a message dict, a SentMessage or a message_id."""
        ents = self._auto_entities(text) if entities is None else entities
        content: dict[str, Any] = {"text": text}
        if ents:
            content["entities"] = ents
        with self._cond:
            msg = self._new_message(chat_id, user_id, chat_type, username, first_name,
                                    chat_title, reply_to, content)
            return self._enqueue({"message": copy.deepcopy(msg)})

    def inject_sticker(self, emoji: str = "👍", chat_id: int | None = None,
                       user_id: int | None = None, chat_type: str = "private",
                       username: str | None = None, *, first_name: str = "Tester") -> dict:
        uid = next(self._cq_ids)
        sticker = {"file_id": f"CAACAgIAAxkBAAI{uid}", "file_unique_id": f"AgAD{uid}",
                   "type": "regular", "width": 512, "height": 512, "is_animated": False,
                   "is_video": False, "emoji": emoji, "set_name": "FakeStickers",
                   "file_size": 23456}
        with self._cond:
            msg = self._new_message(chat_id, user_id, chat_type, username, first_name, None,
                                    None, {"sticker": sticker})
            return self._enqueue({"message": copy.deepcopy(msg)})

    def inject_photo(self, caption: str | None = None, chat_id: int | None = None,
                     user_id: int | None = None, chat_type: str = "private",
                     username: str | None = None, *, first_name: str = "Tester") -> dict:
        uid = next(self._cq_ids)
        photo = [{"file_id": f"AgACAgIAAxkBAAI{uid}_{w}", "file_unique_id": f"AQAD{uid}{w}",
                  "width": w, "height": w * 3 // 4, "file_size": w * 60}
                 for w in (90, 320, 800, 1280)]
        content: dict[str, Any] = {"photo": photo}
        if caption is not None:
            content["caption"] = caption
            ents = self._auto_entities(caption)
            if ents:
                content["caption_entities"] = ents
        with self._cond:
            msg = self._new_message(chat_id, user_id, chat_type, username, first_name, None,
                                    None, content)
            return self._enqueue({"message": copy.deepcopy(msg)})

    def inject_edited_message(self, message: dict | int, text: str,
                              chat_id: int | None = None) -> dict:
        """The user edits a message they sent earlier (a message dict or its id)."""
        with self._cond:
            if isinstance(message, dict):
                key = (message["chat"]["id"], message["message_id"])
            else:
                if chat_id is None:
                    raise ValueError("chat_id is required with a message_id")
                key = (chat_id, int(message))
            old = self._messages.get(key)
            if old is None:
                raise ValueError(f"no message {key[1]} in chat {key[0]}")
            msg = copy.deepcopy(old)
            msg["text"] = text
            ents = self._auto_entities(text)
            msg.pop("entities", None)
            if ents:
                msg["entities"] = ents
            msg["edit_date"] = int(time.time())
            self._messages[key] = msg
            kind = "edited_channel_post" if msg["chat"]["type"] == "channel" else "edited_message"
            return self._enqueue({kind: copy.deepcopy(msg)})

    def inject_channel_post(self, text: str, chat_id: int = -1000000003001,
                            username: str | None = "fake_channel", *,
                            title: str | None = None) -> dict:
        content: dict[str, Any] = {"text": text}
        ents = self._auto_entities(text)
        if ents:
            content["entities"] = ents
        with self._cond:
            chat = self._chat(chat_id, "channel", title, username, "")
            msg: dict[str, Any] = {"message_id": self._alloc_message_id(chat_id),
                                   "sender_chat": copy.deepcopy(chat),
                                   "chat": copy.deepcopy(chat), "date": int(time.time())}
            msg.update(content)
            self._messages[(chat_id, msg["message_id"])] = msg
            return self._enqueue({"channel_post": copy.deepcopy(msg)})

    def inject_update(self, update: dict) -> dict:
        """Queue a raw Update dict (``update_id`` is assigned if missing). Chats in it become
        known."""
        update = json.loads(json.dumps(update))  # private copy; must be JSON-serialisable
        with self._cond:
            for key, value in update.items():
                if not isinstance(value, dict):
                    continue
                msg = value.get("message") if key == "callback_query" else value
                if isinstance(msg, dict) and isinstance(msg.get("chat"), dict):
                    chat = msg["chat"]
                    self._chats.setdefault(chat["id"], copy.deepcopy(chat))
                    if key in ("message", "channel_post") and "message_id" in msg:
                        self._messages[(chat["id"], msg["message_id"])] = copy.deepcopy(msg)
                        self._next_message_id[chat["id"]] = max(
                            self._next_message_id.get(chat["id"], 0), msg["message_id"])
                if key == "callback_query" and "id" in value:
                    self._callback_queries.setdefault(value["id"], {"answered": False})
            return self._enqueue(update)

    def delete_user_message(self, chat_id: int, message_id: int) -> None:
        """The user deletes one of their messages. Telegram tells bots nothing; a reply that
        quotes it gets 400 "message to be replied not found" unless
        ``allow_sending_without_reply`` is set."""
        with self._cond:
            if self._messages.pop((chat_id, message_id), None) is None:
                raise ValueError(f"no message {message_id} in chat {chat_id}")

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends to their private chat get 403."""
        with self._cond:
            self._blocked.add(user_id)

    def inject_my_chat_member(self, chat_id: int, status: str = "member", *,
                              chat_type: str = "group", old_status: str = "left",
                              user_id: int = 1001, title: str | None = None) -> dict:
        """The bot's membership in a chat changed (e.g. user ``user_id`` added it to a group:
        ``status="member"``). Statuses: member, administrator, left, kicked."""
        with self._cond:
            chat = self._chat(chat_id, chat_type, title, None, "Tester")
            if status in ("member", "administrator"):
                self._left.discard(chat_id)
            elif chat_type != "private":
                self._left.add(chat_id)
            return self._enqueue({"my_chat_member": {
                "chat": copy.deepcopy(chat), "from": self._user(user_id, None, "Tester"),
                "date": int(time.time()), "old_chat_member": self._member(old_status),
                "new_chat_member": self._member(status)}})

    def _member(self, status: str) -> dict:
        member: dict[str, Any] = {"status": status, "user": dict(self.bot_user)}
        if status == "kicked":
            member["until_date"] = 0
        elif status == "administrator":
            member.update({k: False for k in (
                "can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
                "can_delete_stories")})
        elif status not in ("member", "left"):
            raise ValueError(f"unsupported status {status!r}")
        return member

    def migrate_chat(self, old_id: int, new_id: int = -1000000002002, *,
                     user_id: int = 1001) -> tuple[dict, dict]:
        """A group becomes a supergroup with a new id, as Telegram does it: a service message
        with ``migrate_to_chat_id`` in the old group, one with ``migrate_from_chat_id`` in the
        new supergroup; sends to the old id get 400 with ``parameters.migrate_to_chat_id``."""
        with self._cond:
            old = self._chats.get(old_id)
            if old is None or old["type"] != "group":
                raise ValueError(f"chat {old_id} is not a known group")
            new = self._chat(new_id, "supergroup", old.get("title"), None, "Tester")
            self._migrated[old_id] = new_id
            user = self._user(user_id, None, "Tester")
            updates = []
            for chat, field, value in ((old, "migrate_to_chat_id", new_id),
                                       (new, "migrate_from_chat_id", old_id)):
                msg = {"message_id": self._alloc_message_id(chat["id"]), "from": user,
                       "chat": copy.deepcopy(chat), "date": int(time.time()), field: value}
                self._messages[(chat["id"], msg["message_id"])] = msg
                updates.append(self._enqueue({"message": copy.deepcopy(msg)}))
            return updates[0], updates[1]

    def press_button(self, message: SentMessage | dict | int, data: str,
                     user_id: int | None = None, *, chat_id: int | None = None,
                     username: str | None = None, first_name: str = "Tester") -> dict:
        """The user presses the inline button with ``callback_data == data`` on a bot message
        (a SentMessage, a message dict, or a message_id with ``chat_id``). Raises ValueError
        if the message (in its current state) has no such button."""
        with self._cond:
            if isinstance(message, SentMessage):
                key = (message.chat_id, message.message_id)
            elif isinstance(message, dict):
                key = (message["chat"]["id"], message["message_id"])
            else:
                if chat_id is None:
                    raise ValueError("chat_id is required with a message_id")
                key = (chat_id, int(message))
            current = self._messages.get(key)
            if current is None:
                raise ValueError(f"message {key[1]} in chat {key[0]} does not exist (deleted?)")
            rows = (current.get("reply_markup") or {}).get("inline_keyboard") or []
            datas = [b.get("callback_data") for row in rows for b in row]
            if data not in datas:
                raise ValueError(f"message {key[1]} has no button with callback_data {data!r}; "
                                 f"it has {datas}")
            chat = self._chats[key[0]]
            if user_id is None:
                user_id = key[0] if chat["type"] == "private" else 1001
            cq_id = str(next(self._cq_ids))
            self._callback_queries[cq_id] = {"answered": False}
            cq = {"id": cq_id, "from": self._user(user_id, username, first_name),
                  "message": copy.deepcopy(current),
                  "chat_instance": str(abs(key[0]) * 7919 + 13), "data": data}
            return self._enqueue({"callback_query": cq})

    def _enqueue(self, body: dict) -> dict:
        """Caller holds the lock."""
        if "update_id" in body:
            uid = int(body["update_id"])
            if self._last_update_id is not None and uid <= self._last_update_id:
                raise ValueError(f"update_id {uid} is not above the last one")
            update = body
        else:
            uid = self._next_update_id
            update = {"update_id": uid, **body}
        self._next_update_id = uid + 1
        self._last_update_id = uid
        self._queue.append(update)
        self._wake_pollers("woken")
        return copy.deepcopy(update)

    def _wake_pollers(self, state: str) -> None:
        """Caller holds the lock. A superseded poll's 409 is recorded here, synchronously, so
        it is in ``conflicts`` before the superseding call is answered."""
        now = time.time()
        for w in self._pollers:
            w.state = state
            if state == "superseded":
                gone = w.handler.client_gone()
                self._conflicts.append(ConflictRecord("getUpdates", 409, _CONFLICT, now,
                                                      expected=gone))
                if not gone:
                    self._errors.append(ErrorRecord("getUpdates", 409, _CONFLICT, now))
        self._pollers.clear()
        self._cond.notify_all()

    # ---- request processing ---------------------------------------------------------------
    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._cond:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _error(self, method: str, err: ApiError) -> tuple[int, dict]:
        with self._cond:
            self._errors.append(ErrorRecord(method, err.status, err.description, time.time(),
                                            err.injected))
            self._cond.notify_all()
        return err.status, err.payload()

    def _process(self, handler: _Handler, body: bytes) -> tuple[int, Any]:
        arrived = time.time()
        split = urlsplit(handler.path)
        path = unquote(split.path)
        if path.startswith("/file/bot"):
            token = path[len("/file/bot"):].split("/", 1)[0]
            return self._error("file", self._token_error(token) or ApiError(404, "Not Found"))
        m = re.fullmatch(r"/bot([^/]*)/([^/]*)", path)
        if not m:
            return self._error(path, ApiError(404, "Not Found"))
        token, method = m.groups()
        low = method.lower()
        name = _CANONICAL.get(low, method)
        token_err = self._token_error(token)
        if token_err is not None:
            return self._error(name, token_err)
        try:
            params = _parse_body(handler.headers.get("Content-Type", ""), body, split.query)
        except (ValueError, UnicodeDecodeError) as exc:
            return self._finish(Call(name, {}, arrived), handler,
                                _bad(f"can't parse request body: {exc}"))
        call = Call(name, _public_params(params), arrived)
        with self._cond:
            delay = self._take(self._delays.get(low))
        if delay:
            self._stop_event.wait(delay)
        with self._cond:
            if self._drops.get(low, 0) > 0:
                self._drops[low] -= 1
                call.status = 0
                call.description = "connection dropped"
                self._calls.append(call)
                self._cond.notify_all()
                return 0, _DROP
            fault = self._take(self._fails.get(low))
        if fault is not None:
            status, description, retry_after = fault
            return self._finish(call, handler, ApiError(status, description,
                                                        retry_after=retry_after, injected=True))
        impl = self._methods.get(low)
        if impl is None:
            return self._finish(call, handler, ApiError(
                404, f"Not Found: method {method} not implemented in the fake"))
        try:
            result = impl(params, handler)
        except ApiError as err:
            return self._finish(call, handler, err)
        except Exception as exc:  # a bug in the fake: make it loud
            _LOG.exception("fake_telegram crashed in %s", name)
            return self._finish(call, handler, ApiError(
                500, f"Internal Server Error: the fake crashed: {exc!r}"))
        return self._finish(call, handler, None, result)

    def _finish(self, call: Call, handler: _Handler, err: ApiError | None,
                result: Any = None) -> tuple[int, dict]:
        with self._cond:
            if err is None:
                call.status = 200
                self._calls.append(call)
                self._cond.notify_all()
                return 200, {"ok": True, "result": result}
            call.status, call.description = err.status, err.description
            self._calls.append(call)
            if not err.conflict:  # superseded polls were recorded by _wake_pollers
                self._errors.append(ErrorRecord(call.method, err.status, err.description,
                                                time.time(), err.injected))
            self._cond.notify_all()
            return err.status, err.payload()

    def _token_error(self, token: str) -> ApiError | None:
        if token == self.token:
            with self._cond:
                return ApiError(401, "Unauthorized") if self._revoked else None
        if WELL_FORMED_TOKEN.match(token):
            return ApiError(401, "Unauthorized")
        return ApiError(404, "Not Found")

    # ---- helpers for methods --------------------------------------------------------------
    def _resolve_chat(self, params: dict) -> dict:
        """Caller holds the lock."""
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            for chat in self._chats.values():
                if chat.get("username", "").lower() == raw[1:].lower() \
                        and chat["type"] != "private":
                    return chat
            raise _bad("chat not found")
        chat_id = _p_int(params, "chat_id")
        chat = self._chats.get(chat_id)
        if chat is None:
            raise _bad("chat not found")
        return chat

    def _check_text(self, params: dict) -> tuple[str, str, list[dict], str | None]:
        raw = _p_str(params, "text")
        parse_mode = _p_str(params, "parse_mode") or None
        if raw is None or raw == "":
            raise _bad("message text is empty")
        explicit = _p_json(params, "entities", "entities")
        if explicit is not None and not isinstance(explicit, list):
            raise _bad("can't parse entities JSON object")
        visible, entities = parse_text(raw, parse_mode, explicit)
        if not visible:
            raise _bad("message text is empty")
        if utf16_len(visible) > MAX_MESSAGE_LENGTH:
            raise _bad("message is too long")
        return raw, visible, entities, parse_mode

    def _reply_markup(self, params: dict) -> dict | None:
        markup = _p_json(params, "reply_markup", "reply keyboard markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be "
                           "an Object")
            actions = ("callback_data", "url", "switch_inline_query",
                       "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                       "callback_game", "pay", "login_url", "web_app", "copy_text")
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not button.get("text"):
                        raise _bad("can't parse inline keyboard button: Text buttons are "
                                   "unallowed in the inline keyboard")
                    if not any(k in button for k in actions):
                        raise _bad("can't parse inline keyboard button: Text buttons are "
                                   "unallowed in the inline keyboard")
                    if "callback_data" in button:
                        size = len(str(button["callback_data"]).encode("utf-8"))
                        if not 1 <= size <= 64:
                            raise _bad("BUTTON_DATA_INVALID")
                    if "url" in button and not re.match(r"(?i)(https?|tg)://\S+$",
                                                        str(button["url"])):
                        raise _bad("BUTTON_URL_INVALID")
        return markup

    def _find_message(self, chat_id: int, message_id: int | None, missing: str) -> dict:
        msg = self._messages.get((chat_id, message_id)) if message_id is not None else None
        if msg is None:
            raise _bad(missing)
        return msg

    def _record_sent(self, method: str, chat_id: int, msg: dict, raw: str | None,
                     parse_mode: str | None, entities: list, markup: dict | None,
                     reply_to: int | None, params: dict, target: list[SentMessage]) -> None:
        target.append(SentMessage(
            method=method, chat_id=chat_id, message_id=msg["message_id"],
            text=msg.get("text", ""), raw_text=raw if raw is not None else msg.get("text", ""),
            parse_mode=parse_mode, entities=copy.deepcopy(entities),
            reply_markup=copy.deepcopy(markup), reply_to_message_id=reply_to,
            message=copy.deepcopy(msg), params=_public_params(params), time=time.time()))

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if not scope or scope == {"type": "default"}:
            return "default"
        return json.dumps(scope, sort_keys=True)

    # ---- methods --------------------------------------------------------------------------
    def _m_get_me(self, params: dict, handler: _Handler) -> dict:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False,
                "has_main_web_app": False}

    def _m_log_out(self, params: dict, handler: _Handler) -> bool:
        return True

    def _m_close(self, params: dict, handler: _Handler) -> bool:
        return True

    def _m_delete_webhook(self, params: dict, handler: _Handler) -> bool:
        with self._cond:
            self._webhook = {"url": ""}
            if _p_bool(params, "drop_pending_updates"):
                self._queue.clear()
        return True

    def _m_set_webhook(self, params: dict, handler: _Handler) -> bool:
        url = _p_str(params, "url") or ""
        if url and not url.lower().startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        with self._cond:
            self._webhook = {"url": url}
            if params.get("allowed_updates") is not None:
                self._allowed_updates = _p_json(params, "allowed_updates") or None
            if _p_bool(params, "drop_pending_updates"):
                self._queue.clear()
        return True

    def _m_get_webhook_info(self, params: dict, handler: _Handler) -> dict:
        with self._cond:
            info: dict[str, Any] = {"url": self._webhook["url"], "has_custom_certificate": False,
                                    "pending_update_count": len(self._queue)}
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
        return info

    def _m_get_updates(self, params: dict, handler: _Handler) -> list[dict]:
        offset = _p_int(params, "offset")
        limit = _p_int(params, "limit") or 100
        limit = max(1, min(100, limit))
        timeout = max(0.0, _p_float(params, "timeout", 0.0))
        allowed = _p_json(params, "allowed_updates")
        with self._cond:
            if self._webhook["url"]:
                raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                    "active; use deleteWebhook to delete the webhook first")
            self._wake_pollers("superseded")
            if offset is not None:
                if offset > 0:
                    self._queue = [u for u in self._queue if u["update_id"] >= offset]
                    if self._confirmed_offset is None or offset > self._confirmed_offset:
                        self._confirmed_offset = offset
                elif offset < 0:
                    self._queue = self._queue[offset:]
            if isinstance(allowed, list):
                self._allowed_updates = allowed or None
            deadline = time.monotonic() + timeout
            waiter: _PollWaiter | None = None
            while True:
                if waiter is not None and waiter.state == "superseded":
                    raise ApiError(409, _CONFLICT, conflict=True)
                if self._revoked:
                    raise ApiError(401, "Unauthorized")
                ready = self._deliverable(limit)
                remaining = deadline - time.monotonic()
                if ready or remaining <= 0 or self._stopping:
                    if waiter is not None and waiter in self._pollers:
                        self._pollers.remove(waiter)
                        self._cond.notify_all()
                    return ready
                if waiter is None or waiter.state != "waiting":
                    waiter = _PollWaiter(handler)
                    self._pollers.append(waiter)
                    self._cond.notify_all()
                self._cond.wait(remaining)

    def _deliverable(self, limit: int) -> list[dict]:
        if self._allowed_updates:
            self._queue = [u for u in self._queue
                           if any(k in self._allowed_updates for k in u if k != "update_id")]
        return copy.deepcopy(self._queue[:limit])

    def _check_member(self, chat: dict) -> None:
        """Caller holds the lock. Telegram refuses to post where the bot may not."""
        if chat["id"] in self._migrated:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           parameters={"migrate_to_chat_id": self._migrated[chat["id"]]})
        if chat["id"] in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat["id"] in self._left:
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat['type']} chat")

    def _m_leave_chat(self, params: dict, handler: _Handler) -> bool:
        with self._cond:
            chat = self._resolve_chat(params)
            if chat["type"] == "private":
                raise _bad("chat member status can't be changed in private chats")
            if chat["id"] in self._left:
                raise ApiError(403, f"Forbidden: bot is not a member of the {chat['type']} chat")
            self._left.add(chat["id"])
            self._left_log.append(chat["id"])
            self._cond.notify_all()
        return True

    def _m_send_message(self, params: dict, handler: _Handler) -> dict:
        with self._cond:
            chat = self._resolve_chat(params)
            self._check_member(chat)
            raw, visible, entities, parse_mode = self._check_text(params)
            markup = self._reply_markup(params)
            reply_params = _p_json(params, "reply_parameters")
            reply_to_id = _p_int(params, "reply_to_message_id")
            allow_without = _p_bool(params, "allow_sending_without_reply")
            reply_chat = chat["id"]
            if isinstance(reply_params, dict):
                reply_to_id = _p_int(reply_params, "message_id", required=True)
                allow_without = _p_bool(reply_params, "allow_sending_without_reply")
                if reply_params.get("chat_id") is not None:
                    reply_chat = self._resolve_chat({"chat_id": reply_params["chat_id"]})["id"]
            reply_msg = None
            if reply_to_id is not None:
                target = self._messages.get((reply_chat, reply_to_id))
                if target is None and not allow_without:
                    raise _bad("message to be replied not found")
                if target is not None:
                    reply_msg = copy.deepcopy(target)
                    reply_msg.pop("reply_to_message", None)
                else:
                    reply_to_id = None
            msg: dict[str, Any] = {"message_id": self._alloc_message_id(chat["id"]),
                                   "from": dict(self.bot_user), "chat": copy.deepcopy(chat),
                                   "date": int(time.time())}
            if _p_int(params, "message_thread_id") is not None:
                msg["message_thread_id"] = _p_int(params, "message_thread_id")
            if reply_msg is not None:
                msg["reply_to_message"] = reply_msg
            msg["text"] = visible
            if entities:
                msg["entities"] = entities
            if markup and "inline_keyboard" in markup:
                msg["reply_markup"] = copy.deepcopy(markup)
            self._messages[(chat["id"], msg["message_id"])] = msg
            self._record_sent("sendMessage", chat["id"], msg, raw, parse_mode, entities, markup,
                              reply_to_id, params, self._sent)
            self._cond.notify_all()
            return copy.deepcopy(msg)

    def _m_send_chat_action(self, params: dict, handler: _Handler) -> bool:
        with self._cond:
            self._check_member(self._resolve_chat(params))
        if _p_str(params, "action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _edit_target(self, params: dict) -> tuple[dict, dict] | None:
        if params.get("inline_message_id"):
            return None
        chat = self._resolve_chat(params)
        message_id = _p_int(params, "message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        msg = self._find_message(chat["id"], message_id, "message to edit not found")
        if msg.get("from", {}).get("id") != self.bot_id:
            raise _bad("message can't be edited")
        return chat, msg

    def _m_edit_message_text(self, params: dict, handler: _Handler) -> dict | bool:
        with self._cond:
            target = self._edit_target(params)
            raw, visible, entities, parse_mode = self._check_text(params)
            markup = self._reply_markup(params)
            if target is None:
                return True
            chat, msg = target
            if "text" not in msg:
                raise _bad("there is no text in the message to edit")
            new_markup = markup if markup and "inline_keyboard" in markup else None
            if (msg["text"] == visible and msg.get("entities", []) == entities
                    and msg.get("reply_markup") == new_markup):
                raise _bad(_NOT_MODIFIED)
            msg["text"] = visible
            msg.pop("entities", None)
            if entities:
                msg["entities"] = entities
            msg.pop("reply_markup", None)  # Telegram drops the keyboard unless re-sent
            if new_markup:
                msg["reply_markup"] = copy.deepcopy(new_markup)
            msg["edit_date"] = int(time.time())
            self._record_sent("editMessageText", chat["id"], msg, raw, parse_mode, entities,
                              markup, None, params, self._edits)
            self._cond.notify_all()
            return copy.deepcopy(msg)

    def _m_edit_message_reply_markup(self, params: dict, handler: _Handler) -> dict | bool:
        with self._cond:
            target = self._edit_target(params)
            markup = self._reply_markup(params)
            if target is None:
                return True
            chat, msg = target
            new_markup = markup if markup and "inline_keyboard" in markup else None
            if msg.get("reply_markup") == new_markup:
                raise _bad(_NOT_MODIFIED)
            msg.pop("reply_markup", None)
            if new_markup:
                msg["reply_markup"] = copy.deepcopy(new_markup)
            msg["edit_date"] = int(time.time())
            self._record_sent("editMessageReplyMarkup", chat["id"], msg, None, None,
                              msg.get("entities", []), markup, None, params, self._edits)
            self._cond.notify_all()
            return copy.deepcopy(msg)

    def _m_delete_message(self, params: dict, handler: _Handler) -> bool:
        with self._cond:
            chat = self._resolve_chat(params)
            message_id = _p_int(params, "message_id")
            self._find_message(chat["id"], message_id, "message to delete not found")
            del self._messages[(chat["id"], message_id)]
            self._deleted.append((chat["id"], message_id))
            self._cond.notify_all()
        return True

    def _m_answer_callback_query(self, params: dict, handler: _Handler) -> bool:
        cq_id = _p_str(params, "callback_query_id")
        text = _p_str(params, "text") or ""
        with self._cond:
            state = self._callback_queries.get(cq_id or "")
            if state is None or state["answered"]:
                raise _bad("query is too old and response timeout expired or query ID is "
                           "invalid")
            if len(text) > 200:
                raise _bad("MESSAGE_TOO_LONG")
            state["answered"] = True
        return True

    def _m_set_my_commands(self, params: dict, handler: _Handler) -> bool:
        commands = _p_json(params, "commands", "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for cmd in commands:
            if not isinstance(cmd, dict) or not re.fullmatch(r"[a-z0-9_]{1,32}",
                                                             str(cmd.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", "")).strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (self._scope_key(_p_json(params, "scope", "scope")),
               _p_str(params, "language_code") or "")
        with self._cond:
            self._commands[key] = [{"command": c["command"], "description": c["description"]}
                                   for c in commands]
        return True

    def _m_get_my_commands(self, params: dict, handler: _Handler) -> list[dict]:
        key = (self._scope_key(_p_json(params, "scope", "scope")),
               _p_str(params, "language_code") or "")
        with self._cond:
            return copy.deepcopy(self._commands.get(key, []))

    def _m_delete_my_commands(self, params: dict, handler: _Handler) -> bool:
        key = (self._scope_key(_p_json(params, "scope", "scope")),
               _p_str(params, "language_code") or "")
        with self._cond:
            self._commands.pop(key, None)
        return True

    def _m_get_chat(self, params: dict, handler: _Handler) -> dict:
        with self._cond:
            chat = copy.deepcopy(self._resolve_chat(params))
        chat.update({"accent_color_id": 0, "max_reaction_count": 11,
                     "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                             "unique_gifts": False,
                                             "premium_subscription": False,
                                             "gifts_from_channels": False}})
        return chat
