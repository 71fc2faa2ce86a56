"""Telegram adapter: python-telegram-bot handlers around `Engine.answer`, nothing more."""
from __future__ import annotations

import asyncio
import dataclasses
import html
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (Application, ApplicationBuilder, ApplicationHandlerStop,
                          CallbackQueryHandler, ChatMemberHandler, CommandHandler, ContextTypes, Defaults,
                          MessageHandler, TypeHandler, filters)
from bot.adapters.telegram import feedback, send
from bot.adapters.telegram.chats import Chats
from bot.adapters.telegram.mentions import ADDRESSED, question_of
from bot.adapters.telegram.outage import Outage
from bot.adapters.telegram.redact import guard_logs
from bot.adapters.telegram.throttle import AnswersFirst, Throttle, sender_of, throttled
from bot.store import Store
from bot.telegram_util import WatchedRequest, split_message

logger = logging.getLogger(__name__)

COMMANDS = [
    ("start", "开始：简介和示例问题"),
    ("help", "怎么提问"),
    ("about", "这篇文章是什么，我不知道什么"),
    ("topics", "我能回答的章节"),
    ("ask", "提问（群聊中使用）：/ask 问题"),
]
EXAMPLES = ("山西现在一共有多少个工会组织？", "2012年煤矿百万吨死亡率是多少？", "西山煤电的“3110”帮扶机制是什么？")
SORRY = "抱歉，出了点问题，请稍后再试。"
# Seconds an answer may take before the chat shows "typing…". Each chat action is one more
# Bot API request, and the API allows about 30 per second in all: when they are all taken,
# the rate limiter drops the chat action (AnswersFirst).
TYPING_AFTER = 0.3
# The update types the handlers below handle; Telegram sends no others.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
# Seconds between two runs of the retention job (`post_init` also applies it at start).
PRUNE_EVERY = 3600


def _services(context: ContextTypes.DEFAULT_TYPE) -> dict:
    return context.application.bot_data


