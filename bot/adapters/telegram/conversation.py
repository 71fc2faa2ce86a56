"""Which conversation a Telegram update belongs to: the chat in private, each sender within a group."""
from __future__ import annotations

from telegram import Chat, Update

from bot.adapters.telegram.throttle import sender_of


def conversation_key(update: Update) -> str:
    """The engine's `chat` key for an update (a message or a button press). In a group each
    sender has a conversation of their own, so that two people asking at once are never read
    against each other's questions; an anonymous admin speaks as the group (`sender_of`)."""
    chat = update.effective_chat
    if chat.type == Chat.PRIVATE:
        return f"tg:{chat.id}"
    return f"tg:{chat.id}:{sender_of(update)}"
