"""Which chats the bot serves: the allowlist, groups that became supergroups, chats to leave."""
from __future__ import annotations

from telegram import ChatMember, ChatMemberUpdated, Message, Update


class Chats:
    """TELEGRAM_ALLOWED_CHAT_IDS (empty: every chat) plus the supergroups that allowlisted
    groups became while the bot runs. Telegram gives a migrated group a new id, which the
    operator should add to the setting; until then this keeps serving it."""

    def __init__(self):
        self.migrated: set[int] = set()
        self._moves: set[tuple[int, int]] = set()

    def allows(self, update: Update, allowed: tuple[int, ...]) -> bool:
        if not allowed:
            return True
        chat = update.effective_chat
        if chat is None:
            return False
        if chat.id in allowed or chat.id in self.migrated:
            return True
        message = update.effective_message
        return bool(message and message.migrate_from_chat_id in allowed)

    def note_migration(self, message: Message, allowed: tuple[int, ...]) -> tuple[int, int] | None:
        """(old id, new id) of a group that became a supergroup, remembered when the old
        group was allowed. Telegram posts the news in both chats: either is enough, and
        the second gives None."""
        if message.migrate_to_chat_id:
            old, new = message.chat_id, message.migrate_to_chat_id
        elif message.migrate_from_chat_id:
            old, new = message.migrate_from_chat_id, message.chat_id
        else:
            return None
        if (old, new) in self._moves:
            return None
        self._moves.add((old, new))
        if allowed and (old in allowed or old in self.migrated):
            self.migrated.add(new)
        return old, new

    def must_leave(self, change: ChatMemberUpdated, allowed: tuple[int, ...]) -> bool:
        """True when the bot was just added to a group or channel the allowlist excludes."""
        joined = change.new_chat_member.status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR,
                                                   ChatMember.RESTRICTED)
        chat = change.chat
        return (joined and bool(allowed) and chat.type != chat.PRIVATE
                and chat.id not in allowed and chat.id not in self.migrated)
