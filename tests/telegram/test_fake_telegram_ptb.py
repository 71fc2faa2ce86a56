"""Self-test of bot/testing/fake_telegram/ under the real PTB 22.8 application, in process.

Waits on the fake always go through asyncio.to_thread (the bot shares the test's event loop).
"""
from __future__ import annotations

import asyncio
import datetime as dtm
import html
import time

import pytest

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, InvalidToken, RetryAfter
from telegram.ext import (Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler,
                          ContextTypes, MessageHandler, TypeHandler, filters)

from bot.testing.fake_telegram import DEFAULT_TOKEN

TOKEN = DEFAULT_TOKEN
BOT = "shanxi_qa_bot"
USER = 1001
GROUP = -2001


async def start_cmd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text("Welcome!")


async def menu_cmd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes"),
                                      InlineKeyboardButton("No", callback_data="no")]])
    await update.effective_message.reply_text("Pick one:", reply_markup=keyboard)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer(f"You chose {query.data}")
    await query.edit_message_text(f"Chosen: <i>{query.data}</i>", parse_mode=ParseMode.HTML)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = update.effective_message.text
    await update.effective_message.reply_text(f"<b>{html.escape(text)}</b>",
                                              parse_mode=ParseMode.HTML)


@pytest.fixture
async def app(fake):
    application: Application = (ApplicationBuilder().token(TOKEN).base_url(fake.base_url)
                                .base_file_url(fake.base_file_url).build())
    application.add_handler(CommandHandler("start", start_cmd))
    application.add_handler(CommandHandler("menu", menu_cmd))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(
        filters.TEXT & ~filters.COMMAND & (filters.ChatType.PRIVATE | filters.Mention(BOT)),
        echo))
    application.bot_data["polling_errors"] = errors = []
    await application.initialize()
    await application.updater.start_polling(poll_interval=0, timeout=10,
                                            error_callback=errors.append)
    await application.start()
    await asyncio.to_thread(fake.wait_for_poll, 5)
    yield application
    try:
        if application.updater.running:
            await application.updater.stop()
    except InvalidToken:  # polling died on a 401: stop() re-raises it
        pass
    if application.running:
        await application.stop()
    await application.shutdown()


async def wait_message(fake, chat_id=USER, timeout=5, predicate=None):
    return await asyncio.to_thread(fake.wait_for_message, chat_id, timeout, predicate)


async def test_echo_round_trip(app, fake):
    started = time.monotonic()
    fake.inject_message("a < b & c")
    msg = await wait_message(fake)
    assert time.monotonic() - started < 1
    assert msg.raw_text == "<b>a &lt; b &amp; c</b>" and msg.text == "a < b & c"
    assert msg.parse_mode == "HTML" and msg.entities == [
        {"type": "bold", "offset": 0, "length": 9}]
    assert msg.reply_to_message_id is None  # PTB does not quote in private chats
    fake.inject_message("/start")
    assert (await wait_message(fake)).text == "Welcome!"
    update = fake.inject_message("follow-up", reply_to=msg)  # the user replies to the bot
    assert update["message"]["reply_to_message"]["from"]["is_bot"] is True
    assert (await wait_message(fake)).text == "follow-up"
    assert fake.errors == [] and app.bot_data["polling_errors"] == []


