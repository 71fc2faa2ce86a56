"""Bot API methods on commands and chats: set/get/deleteMyCommands, getChat, leaveChat."""
from __future__ import annotations

import copy
import re

from .params import p_json, p_str
from .records import ApiError, bad
from .server import Handler
from .state import State


class Commands(State):
    """setMyCommands, getMyCommands, deleteMyCommands, getChat, leaveChat."""

    def _m_set_my_commands(self, params: dict, handler: Handler) -> bool:
        commands = p_json(params, "commands", "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad("can't parse commands JSON object")
        for cmd in commands:
            if not isinstance(cmd, dict) or not re.fullmatch(r"[a-z0-9_]{1,32}",
                                                             str(cmd.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", "")).strip()) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (self._scope_key(p_json(params, "scope", "scope")),
               p_str(params, "language_code") or "")
        with self._cond:
            self._commands[key] = [{"command": c["command"], "description": c["description"]}
                                   for c in commands]
        return True

    def _m_get_my_commands(self, params: dict, handler: Handler) -> list[dict]:
        key = (self._scope_key(p_json(params, "scope", "scope")),
               p_str(params, "language_code") or "")
        with self._cond:
            return copy.deepcopy(self._commands.get(key, []))

    def _m_delete_my_commands(self, params: dict, handler: Handler) -> bool:
        key = (self._scope_key(p_json(params, "scope", "scope")),
               p_str(params, "language_code") or "")
        with self._cond:
            self._commands.pop(key, None)
        return True

    def _m_get_chat(self, params: dict, handler: Handler) -> dict:
        with self._cond:
            chat = copy.deepcopy(self._resolve_chat(params))
        chat.update({"accent_color_id": 0, "max_reaction_count": 11,
                     "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                             "unique_gifts": False,
                                             "premium_subscription": False,
                                             "gifts_from_channels": False}})
        return chat

    def _m_leave_chat(self, params: dict, handler: Handler) -> bool:
        with self._cond:
            chat = self._resolve_chat(params)
            if chat["type"] == "private":
                raise bad("chat member status can't be changed in private chats")
            if chat["id"] in self._left:
                raise ApiError(403, f"Forbidden: bot is not a member of the {chat['type']} chat")
            self._left.add(chat["id"])
            self._left_log.append(chat["id"])
            self._cond.notify_all()
        return True
