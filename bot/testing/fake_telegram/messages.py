"""Bot API methods on messages: sendMessage, sendChatAction, edits, deletes, callback answers."""
from __future__ import annotations

import copy
import time
from typing import Any

from .params import p_bool, p_int, p_json, p_str, public_params, reply_markup
from .records import SentMessage, bad
from .server import Handler
from .state import State
from .text import check_text

_CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note"})

_NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are "
                 "exactly the same as a current content and reply markup of the message")


class Messages(State):
    """sendMessage, sendChatAction, editMessageText/ReplyMarkup, deleteMessage,
    answerCallbackQuery."""

    def _find_message(self, chat_id: int, message_id: int | None, missing: str) -> dict:
        msg = self._messages.get((chat_id, message_id)) if message_id is not None else None
        if msg is None:
            raise bad(missing)
        return msg

    def _record_sent(self, method: str, chat_id: int, msg: dict, raw: str | None,
                     parse_mode: str | None, entities: list, markup: dict | None,
                     reply_to: int | None, params: dict, target: list[SentMessage]) -> None:
        target.append(SentMessage(
            method=method, chat_id=chat_id, message_id=msg["message_id"],
            text=msg.get("text", ""), raw_text=raw if raw is not None else msg.get("text", ""),
            parse_mode=parse_mode, entities=copy.deepcopy(entities),
            reply_markup=copy.deepcopy(markup), reply_to_message_id=reply_to,
            message=copy.deepcopy(msg), params=public_params(params), time=time.time()))

    def _m_send_message(self, params: dict, handler: Handler) -> dict:
        with self._cond:
            chat = self._resolve_chat(params)
            self._check_member(chat)
            raw, visible, entities, parse_mode = check_text(params)
            markup = reply_markup(params)
            reply_params = p_json(params, "reply_parameters")
            reply_to_id = p_int(params, "reply_to_message_id")
            allow_without = p_bool(params, "allow_sending_without_reply")
            reply_chat = chat["id"]
            if isinstance(reply_params, dict):
                reply_to_id = p_int(reply_params, "message_id", required=True)
                allow_without = p_bool(reply_params, "allow_sending_without_reply")
                if reply_params.get("chat_id") is not None:
                    reply_chat = self._resolve_chat({"chat_id": reply_params["chat_id"]})["id"]
            reply_msg = None
            if reply_to_id is not None:
                target = self._messages.get((reply_chat, reply_to_id))
                if target is None and not allow_without:
                    raise bad("message to be replied not found")
                if target is not None:
                    reply_msg = copy.deepcopy(target)
                    reply_msg.pop("reply_to_message", None)
                else:
                    reply_to_id = None
            msg: dict[str, Any] = {"message_id": self._alloc_message_id(chat["id"]),
                                   "from": dict(self.bot_user), "chat": copy.deepcopy(chat),
                                   "date": int(time.time())}
            if p_int(params, "message_thread_id") is not None:
                msg["message_thread_id"] = p_int(params, "message_thread_id")
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

    def _m_send_chat_action(self, params: dict, handler: Handler) -> bool:
        with self._cond:
            self._check_member(self._resolve_chat(params))
        if p_str(params, "action") not in _CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        return True

    def _edit_target(self, params: dict) -> tuple[dict, dict] | None:
        if params.get("inline_message_id"):
            return None
        chat = self._resolve_chat(params)
        message_id = p_int(params, "message_id")
        if message_id is None:
            raise bad("message identifier is not specified")
        msg = self._find_message(chat["id"], message_id, "message to edit not found")
        if msg.get("from", {}).get("id") != self.bot_id:
            raise bad("message can't be edited")
        return chat, msg

    def _m_edit_message_text(self, params: dict, handler: Handler) -> dict | bool:
        with self._cond:
            target = self._edit_target(params)
            raw, visible, entities, parse_mode = check_text(params)
            markup = reply_markup(params)
            if target is None:
                return True
            chat, msg = target
            if "text" not in msg:
                raise bad("there is no text in the message to edit")
            new_markup = markup if markup and "inline_keyboard" in markup else None
            if (msg["text"] == visible and msg.get("entities", []) == entities
                    and msg.get("reply_markup") == new_markup):
                raise bad(_NOT_MODIFIED)
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

    def _m_edit_message_reply_markup(self, params: dict, handler: Handler) -> dict | bool:
        with self._cond:
            target = self._edit_target(params)
            markup = reply_markup(params)
            if target is None:
                return True
            chat, msg = target
            new_markup = markup if markup and "inline_keyboard" in markup else None
            if msg.get("reply_markup") == new_markup:
                raise bad(_NOT_MODIFIED)
            msg.pop("reply_markup", None)
            if new_markup:
                msg["reply_markup"] = copy.deepcopy(new_markup)
            msg["edit_date"] = int(time.time())
            self._record_sent("editMessageReplyMarkup", chat["id"], msg, None, None,
                              msg.get("entities", []), markup, None, params, self._edits)
            self._cond.notify_all()
            return copy.deepcopy(msg)

    def _m_delete_message(self, params: dict, handler: Handler) -> bool:
        with self._cond:
            chat = self._resolve_chat(params)
            message_id = p_int(params, "message_id")
            self._find_message(chat["id"], message_id, "message to delete not found")
            del self._messages[(chat["id"], message_id)]
            self._deleted.append((chat["id"], message_id))
            self._cond.notify_all()
        return True

    def _m_answer_callback_query(self, params: dict, handler: Handler) -> bool:
        cq_id = p_str(params, "callback_query_id")
        text = p_str(params, "text") or ""
        with self._cond:
            state = self._callback_queries.get(cq_id or "")
            if state is None or state["answered"]:
                raise bad("query is too old and response timeout expired or query ID is "
                          "invalid")
            if len(text) > 200:
                raise bad("MESSAGE_TOO_LONG")
            state["answered"] = True
        return True