async def test_other_methods_parse_in_ptb(app, fake):
    fake.register_chat(USER)
    chat = await app.bot.get_chat(USER)
    assert (chat.id, chat.type) == (USER, "private")
    assert await app.bot.send_chat_action(USER, ChatAction.TYPING)
    assert await app.bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    assert [c.command for c in await app.bot.get_my_commands()] == ["start", "help"]
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await app.bot.set_my_commands([BotCommand("Start", "upper case is invalid")])
    assert await app.bot.delete_my_commands()
    assert await app.bot.get_my_commands() == ()
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    msg = await app.bot.send_message(USER, "with keyboard", reply_markup=keyboard)
    assert msg.reply_markup == keyboard and msg.from_user.username == BOT
    edited = await app.bot.edit_message_reply_markup(USER, msg.message_id, reply_markup=None)
    assert edited.reply_markup is None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await app.bot.edit_message_reply_markup(USER, msg.message_id)
    assert await app.bot.delete_message(USER, msg.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await app.bot.delete_message(USER, msg.message_id)
    assert (await app.bot.get_webhook_info()).url == ""
    assert [e.status for e in fake.errors] == [400, 400, 400]


async def test_media_and_other_updates_parse(app, fake):
    seen: list[Update] = []

    async def collect(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)

    app.add_handler(TypeHandler(Update, collect), group=-1)
    first = fake.inject_message("hi there", chat_type="supergroup", user_id=7)
    fake.inject_sticker("🔥")
    fake.inject_photo(caption="look")
    fake.inject_edited_message(first["message"], "hi there, edited")
    fake.inject_channel_post("news")
    for _ in range(200):
        if len(seen) == 5:
            break
        await asyncio.sleep(0.01)
    assert seen[0].message.chat.type == "supergroup"
    assert seen[1].message.sticker.emoji == "🔥"
    assert seen[2].message.photo[-1].width == 1280 and seen[2].message.caption == "look"
    assert seen[3].edited_message.text == "hi there, edited"
    assert seen[3].edited_message.message_id == first["message"]["message_id"]
    assert seen[4].channel_post.text == "news" and seen[4].channel_post.sender_chat
    assert fake.sent_messages == [] and fake.errors == []


async def test_bad_markup_and_length_surface_as_bad_request(app, fake):
    fake.register_chat(USER)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await app.bot.send_message(USER, "1<2", parse_mode=ParseMode.HTML)
    # PTB strips "Bad Request: " and str.capitalize()s the rest, lower-casing Telegram's text
    with pytest.raises(BadRequest, match="Parse_mode markdownv2 is unsupported by the fake"):
        await app.bot.send_message(USER, "Done!", parse_mode=ParseMode.MARKDOWN_V2)
    with pytest.raises(BadRequest, match="Message is too long"):
        await app.bot.send_message(USER, "x" * 5000)
    with pytest.raises(BadRequest, match="Chat not found"):
        await app.bot.send_message(4242, "hi")
    with pytest.raises(InvalidToken, match="not implemented in the fake"):
        await app.bot.send_dice(USER)
    assert [e.status for e in fake.errors] == [400, 400, 400, 400, 404]


async def test_429_is_retry_after(app, fake):
    fake.register_chat(USER)
    fake.fail("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter) as exc:
        await app.bot.send_message(USER, "hi")
    assert exc.value.retry_after == dtm.timedelta(seconds=3)
    await app.bot.send_message(USER, "hi again")  # the caller retries
    assert (await wait_message(fake)).text == "hi again"
    assert [(e.status, e.injected) for e in fake.errors] == [(429, True)]


async def test_get_updates_502_is_survived(app, fake):
    fake.fail("getUpdates", 502, times=1)
    fake.inject_message("one")  # answered by the pending poll; the next poll gets the 502
    assert (await wait_message(fake)).text == "one"
    fake.inject_message("two")  # PTB retries after a 1 s back-off
    assert (await wait_message(fake, timeout=5)).text == "two"
    assert [(e.method, e.status, e.injected) for e in fake.errors] == [("getUpdates", 502, True)]
    assert fake.unexpected_errors == []
    assert [type(e).__name__ for e in app.bot_data["polling_errors"]] == ["NetworkError"]


async def test_callback_query_round_trip(app, fake):
    fake.inject_message("/menu")
    menu = await wait_message(fake)
    assert [b["callback_data"] for b in menu.buttons] == ["yes", "no"]
    with pytest.raises(ValueError):
        fake.press_button(menu, "maybe")
    fake.press_button(menu, "yes")
    answer = await asyncio.to_thread(fake.wait_for_call, "answerCallbackQuery", 5)
    assert answer.status == 200 and answer.params["text"] == "You chose yes"
    edit = await asyncio.to_thread(fake.wait_for_edit, USER, 5)
    assert (edit.message_id, edit.text, edit.raw_text) == (
        menu.message_id, "Chosen: yes", "Chosen: <i>yes</i>")
    assert fake.message(USER, menu.message_id).get("reply_markup") is None  # keyboard gone
    with pytest.raises(ValueError):  # the button no longer exists
        fake.press_button(menu, "no")
    assert fake.errors == []


async def test_group_mentions_and_commands(app, fake):
    fake.inject_message("hello everyone", chat_type="group", user_id=7)
    fake.inject_message("/start@other_bot", chat_type="group", user_id=7)
    update = fake.inject_message(f"@{BOT} what is new?", chat_type="group", user_id=7)
    assert update["message"]["entities"] == [
        {"type": "mention", "offset": 0, "length": len(BOT) + 1}]
    reply = await wait_message(fake, GROUP)
    assert reply.text == f"@{BOT} what is new?"
    assert reply.reply_to_message_id == update["message"]["message_id"]  # quoted in groups
    assert reply.message["reply_to_message"]["text"] == f"@{BOT} what is new?"
    update = fake.inject_message(f"/start@{BOT}", chat_type="group", user_id=7)
    assert update["message"]["entities"][0]["length"] == len(f"/start@{BOT}")
    assert (await wait_message(fake, GROUP)).text == "Welcome!"
    await asyncio.sleep(0.05)
    assert [m.text for m in fake.sent_messages] == [f"@{BOT} what is new?", "Welcome!"]
    assert fake.errors == []


async def test_revoked_token_stops_polling(app, fake):
    fake.revoke()
    call401 = await asyncio.to_thread(fake.wait_for_call, "getUpdates", 5,
                                      lambda c: c.status == 401)
    assert call401.description == "Unauthorized"
    await asyncio.sleep(0.2)
    # PTB 22.8: the polling task dies silently (no error_callback, no retry) while
    # app.running and updater.running stay True; updater.stop() then re-raises InvalidToken.
    assert app.running and app.updater.running
    assert app.bot_data["polling_errors"] == []
    assert [c.status for c in fake.calls if c.method == "getUpdates"][-1] == 401
    with pytest.raises(InvalidToken):
        await app.updater.stop()
    assert [(e.method, e.status) for e in fake.errors] == [("getUpdates", 401)]


async def test_stop_confirms_offset(app, fake):
    for text in ("one", "two", "three"):
        fake.inject_message(text)
        await wait_message(fake)
    # the next poll must be pending for the 409 below to be deterministic: a stop() while the
    # poll is still on its way cancels it client-side only, and no 409 happens at all
    await asyncio.to_thread(fake.wait_for_poll, 5)
    await app.updater.stop()
    await app.stop()
    assert fake.confirmed_offset == fake.last_update_id + 1
    assert fake.pending_updates == []
    assert [c.expected for c in fake.conflicts] == [True]  # the cancelled poll, superseded
    assert fake.errors == []


