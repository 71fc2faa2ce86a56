"""Test-side updates: user messages, media, edits, channel posts, raw updates, button presses."""
from __future__ import annotations

import copy
import json
import time
from typing import Any

from .records import SentMessage
from .state import State
from .text import auto_entities


class Inject(State):
    """Updates the bot will receive, queued for getUpdates."""

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

    def inject_message(self, text: str, chat_id: int | None = None, user_id: int | None = None,
                       chat_type: str = "private", username: str | None = None,
                       reply_to: Any = None, entities: list[dict] | None = None, *,
                       first_name: str = "Tester", chat_title: str | None = None) -> dict:
        """A user's text message. Defaults: user 1001; chat = user (private), -2001 (group),
        -1000000002001 (supergroup). ``bot_command`` / ``mention`` entities are added unless
        ``entities`` is given. ``reply_to``: a message dict, a SentMessage or a message_id."""
        ents = auto_entities(text) if entities is None else entities
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
            ents = auto_entities(caption)
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
            ents = auto_entities(text)
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
        ents = auto_entities(text)
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
