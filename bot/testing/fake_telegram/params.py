"""Request parameters: the body (form, JSON or multipart), typed values, the reply markup."""
from __future__ import annotations

import json
import re
from email import policy as _email_policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qsl

from .records import bad


def p_json(params: dict, name: str, what: str | None = None) -> Any:
    v = params.get(name)
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            raise bad(f"can't parse {what or name} JSON object") from None
    return v


def p_int(params: dict, name: str, required: bool = False) -> int | None:
    v = params.get(name)
    if v is None or v == "":
        if required:
            raise bad(f"{name} is empty")
        return None
    if isinstance(v, bool):
        raise bad(f"invalid {name} specified")
    if isinstance(v, (int, float)) and int(v) == v:
        return int(v)
    if isinstance(v, str) and re.fullmatch(r"\s*-?\d+\s*", v):
        return int(v)
    raise bad(f"invalid {name} specified")


def p_float(params: dict, name: str, default: float = 0.0) -> float:
    v = params.get(name)
    if v is None or v == "":
        return default
    try:
        return float(v)
    except (TypeError, ValueError):
        raise bad(f"invalid {name} specified") from None


def p_bool(params: dict, name: str) -> bool:
    v = params.get(name)
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1")
    return bool(v)


def p_str(params: dict, name: str) -> str | None:
    v = params.get(name)
    if v is None:
        return None
    return v if isinstance(v, str) else json.dumps(v)


def parse_body(content_type: str, body: bytes, query: str) -> dict:
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


def public_params(params: dict) -> dict:
    return {k: ({kk: vv for kk, vv in v.items() if kk != "data"}
                if isinstance(v, dict) and "data" in v else v) for k, v in params.items()}


def reply_markup(params: dict) -> dict | None:
    """The reply_markup parameter, its inline keyboard checked as Telegram checks it."""
    markup = p_json(params, "reply_markup", "reply keyboard markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad("can't parse inline keyboard button: InlineKeyboardButton must be "
                      "an Object")
        actions = ("callback_data", "url", "switch_inline_query",
                   "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                   "callback_game", "pay", "login_url", "web_app", "copy_text")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise bad("can't parse inline keyboard button: Text buttons are "
                              "unallowed in the inline keyboard")
                if not any(k in button for k in actions):
                    raise bad("can't parse inline keyboard button: Text buttons are "
                              "unallowed in the inline keyboard")
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode("utf-8"))
                    if not 1 <= size <= 64:
                        raise bad("BUTTON_DATA_INVALID")
                if "url" in button and not re.match(r"(?i)(https?|tg)://\S+$",
                                                    str(button["url"])):
                    raise bad("BUTTON_URL_INVALID")
    return markup
