"""The Telegram application: assembled in one place, run with long polling or a webhook."""
from __future__ import annotations

import asyncio
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (Application, ApplicationBuilder, CallbackQueryHandler, ChatMemberHandler,
                          CommandHandler, ContextTypes, Defaults, MessageHandler, TypeHandler, filters)

from bot.adapters import commands
from bot.adapters.telegram import admin, feedback, handlers, suggestions
from bot.adapters.telegram.chats import Chats, check_allowed, on_migration, on_my_chat_member
from bot.adapters.telegram.mentions import ADDRESSED, COMMAND_FOR_BOT
from bot.adapters.telegram.outage import Outage
from bot.adapters.telegram.polling import WatchedRequest
from bot.adapters.telegram.redact import guard_logs
from bot.adapters.telegram.throttle import AnswersFirst, Throttle, throttled
from bot.store import Store

logger = logging.getLogger(__name__)

# The update types the handlers below handle; Telegram sends no others.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
# Seconds between two runs of the retention job (`post_init` also applies it at start).
PRUNE_EVERY = 3600


async def post_init(application: Application) -> None:
    """Register the commands with Telegram once the bot is up, and apply the retention."""
    await application.bot.set_my_commands([BotCommand(c, d) for c, d in (*commands.COMMANDS, handlers.ASK)])
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
    builder = ApplicationBuilder().token(settings.telegram_token.get_secret_value()).defaults(defaults).concurrent_updates(True)
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
                        suggested=suggestions.SuggestedQuestions(max_chars=settings.max_question_chars),
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
    app.add_handler(CommandHandler([name for name, _ in commands.COMMANDS], throttled(handlers.on_command),
                                   filters=message))
    app.add_handler(CommandHandler("ask", throttled(handlers.on_ask), filters=message))
    for name, callback in (("gaps", admin.on_gaps), ("reload", admin.on_reload)):
        app.add_handler(CommandHandler(name, throttled(callback), filters=message & filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler(["gaps", "reload"], throttled(admin.on_private_only), filters=message))
    # After every CommandHandler: what none of them took (and `/x@otherbot`, which PTB leaves).
    app.add_handler(MessageHandler(COMMAND_FOR_BOT & message, throttled(handlers.on_unknown_command)))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migration))
    text = filters.TEXT & ~filters.COMMAND & message
    app.add_handler(MessageHandler(text & filters.ChatType.PRIVATE, throttled(handlers.on_private_text)))
    app.add_handler(MessageHandler(text & filters.ChatType.GROUPS & ADDRESSED, throttled(handlers.on_group_text)))
    media = (filters.Sticker.ALL | filters.PHOTO | filters.VOICE | filters.AUDIO | filters.VIDEO
             | filters.Document.ALL | filters.LOCATION | filters.CONTACT)
    app.add_handler(MessageHandler(media & filters.ChatType.PRIVATE & message, throttled(handlers.on_non_text)))
    app.add_handler(CallbackQueryHandler(throttled(handlers.on_feedback), pattern=feedback.PATTERN))
    app.add_handler(CallbackQueryHandler(throttled(handlers.on_suggestion), pattern=suggestions.PATTERN))
    app.add_handler(CallbackQueryHandler(throttled(handlers.on_unknown_button)))
    app.add_error_handler(handlers.on_error)


def run(settings, engine_loader) -> int:
    """Run until SIGTERM/SIGINT (exit 0) or a revoked token (exit 1)."""
    if settings.telegram_webhook_url and not settings.telegram_webhook_secret.get_secret_value():
        settings = settings.replace(telegram_webhook_secret=secrets.token_urlsafe(32))
    guard_logs(settings)
    engine = engine_loader(settings)

    def reload():
        """Facts and index afresh (rebuilt if stale); the loaded model and the conversations are kept."""
        current = app.bot_data["engine"]
        return engine_loader(settings, embedder=current.embedder, rebuild=True, conversations=current.conversations)

    app = build_application(settings, engine, reload)
    try:
        if settings.telegram_webhook_url:
            # Telegram posts to TELEGRAM_WEBHOOK_URL; the proxy forwards its path unchanged.
            app.run_webhook(listen=settings.telegram_listen, port=settings.telegram_port,
                            url_path=urlparse(settings.telegram_webhook_url).path.lstrip("/"),
                            webhook_url=settings.telegram_webhook_url,
                            secret_token=settings.telegram_webhook_secret.get_secret_value(),
                            allowed_updates=ALLOWED_UPDATES)
        else:
            app.run_polling(allowed_updates=ALLOWED_UPDATES, close_loop=False)
    except InvalidToken:
        logger.error("Telegram rejected the bot token (TELEGRAM_BOT_TOKEN): check it with @BotFather")
        return 1
    except TelegramError as exc:  # e.g. setWebhook refused: one line, no traceback wall
        logger.error("Telegram refused to start the bot: %s", exc)
        return 1
    return 1 if app.bot_data["state"]["revoked"] else 0
