"""Which chats the bot serves (the allowlist, migrated groups, chats to leave), and the handlers applying it."""
from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated, Message, Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

logger = logging.getLogger(__name__)


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


async def check_allowed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drop every update from a chat outside TELEGRAM_ALLOWED_CHAT_IDS (when it is set)."""
    data = context.bot_data
    if not data["chats"].allows(update, data["settings"].telegram_allowed_chat_ids):
        if update.callback_query:
            await update.callback_query.answer()
        raise ApplicationHandlerStop


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Leave a group or channel as soon as the bot is added to one the allowlist excludes."""
    data, change = context.bot_data, update.my_chat_member
    if data["chats"].must_leave(change, data["settings"].telegram_allowed_chat_ids):
        logger.info("added to %s %s, which TELEGRAM_ALLOWED_CHAT_IDS excludes: leaving", change.chat.type,
                    change.chat.id)
        await change.chat.leave()


async def on_migration(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup (a new chat id): log it, and keep serving it if allowed."""
    data = context.bot_data
    allowed = data["settings"].telegram_allowed_chat_ids
    moved = data["chats"].note_migration(update.effective_message, allowed)
    if moved and allowed:
        logger.warning("group %s became supergroup %s: serving it, but add %s to TELEGRAM_ALLOWED_CHAT_IDS "
                       "so that it is still served after a restart", *moved, moved[1])
    elif moved:
        logger.info("group %s became supergroup %s", *moved)
