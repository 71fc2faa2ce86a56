"""The fake's state under one lock, and the helpers that every part of FakeTelegram shares."""
from __future__ import annotations

import copy
import itertools
import json
import re
import socket
import threading
import time
from typing import Any

from .params import p_int
from .records import CONFLICT, ApiError, Call, ConflictRecord, ErrorRecord, SentMessage, bad
from .server import Handler, Server

DEFAULT_TOKEN = "123456789:AAF4keT0kenForOfflineTests_0123456789abc"
WELL_FORMED_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{30,}$")


class PollWaiter:
    """A getUpdates long poll waiting for updates (or to be superseded, revoked, stopped)."""

    __slots__ = ("state", "handler")

    def __init__(self, handler: Handler) -> None:
        self.state = "waiting"  # -> woken | superseded | revoked | stopping
        self.handler = handler


class State:
    """Everything the fake knows, guarded by ``_cond`` (a condition on a re-entrant lock)."""

    def __init__(self, token: str = DEFAULT_TOKEN, bot_username: str = "shanxi_qa_bot", *,
                 bot_first_name: str = "Shanxi QA", host: str = "127.0.0.1",
                 first_update_id: int = 100_000_001):
        """``token`` is ``<digits>:<30+ chars>`` and its digits are the bot's id; tests address
        the bot as ``@bot_username``; injected updates are numbered from ``first_update_id``."""
        if not WELL_FORMED_TOKEN.match(token):
            raise ValueError(f"token {token!r} is not of the form <digits>:<30+ chars>")
        self.token = token
        self.bot_username = bot_username.lstrip("@")
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user = {"id": self.bot_id, "is_bot": True, "first_name": bot_first_name,
                         "username": self.bot_username}
        self._host = host
        self._cond = threading.Condition(threading.RLock())
        self._server: Server | None = None
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
        self._pollers: list[PollWaiter] = []
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

    # ---- shared helpers (the caller holds the lock) ------------------------------------
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

    def _alloc_message_id(self, chat_id: int) -> int:
        self._next_message_id[chat_id] = self._next_message_id.get(chat_id, 0) + 1
        return self._next_message_id[chat_id]

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
                self._conflicts.append(ConflictRecord("getUpdates", 409, CONFLICT, now,
                                                      expected=gone))
                if not gone:
                    self._errors.append(ErrorRecord("getUpdates", 409, CONFLICT, now))
        self._pollers.clear()
        self._cond.notify_all()

    def _resolve_chat(self, params: dict) -> dict:
        """Caller holds the lock."""
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad("chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            for chat in self._chats.values():
                if chat.get("username", "").lower() == raw[1:].lower() \
                        and chat["type"] != "private":
                    return chat
            raise bad("chat not found")
        chat_id = p_int(params, "chat_id")
        chat = self._chats.get(chat_id)
        if chat is None:
            raise bad("chat not found")
        return chat

    def _check_member(self, chat: dict) -> None:
        """Caller holds the lock. Telegram refuses to post where the bot may not."""
        if chat["id"] in self._migrated:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           parameters={"migrate_to_chat_id": self._migrated[chat["id"]]})
        if chat["id"] in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat["id"] in self._left:
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat['type']} chat")

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if not scope or scope == {"type": "default"}:
            return "default"
        return json.dumps(scope, sort_keys=True)
