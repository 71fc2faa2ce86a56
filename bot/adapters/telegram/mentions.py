"""Which group messages and commands are addressed to the bot, and the question without the mention."""
from __future__ import annotations

from telegram import Chat, Message, MessageEntity
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


def command_of(message: Message) -> tuple[str, str] | None:
    """(name in lower case, the bot username it names or '') of the command a message starts
    with, or None."""
    entity = next((e for e in message.entities if e.type == MessageEntity.BOT_COMMAND and e.offset == 0), None)
    if entity is None:
        return None
    name, _, username = message.parse_entity(entity)[1:].partition("@")
    return name.lower(), username


class CommandForBot(filters.MessageFilter):
    """A command the bot must answer even when it does not know it: any command in a private
    chat; in a group only one addressed to this bot by name (/x@thisbot), since a bare /x may be
    meant for another bot in the group."""

    def filter(self, message: Message) -> bool:
        command = command_of(message)
        if command is None:
            return False
        return message.chat.type == Chat.PRIVATE or command[1].lower() == message.get_bot().username.lower()


COMMAND_FOR_BOT = CommandForBot(name="CommandForBot")
