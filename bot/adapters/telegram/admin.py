"""Telegram commands for the bot's admins (TELEGRAM_ADMIN_IDS), in private chats only: /gaps and /reload."""
from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.adapters.telegram.render import plain_messages

logger = logging.getLogger(__name__)
# Listed by /help to admins only, in a private chat; never registered with setMyCommands.
COMMANDS = (("gaps", "（管理员）最常见的答不上来的问题"), ("reload", "（管理员）重新加载事实库和索引"))


def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return bool(user) and user.id in context.bot_data["settings"].telegram_admin_ids


async def on_gaps(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """(admin) The most frequent questions the bot could not answer."""
    if not is_admin(update, context):
        await update.effective_message.reply_text("抱歉，这个命令只有管理员可以使用。")
        return
    gaps = await asyncio.to_thread(context.bot_data["store"].top_gaps, 15)
    lines = ["还没有记录到答不上来的问题。"] if not gaps else ["最常见的答不上来的问题："]
    lines += [f"{g.count}× {g.question}" for g in gaps]
    for part in plain_messages("\n".join(lines)):
        await update.effective_message.reply_text(part, parse_mode=ParseMode.HTML)


async def on_reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """(admin) Reload facts and index without a restart; the old index serves until then.
    Reloads run one at a time: two at once would delete each other's build folders."""
    if not is_admin(update, context):
        await update.effective_message.reply_text("抱歉，这个命令只有管理员可以使用。")
        return
    data, lock = context.bot_data, context.bot_data["reload_lock"]
    await update.effective_message.reply_text("上一次重新加载还没有完成，完成后再重新加载……" if lock.locked()
                                              else "正在重新加载事实库和索引……")
    async with lock:
        try:
            engine = await asyncio.to_thread(data["reload"])
        except Exception as exc:  # any failure: keep serving the old index, tell the admin
            logger.error("reload failed; the old index keeps serving", exc_info=exc)
            await update.effective_message.reply_text(f"重新加载失败，继续使用原来的索引。\n原因：{str(exc)[:500]}")
            return
        data["engine"] = engine
    await update.effective_message.reply_text(f"已重新加载：{len(engine.base.facts)}条事实。")


async def on_private_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/gaps and /reload in a group would show other users' questions to everyone."""
    await update.effective_message.reply_text("这个命令只能在与我的私聊中使用。")