async def reply_answer(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
    """Answer `question` off the event loop and reply with HTML and feedback buttons."""
    data, message = _services(context), update.effective_message
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
    meta = _services(context)["engine"].base.meta
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
    meta = _services(context)["engine"].base.meta
    await update.effective_message.reply_text(
        f"文章：《{meta.title}》\n报纸：{meta.paper}，{meta.year}年\n作者：{meta.authors}\n\n"
        "我只知道这篇文章写到的内容：山西工会的组建、维权、竞赛、文化、帮扶、安全生产和民主管理等。"
        "文章之外的事（其他省份、文章没提到的年份和数字、实时信息）我都不知道，也不会编造数字。")


async def on_topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the sections the bot can answer about."""
    sections = _services(context)["engine"].base.meta.sections
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
    query, data = update.callback_query, _services(context)
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


def _is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return bool(user) and user.id in _services(context)["settings"].telegram_admin_ids


async def on_gaps(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """(admin) The most frequent questions the bot could not answer."""
    if not _is_admin(update, context):
        await update.effective_message.reply_text("抱歉，这个命令只有管理员可以使用。")
        return
    gaps = await asyncio.to_thread(_services(context)["store"].top_gaps, 15)
    lines = ["还没有记录到答不上来的问题。"] if not gaps else ["最常见的答不上来的问题："]
    lines += [f"{g.count}× {g.question}" for g in gaps]
    for part in split_message(html.escape("\n".join(lines))):
        await update.effective_message.reply_text(part, parse_mode=ParseMode.HTML)


async def on_reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """(admin) Reload facts and index without a restart; the old index serves until then.
    Reloads run one at a time: two at once would delete each other's build folders."""
    if not _is_admin(update, context):
        await update.effective_message.reply_text("抱歉，这个命令只有管理员可以使用。")
        return
    data, lock = _services(context), _services(context)["reload_lock"]
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


async def check_allowed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drop every update from a chat outside TELEGRAM_ALLOWED_CHAT_IDS (when it is set)."""
    data = _services(context)
    if not data["chats"].allows(update, data["settings"].telegram_allowed_chat_ids):
        if update.callback_query:
            await update.callback_query.answer()
        raise ApplicationHandlerStop


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Leave a group or channel as soon as the bot is added to one the allowlist excludes."""
    data, change = _services(context), update.my_chat_member
    if data["chats"].must_leave(change, data["settings"].telegram_allowed_chat_ids):
        logger.info("added to %s %s, which TELEGRAM_ALLOWED_CHAT_IDS excludes: leaving", change.chat.type,
                    change.chat.id)
        await change.chat.leave()


async def on_migration(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup (a new chat id): log it, and keep serving it if allowed."""
    data = _services(context)
    allowed = data["settings"].telegram_allowed_chat_ids
    moved = data["chats"].note_migration(update.effective_message, allowed)
    if moved and allowed:
        logger.warning("group %s became supergroup %s: serving it, but add %s to TELEGRAM_ALLOWED_CHAT_IDS "
                       "so that it is still served after a restart", *moved, moved[1])
    elif moved:
        logger.info("group %s became supergroup %s", *moved)


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


async def post_init(application: Application) -> None:
    """Register the commands with Telegram once the bot is up, and apply the retention."""
    await application.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])
    await asyncio.to_thread(application.bot_data["store"].prune)


async def prune_records(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete records older than QA_DATA_RETENTION_DAYS (every PRUNE_EVERY s; `post_init` at start)."""
    await asyncio.to_thread(context.application.bot_data["store"].prune)


async def post_shutdown(application: Application) -> None:
    """Let the engine finish what it started, then release its thread."""
    await asyncio.to_thread(application.bot_data["engine_pool"].shutdown, wait=True)


def build_application(settings, engine, reload) -> Application:
    """Assemble the application; `reload()` returns a fresh engine (or raises)."""
    state = {"revoked": False}
    # A user may delete the question before the answer is ready: answer without the quote.
    defaults = Defaults(allow_sending_without_reply=True)
    builder = ApplicationBuilder().token(settings.telegram_token).defaults(defaults).concurrent_updates(True)
    builder = builder.rate_limiter(AnswersFirst(max_retries=3)).post_init(post_init)
    builder = builder.post_shutdown(post_shutdown).read_timeout(settings.telegram_read_timeout)
    if settings.telegram_api_base_url:
        base = settings.telegram_api_base_url.rstrip("/")
        builder = builder.base_url(base).base_file_url(base.rsplit("/", 1)[0] + "/file/bot")
    app_ref: list[Application] = []

    def unauthorized() -> None:
        if not state["revoked"]:
            state["revoked"] = True
            logger.critical("Telegram answered 401 Unauthorized to getUpdates: the bot token was "
                            "revoked or is invalid; stopping so that a supervisor can restart the bot")
            app_ref[0].stop_running()

    builder = builder.get_updates_request(WatchedRequest(on_unauthorized=unauthorized, outage=Outage(),
                                                         read_timeout=settings.telegram_poll_read_timeout))
    app = builder.build()
    app_ref.append(app)
    app.bot_data.update(settings=settings, engine=engine, reload=reload, state=state,
                        store=Store.from_settings(settings), chats=Chats(),
                        throttle=Throttle(settings.telegram_questions_per_minute),
                        pending=feedback.PendingAnswers(max_chars=settings.max_question_chars),
                        reload_lock=asyncio.Lock(),
                        engine_pool=ThreadPoolExecutor(settings.engine_workers, thread_name_prefix="engine"))
    # Not first=0: a job due before the scheduler starts is skipped to the next interval.
    app.job_queue.run_repeating(prune_records, interval=PRUNE_EVERY, first=PRUNE_EVERY, name="prune")
    _add_handlers(app)
    return app


def _add_handlers(app: Application) -> None:
    """Every handler but the chat gatekeepers is throttled per sender."""
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER), group=-2)
    app.add_handler(TypeHandler(Update, check_allowed), group=-1)
    message = filters.UpdateType.MESSAGE
    for name, callback in (("start", on_start), ("help", on_help), ("about", on_about),
                           ("topics", on_topics), ("ask", on_ask)):
        app.add_handler(CommandHandler(name, throttled(callback), filters=message))
    for name, callback in (("gaps", on_gaps), ("reload", on_reload)):
        app.add_handler(CommandHandler(name, throttled(callback), filters=message & filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler(["gaps", "reload"], throttled(on_private_only), filters=message))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migration))
    text = filters.TEXT & ~filters.COMMAND & message
    app.add_handler(MessageHandler(text & filters.ChatType.PRIVATE, throttled(on_private_text)))
    app.add_handler(MessageHandler(text & filters.ChatType.GROUPS & ADDRESSED, throttled(on_group_text)))
    media = (filters.Sticker.ALL | filters.PHOTO | filters.VOICE | filters.AUDIO | filters.VIDEO
             | filters.Document.ALL | filters.LOCATION | filters.CONTACT)
    app.add_handler(MessageHandler(media & filters.ChatType.PRIVATE & message, throttled(on_non_text)))
    app.add_handler(CallbackQueryHandler(throttled(on_feedback), pattern=feedback.PATTERN))
    app.add_handler(CallbackQueryHandler(throttled(on_unknown_button)))
    app.add_error_handler(on_error)


def run(settings, engine_loader) -> int:
    """Run until SIGTERM/SIGINT (exit 0) or a revoked token (exit 1)."""
    if settings.telegram_webhook_url and not settings.telegram_webhook_secret:
        settings = dataclasses.replace(settings, telegram_webhook_secret=secrets.token_urlsafe(32))
    guard_logs(settings)
    engine = engine_loader(settings)

    def reload():
        """Facts and index afresh (rebuilt if stale); the loaded model is reused."""
        return engine_loader(settings, embedder=app.bot_data["engine"].embedder, rebuild=True)

    app = build_application(settings, engine, reload)
    try:
        if settings.telegram_webhook_url:
            # Telegram posts to TELEGRAM_WEBHOOK_URL; the proxy forwards its path unchanged.
            app.run_webhook(listen=settings.telegram_listen, port=settings.telegram_port,
                            url_path=urlparse(settings.telegram_webhook_url).path.lstrip("/"),
                            webhook_url=settings.telegram_webhook_url,
                            secret_token=settings.telegram_webhook_secret, allowed_updates=ALLOWED_UPDATES)
        else:
            app.run_polling(allowed_updates=ALLOWED_UPDATES, close_loop=False)
    except InvalidToken:
        logger.error("Telegram rejected the bot token (TELEGRAM_BOT_TOKEN): check it with @BotFather")
        return 1
    except TelegramError as exc:  # e.g. setWebhook refused: one line, no traceback wall
        logger.error("Telegram refused to start the bot: %s", exc)
        return 1
    return 1 if app.bot_data["state"]["revoked"] else 0
