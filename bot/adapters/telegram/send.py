"""Sending to Telegram: retried only when undelivered for sure, and after a group that became a supergroup."""
from __future__ import annotations

import asyncio
import logging

import httpx
from telegram import Message
from telegram.constants import ChatAction
from telegram.error import BadRequest, ChatMigrated, NetworkError, TelegramError

logger = logging.getLogger(__name__)

# Failures that happen before Telegram can have read the whole request: a refused
# connection, one that timed out while connecting or waiting for the pool, or one that was
# reset or closed (a pooled keep-alive connection the server had already dropped).
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteError,
            httpx.ReadError, httpx.RemoteProtocolError)


def safe_to_retry(exc: TelegramError) -> bool:
    """True when the message cannot have been delivered: Telegram answered with a server
    error (5xx), or the request never fully reached it."""
    if isinstance(exc, BadRequest) or not isinstance(exc, NetworkError):
        return False
    cause = exc.__cause__
    if cause is None:
        return True  # an HTTP error answer from the server: it did not take the message
    return isinstance(cause, NOT_SENT)


async def send_with_retry(send, attempts: int = 4, delay: float = 0.5):
    """Send, retrying failures that cannot have delivered the message, with back-off.
    429 is retried by the rate limiter and a bad request not at all. A read timeout is
    logged and given up (None): Telegram may have delivered the message, and a retry
    would post it twice."""
    for attempt in range(1, attempts + 1):
        try:
            return await send()
        except NetworkError as exc:
            if not safe_to_retry(exc):
                if isinstance(exc.__cause__, httpx.TimeoutException):
                    logger.warning("sending timed out (%s): Telegram may have delivered the message, "
                                   "so it is not sent again", exc)
                    return None
                raise
            if attempt == attempts:
                raise
            logger.warning("sending failed (%s), retry %d of %d", exc, attempt, attempts - 1)
            await asyncio.sleep(delay * 2 ** (attempt - 1))


async def reply(message: Message, text: str, **kwargs) -> Message | None:
    """Reply to `message` (quoting it while it exists); in a group that has just become a
    supergroup, post to the supergroup instead."""
    try:
        return await send_with_retry(lambda: message.reply_text(text, do_quote=True, **kwargs))
    except ChatMigrated as exc:
        chat_id = exc.new_chat_id
    logger.info("chat %s became %s; replying there", message.chat_id, chat_id)
    return await post(message.get_bot(), chat_id, text, **kwargs)


async def post(bot, chat_id: int, text: str, **kwargs) -> Message | None:
    """Send `text` to `chat_id` as a new message, quoting nothing; to the supergroup a group has
    just become, if it has."""
    try:
        return await send_with_retry(lambda: bot.send_message(chat_id, text, **kwargs))
    except ChatMigrated as exc:
        new_id = exc.new_chat_id
    logger.info("chat %s became %s; posting there", chat_id, new_id)
    return await send_with_retry(lambda: bot.send_message(new_id, text, **kwargs))


async def show_typing(bot, chat_id: int) -> None:
    """'typing…' is a courtesy: its failure is logged and never costs the answer."""
    try:
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError as exc:
        logger.info("could not show 'typing' in chat %s: %s", chat_id, exc)

