"""Which group messages are addressed to the bot, and the question without the mention."""
from __future__ import annotations

from telegram import Message, MessageEntity
from telegram.ext import filters


def _mentions(message: Message, username: str) -> list[MessageEntity]:
    """The mention entities that name this bot (`@yourbot2` does not name `@yourbot`)."""
    target = f"@{username}".lower()
    return [entity for entity, text in message.parse_entities([MessageEntity.MENTION]).items()
            if text.lower() == target]


def replies_to_bot(message: Message, bot_id: int) -> bool:
    original = message.reply_to_message
    return bool(original and original.from_user and original.from_user.id == bot_id)


def question_of(message: Message, username: str) -> str:
    """The message text with the bot's mentions cut out (entity offsets are UTF-16)."""
    raw = message.text.encode("utf-16-le", "surrogatepass")
    for entity in sorted(_mentions(message, username), key=lambda e: e.offset, reverse=True):
        raw = raw[: entity.offset * 2] + " ".encode("utf-16-le", "surrogatepass") + raw[(entity.offset + entity.length) * 2:]
    return raw.decode("utf-16-le", "surrogatepass").strip()


class AddressedToBot(filters.MessageFilter):
    """A group message that mentions the bot by its mention entity, or replies to it."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        return bool(message.text) and (bool(_mentions(message, bot.username)) or replies_to_bot(message, bot.id))


ADDRESSED = AddressedToBot(name="AddressedToBot")
