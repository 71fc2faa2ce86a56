"""Telegram handlers for what users do: ask, use a command, press a button; one small handler each."""
from __future__ import annotations

import asyncio
import html
import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import ContextTypes

from bot.adapters.telegram import feedback, send
from bot.adapters.telegram.mentions import question_of
from bot.adapters.telegram.send import split_message
from bot.adapters.telegram.throttle import sender_of

logger = logging.getLogger(__name__)

EXAMPLES = ("山西现在一共有多少个工会组织？", "2012年煤矿百万吨死亡率是多少？", "西山煤电的“3110”帮扶机制是什么？")
SORRY = "抱歉，出了点问题，请稍后再试。"
# Seconds an answer may take before the chat shows "typing…". Each chat action is one more
# Bot API request, and the API allows about 30 per second in all: when they are all taken,
# the rate limiter drops the chat action (AnswersFirst).
TYPING_AFTER = 0.3


async def reply_answer(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
    """Answer `question` off the event loop and reply with HTML and feedback buttons."""
    data, message = context.bot_data, update.effective_message
    engine = data["engine"]  # an in-flight answer keeps the engine it started with
    # The engine's own executor: its encoder already uses every core, so more threads
    # would only contend (measured with `make loadtest`, README "Performance").
    pending = asyncio.get_running_loop().run_in_executor(data["engine_pool"], engine.answer, question)
    try:  # most answers take milliseconds: "typing…" only when one is slow (e.g. queued)
        answer = await asyncio.wait_for(asyncio.shield(pending), TYPING_AFTER)
    except TimeoutError:
        await send.show_typing(context.bot, message.chat_id)
        answer = await pending
    logger.info("question chat=%s decision=%s top=%s score=%s latency_ms=%.1f", message.chat.type,
                answer.kind, answer.facts[0].id if answer.facts else "-",
                f"{answer.facts[0].score:.3f}" if answer.facts else "-", answer.latency_ms)
    if answer.abstained and answer.kind == "abstain":
        await asyncio.to_thread(data["store"].gap, sender_of(update), question, answer.reason)
    markup = None
    if answer.kind in ("answer", "abstain"):
        markup = feedback.buttons(data["pending"].add(question, [f.id for f in answer.facts]))
    parts = split_message(answer.html)
    for i, part in enumerate(parts):
        await send.reply(message, part, parse_mode=ParseMode.HTML, reply_markup=markup if i == len(parts) - 1 else None)


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet and show three example questions."""
    meta = context.bot_data["engine"].base.meta
    lines = [f"你好！我回答关于《{html.escape(meta.title)}》（{meta.year}年）这篇文章的问题，"
             "先给出文中的确切数字，再附上原文。", "", "可以这样问："]
    lines += [f"· {html.escape(q)}" for q in EXAMPLES]
    await update.effective_message.reply_text("\n".join(lines), parse_mode=ParseMode.HTML)


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain how to ask, in private chats and in groups."""
    await update.effective_message.reply_text(
        "直接发送问题即可，简体、繁体、口语、关键词或中英混合都可以。\n"
        "我会先给出文中的数字，再引用原文和所在章节；文章没写的，我会直说不知道。\n"
        "在群聊中：@我 提问、回复我的消息，或使用 /ask 问题。\n"
        "每条回答下可以点 👍/👎 反馈。")


async def on_about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Describe the article and the limits of the bot."""
    meta = context.bot_data["engine"].base.meta
    await update.effective_message.reply_text(
        f"文章：《{meta.title}》\n报纸：{meta.paper}，{meta.year}年\n作者：{meta.authors}\n\n"
        "我只知道这篇文章写到的内容：山西工会的组建、维权、竞赛、文化、帮扶、安全生产和民主管理等。"
        "文章之外的事（其他省份、文章没提到的年份和数字、实时信息）我都不知道，也不会编造数字。")


async def on_topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the sections the bot can answer about."""
    sections = context.bot_data["engine"].base.meta.sections
    await update.effective_message.reply_text("我能回答这些章节的内容：\n" + "\n".join(f"· {s}" for s in sections))


async def on_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/ask 问题`, mainly for groups."""
    question = " ".join(context.args or []).strip()
    if not question:
        await update.effective_message.reply_text("用法：/ask 问题，例如 /ask 山西有多少工会会员？", do_quote=True)
        return
    await reply_answer(update, context, question)


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat every text message is a question."""
    await reply_answer(update, context, update.effective_message.text)


async def on_group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group message that mentions the bot or replies to it (see `ADDRESSED`)."""
    await reply_answer(update, context, question_of(update.effective_message, context.bot.username))


async def on_non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice and files in a private chat: say what the bot reads."""
    await update.effective_message.reply_text("我只能回答文字问题，请用文字提问。", do_quote=True)


async def on_feedback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Record a 👍/👎 press (one vote per answer and user) and acknowledge it."""
    query, data = update.callback_query, context.bot_data
    vote, key = feedback.parse(query.data)
    pending = data["pending"].get(key)
    if pending is None:
        await query.answer("这条回答太旧了，无法记录反馈。")
        return
    question, fact_ids = pending
    await asyncio.to_thread(data["store"].feedback, query.from_user.id, vote, question, fact_ids, key)
    await query.answer("谢谢反馈！")


async def on_unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Callback data the bot never sent (forged, or from an older version): a quiet note."""
    await update.callback_query.answer("这个按钮已失效。")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log with the traceback; tell the user briefly, never the details."""
    error = context.error
    if isinstance(error, Forbidden):  # the user blocked the bot, or it was removed from the group
        logger.info("Telegram refused the reply (%s); dropped", error)
        return
    if update is None and isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        logger.debug("polling failed: %s", error)  # `Outage` logs the outage once
        return
    logger.error("error while handling an update", exc_info=error)
    if isinstance(update, Update) and update.effective_message:
        try:
            await update.effective_message.reply_text(SORRY)
        except Exception:  # the reply itself failed (network): already logged above
            logger.warning("could not send the apology")
