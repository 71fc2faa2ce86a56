"""Telegram handlers for what users do: ask, use a command, press a button; one small handler each."""
from __future__ import annotations

import asyncio
import functools
import logging

from telegram import Chat, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import ContextTypes

from bot.adapters import commands
from bot.adapters.telegram import admin, feedback, render, send, suggestions
from bot.adapters.telegram.conversation import conversation_key
from bot.adapters.telegram.mentions import command_of, question_of
from bot.adapters.telegram.throttle import sender_of
from bot.pipeline.decide import Kind

logger = logging.getLogger(__name__)

# Telegram's own command beside the shared table (`bot.adapters.commands`): in a group, messages
# that neither mention the bot nor reply to it reach it only as commands.
ASK = ("ask", "提问（群聊中使用）：/ask 问题")
SORRY = "抱歉，出了点问题，请稍后再试。"
# Seconds an answer may take before the chat shows "typing…". Each chat action is one more
# Bot API request, and the API allows about 30 per second in all: when they are all taken,
# the rate limiter drops the chat action (AnswersFirst).
TYPING_AFTER = 0.3


async def reply_answer(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str, *,
                       pressed: bool = False) -> None:
    """Answer `question` in the sender's conversation and send it as HTML under its suggestion
    and feedback buttons: as a reply to the question, or, for a pressed suggestion (`pressed`),
    as a new message in the chat that first says what was asked."""
    data, chat = context.bot_data, update.effective_chat
    answer = await _answer(context, chat.id, question, conversation_key(update))
    logger.info("question chat=%s followup=%s decision=%s top=%s score=%s latency_ms=%.1f", chat.type,
                "yes" if answer.understood_as else "no", answer.kind, answer.facts[0].id if answer.facts else "-",
                f"{answer.facts[0].score:.3f}" if answer.facts else "-", answer.latency_ms)
    if answer.abstained and answer.kind == Kind.ABSTAIN:
        await asyncio.to_thread(data["store"].gap, sender_of(update), question, answer.reason)
    rated = answer.kind in (Kind.ANSWER, Kind.ABSTAIN)  # greetings, help and refusals get no 👍/👎
    key = data["pending"].add(question, [f.id for f in answer.facts]) if rated else None
    markup = suggestions.keyboard(data["suggested"], answer.suggestions, key)
    before = []
    if pressed:
        who = update.effective_user.first_name if chat.type != Chat.PRIVATE else ""
        before = suggestions.asked(question, who)
    parts = render.messages(answer.reply, before)
    for i, part in enumerate(parts):
        options = {"parse_mode": ParseMode.HTML, "reply_markup": markup if i == len(parts) - 1 else None}
        if pressed:
            await send.post(context.bot, chat.id, part, **options)
        else:
            await send.reply(update.effective_message, part, **options)


async def _answer(context: ContextTypes.DEFAULT_TYPE, chat_id: int, question: str, conversation: str):
    """The engine's answer, computed off the event loop; "typing…" in the chat while it is slow."""
    data = context.bot_data
    engine = data["engine"]  # an in-flight answer keeps the engine it started with
    # The engine's own executor: its encoder already uses every core, so more threads
    # would only contend (measured with `make loadtest`, README "Performance").
    asking = functools.partial(engine.answer, question, chat=conversation)
    pending = asyncio.get_running_loop().run_in_executor(data["engine_pool"], asking)
    try:  # most answers take milliseconds: "typing…" only when one is slow (e.g. queued)
        return await asyncio.wait_for(asyncio.shield(pending), TYPING_AFTER)
    except TimeoutError:
        await send.show_typing(context.bot, chat_id)
        return await pending


def _commands_for(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[tuple[str, str], ...]:
    """The Telegram-only commands /help lists to this user: /ask, and the admin commands for an
    admin in a private chat (where they work)."""
    private = update.effective_chat.type == Chat.PRIVATE
    return (ASK, *admin.COMMANDS) if private and admin.is_admin(update, context) else (ASK,)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start /help /about /topics /new from the table every adapter shares; /new forgets this
    user's conversation in this chat."""
    message, engine = update.effective_message, context.bot_data["engine"]
    name, _ = command_of(message)
    lines = commands.respond(commands.Command(name, ""), engine, conversation_key(update), group=True,
                             extra=_commands_for(update, context))
    examples = engine.base.meta.examples if name == "start" else ()  # /start's examples can be tapped
    markup = suggestions.keyboard(context.bot_data["suggested"], examples)
    await message.reply_text("\n".join(lines), reply_markup=markup)


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have (see `COMMAND_FOR_BOT`): a short note, never an answer."""
    name, _ = command_of(update.effective_message)
    note = commands.reply(commands.Command(name, ""), context.bot_data["engine"].base.meta)
    await update.effective_message.reply_text("\n".join(note), do_quote=True)


async def on_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/ask 问题`, mainly for groups."""
    question = " ".join(context.args or []).strip()
    if not question:
        examples = context.bot_data["engine"].base.meta.examples  # facts/meta.yaml, not code
        usage = f"用法：/ask 问题，例如 /ask {examples[0]}" if examples else "用法：/ask 问题"
        await update.effective_message.reply_text(usage, do_quote=True)
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


async def on_suggestion(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A pressed suggestion: asked in the presser's conversation, answered as a new message in the
    chat. A key the table does not hold (the bot restarted, or forged data) gets a quiet note."""
    query = update.callback_query
    question = context.bot_data["suggested"].get(suggestions.parse(query.data))
    if question is None or update.effective_chat is None:
        await query.answer(suggestions.EXPIRED)
        return
    await query.answer()
    await reply_answer(update, context, question, pressed=True)


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
