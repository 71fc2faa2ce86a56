"""Test-side control of chats: known chats, deleted messages, blocking, membership, migration."""
from __future__ import annotations

import copy
import time
from typing import Any

from .state import State


class Chats(State):
    """What users and Telegram do to chats, outside any message the bot sees."""

    def register_chat(self, chat_id: int, chat_type: str = "private", *, title: str | None = None,
                      username: str | None = None, first_name: str = "Tester") -> dict:
        """Make a chat known (sendMessage to unknown chats gives 'chat not found')."""
        with self._cond:
            return copy.deepcopy(self._chat(chat_id, chat_type, title, username, first_name))

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
