"""Self-test of bot/testing/fake_telegram/: raw HTTP checks plus the real PTB 22.8 in-process.

Waits on the fake always go through asyncio.to_thread (the bot shares the test's event loop).
"""
from __future__ import annotations

import asyncio
import datetime as dtm
import html
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, InvalidToken, RetryAfter
from telegram.ext import (Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler,
                          ContextTypes, MessageHandler, TypeHandler, filters)

from bot.testing.fake_telegram import (DEFAULT_TOKEN, EntityParseError, FakeTelegram, parse_html,
                                       parse_text, utf16_len)

TOKEN = DEFAULT_TOKEN
BOT = "shanxi_qa_bot"
USER = 1001
GROUP = -2001


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    import os

    no_proxy = os.environ.get("NO_PROXY", "")
    if "127.0.0.1" not in no_proxy:
        monkeypatch.setenv("NO_PROXY", ",".join(filter(None, [no_proxy, "127.0.0.1,localhost"])))
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
def fake():
    with FakeTelegram(token=TOKEN, bot_username=BOT) as server:
        yield server


# ------------------------------------------------------------------------------------------
# raw HTTP
# ------------------------------------------------------------------------------------------
def call(fake: FakeTelegram, method: str, params: dict | None = None, *, token: str = TOKEN,
         body: bytes | None = None, content_type: str | None = None,
         timeout: float = 5) -> tuple[int, dict]:
    url = f"{fake.base_url}{token}/{method}"
    if body is None:
        body = urllib.parse.urlencode(params or {}).encode()
        content_type = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


def test_tokens_methods_and_files(fake):
    status, data = call(fake, "getMe")
    assert status == 200 and data["ok"]
    me = data["result"]
    assert me["username"] == BOT and me["is_bot"] and me["id"] == int(TOKEN.split(":")[0])
    assert me["can_read_all_group_messages"] is False and me["supports_inline_queries"] is False
    assert call(fake, "GETME")[0] == 200  # case-insensitive method names
    status, data = call(fake, "getMe", token="987654:" + "x" * 35)
    assert (status, data["description"]) == (401, "Unauthorized")
    status, data = call(fake, "getMe", token="not-a-token")
    assert (status, data["description"]) == (404, "Not Found")
    status, data = call(fake, "sendDice", {"chat_id": "1"})
    assert status == 404 and data["description"] == \
        "Not Found: method sendDice not implemented in the fake"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with pytest.raises(urllib.error.HTTPError) as err:
        opener.open(f"{fake.base_file_url}{TOKEN}/photos/file_1.jpg", timeout=5)
    assert err.value.code == 404
    err.value.close()
    assert [e.status for e in fake.errors] == [401, 404, 404, 404]


def test_body_formats(fake):
    fake.register_chat(USER)
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    # form-encoded, values JSON-encoded the way PTB sends them
    status, data = call(fake, "sendMessage", {
        "chat_id": "1001", "text": "true", "reply_markup": json.dumps(markup),
        "disable_notification": "true"})
    assert status == 200, data
    assert data["result"]["text"] == "true" and data["result"]["reply_markup"] == markup
    # JSON body
    status, data = call(fake, "sendMessage", body=json.dumps(
        {"chat_id": USER, "text": "<i>json</i>", "parse_mode": "HTML",
         "reply_markup": markup}).encode(), content_type="application/json")
    assert status == 200 and data["result"]["text"] == "json"
    # multipart
    boundary = uuid.uuid4().hex
    parts = [(k, v) for k, v in {"chat_id": "1001", "text": "multi ✓"}.items()]
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'
                    .encode() + v.encode() + b"\r\n" for k, v in parts)
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="doc"; filename="a.txt"\r\n'
             "Content-Type: text/plain\r\n\r\nhello\r\n"f"--{boundary}--\r\n").encode()
    status, data = call(fake, "sendMessage", body=body,
                        content_type=f"multipart/form-data; boundary={boundary}")
    assert status == 200 and data["result"]["text"] == "multi ✓"
    assert fake.calls[-1].params["doc"]["filename"] == "a.txt"
    ids = [m.message_id for m in fake.sent_messages]
    assert ids == [1, 2, 3]
    first = fake.wait_for_message(USER, timeout=1)
    assert (first.raw_text, first.parse_mode, first.reply_markup) == ("true", None, markup)
    assert fake.wait_for_message(USER, timeout=1).raw_text == "<i>json</i>"
    assert fake.errors == []


def test_text_validation(fake):
    fake.register_chat(USER)
    send = lambda text, **kw: call(fake, "sendMessage", {"chat_id": USER, "text": text, **kw})
    assert send(" \n\t ")[1]["description"] == "Bad Request: message text is empty"
    assert send("<b> </b>", parse_mode="HTML")[1]["description"] == \
        "Bad Request: message text is empty"
    assert call(fake, "sendMessage", {"chat_id": 42, "text": "x"})[1]["description"] == \
        "Bad Request: chat not found"
    status, data = send("1<2", parse_mode="HTML")
    assert status == 400 and data["description"].startswith("Bad Request: can't parse entities:")
    assert send("a.b", parse_mode="MarkdownV2")[1]["description"] == (
        "Bad Request: parse_mode MarkdownV2 is unsupported by the fake (the bot sends HTML only)")
    # the limit applies to the visible text, counted in UTF-16 code units
    assert send("<b>" + "a" * 4096 + "</b>", parse_mode="HTML")[0] == 200
    assert send("a" * 4097)[1]["description"] == "Bad Request: message is too long"
    assert send("字" * 4096)[0] == 200
    assert send("😀" * 2049)[1]["description"] == "Bad Request: message is too long"
    ok = send("  <b>hi</b> &amp; bye \n", parse_mode="HTML")[1]["result"]
    assert ok["text"] == "hi & bye" and ok["entities"] == [
        {"type": "bold", "offset": 0, "length": 2}]
    assert sum(e.status == 400 for e in fake.errors) == len(fake.errors) == 7


@pytest.mark.parametrize("text", [
    "1<2", "a < b", "AT&T", "&nbsp;", "<b>open", "<b><i>x</b></i>", "x</b>", "<br>",
    "<span>x</span>", "<div>x</div>", "<a href='x'>y", "<b class=x/y>x</b>", "<b x>y</b>",
])
def test_html_rejected(text):
    with pytest.raises(EntityParseError):
        parse_html(text)


@pytest.mark.parametrize("text,visible", [
    ("<b>b</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> <ins>n</ins> <s>s</s> "
     "<strike>k</strike> <del>d</del>", "b s i e u n s k d"),
    ('<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>', "xy"),
    ('<a href="https://e.com/?a=1&b=2">link</a>', "link"),
    ('<pre><code class="language-python">print("&lt;")</code></pre>', 'print("<")'),
    ("<blockquote>q</blockquote><blockquote expandable>e</blockquote>", "qe"),
    ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
    ("1 &lt; 2 &gt; 0 &quot;&amp;&#65;&#x42; > ok", '1 < 2 > 0 "&AB > ok'),
    ("<B>caps</B>", "caps"),
])
def test_html_accepted(text, visible):
    assert parse_html(text)[0] == visible


def test_entity_offsets_are_utf16():
    assert parse_text("😀 <b>b</b>", "HTML")[1] == [{"type": "bold", "offset": 3, "length": 1}]
    assert utf16_len("😀a") == 3


def test_get_updates_long_poll_offset_conflict(fake):
    results: dict[str, tuple] = {}

    def poll(name, **params):
        results[name] = call(fake, "getUpdates", params, timeout=10)

    import threading

    t = threading.Thread(target=poll, args=("first",), kwargs={"timeout": 5})
    t.start()
    fake.wait_for_poll(timeout=5)
    started = time.monotonic()
    update = fake.inject_message("/start")
    t.join(5)
    assert time.monotonic() - started < 1
    status, data = results["first"]
    assert status == 200 and [u["update_id"] for u in data["result"]] == [update["update_id"]]
    assert data["result"][0]["message"]["entities"] == [
        {"type": "bot_command", "offset": 0, "length": 6}]
    # not confirmed yet: delivered again; confirming drops it
    assert len(call(fake, "getUpdates")[1]["result"]) == 1
    assert call(fake, "getUpdates", {"offset": update["update_id"] + 1})[1]["result"] == []
    assert fake.confirmed_offset == update["update_id"] + 1 and fake.pending_updates == []
    # a second getUpdates while one waits: the first gets 409
    t = threading.Thread(target=poll, args=("second",), kwargs={"timeout": 5})
    t.start()
    fake.wait_for_poll(timeout=5)
    assert call(fake, "getUpdates", {"timeout": 0})[0] == 200
    t.join(5)
    status, data = results["second"]
    assert status == 409 and data["description"].startswith(
        "Conflict: terminated by other getUpdates request")
    assert [c.expected for c in fake.conflicts] == [False]  # its client was still listening
    assert [e.status for e in fake.errors] == [409]
    fake.errors.clear()  # a copy: the fake's own record is untouched
    assert len(fake.errors) == 1
    # allowed_updates (loosely): other update types are dropped
    fake.inject_message("ignored")
    assert call(fake, "getUpdates", {"allowed_updates": '["callback_query"]'})[1]["result"] == []
    assert fake.pending_updates == []
    # no getUpdates while a webhook is set
    assert call(fake, "setWebhook", {"url": "https://example.com/hook"})[0] == 200
    assert call(fake, "getUpdates")[0] == 409
    assert call(fake, "deleteWebhook", {"drop_pending_updates": "true"})[0] == 200
    # an idle long poll returns [] after its timeout
    started = time.monotonic()
    assert call(fake, "getUpdates", {"timeout": 0.3})[1]["result"] == []
    assert 0.25 < time.monotonic() - started < 2
    assert [e.status for e in fake.errors] == [409, 409]


def test_fault_injection_and_revoke(fake):
    fake.fail("getMe", 429, retry_after=7)
    status, data = call(fake, "getMe")
    assert status == 429 and data["parameters"] == {"retry_after": 7}
    fake.fail("getme", 502, times=2)
    assert [call(fake, "getMe")[0] for _ in range(3)] == [502, 502, 200]
    fake.delay("getMe", 0.3)
    started = time.monotonic()
    assert call(fake, "getMe")[0] == 200 and time.monotonic() - started >= 0.3
    fake.drop_connection("getMe")
    with pytest.raises((ConnectionError, urllib.error.URLError, OSError)):
        call(fake, "getMe")
    assert call(fake, "getMe")[0] == 200
    assert [(e.status, e.injected) for e in fake.errors] == [(429, True), (502, True),
                                                             (502, True)]
    import threading

    result = {}
    t = threading.Thread(target=lambda: result.setdefault(
        "r", call(fake, "getUpdates", {"timeout": 5})))
    t.start()
    fake.wait_for_poll(timeout=5)
    fake.revoke()
    t.join(5)
    assert result["r"][0] == 401
    assert call(fake, "getMe")[0] == 401


# ------------------------------------------------------------------------------------------
# the real PTB application in-process
# ------------------------------------------------------------------------------------------
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


def test_deleted_question_blocked_user_migrated_group_and_leave_chat(fake):
    """What users and Telegram do to chats, answered as Telegram answers it."""
    question = fake.inject_message("问题")["message"]
    fake.delete_user_message(USER, question["message_id"])
    status, data = call(fake, "sendMessage", {"chat_id": USER, "text": "答",
                                              "reply_parameters": json.dumps({"message_id": question["message_id"]})})
    assert (status, data["description"]) == (400, "Bad Request: message to be replied not found")
    status, data = call(fake, "sendMessage", {"chat_id": USER, "text": "答", "reply_parameters": json.dumps(
        {"message_id": question["message_id"], "allow_sending_without_reply": True})})
    assert status == 200 and "reply_to_message" not in data["result"]

    fake.block(USER)
    status, data = call(fake, "sendMessage", {"chat_id": USER, "text": "答"})
    assert (status, data["description"]) == (403, "Forbidden: bot was blocked by the user")

    fake.inject_message("群里的问题", chat_type="group")
    to_old, to_new = fake.migrate_chat(GROUP, -1000000002002)
    assert to_old["message"]["migrate_to_chat_id"] == -1000000002002
    assert to_new["message"]["migrate_from_chat_id"] == GROUP and to_new["message"]["chat"]["type"] == "supergroup"
    status, data = call(fake, "sendMessage", {"chat_id": GROUP, "text": "答"})
    assert status == 400 and data["parameters"] == {"migrate_to_chat_id": -1000000002002}
    assert call(fake, "sendMessage", {"chat_id": -1000000002002, "text": "答"})[0] == 200

    added = fake.inject_my_chat_member(-3003, "member", user_id=USER)
    assert added["my_chat_member"]["new_chat_member"]["user"]["username"] == BOT
    assert call(fake, "leaveChat", {"chat_id": -3003})[0] == 200
    assert fake.left_chats == [-3003]
    status, data = call(fake, "sendMessage", {"chat_id": -3003, "text": "答"})
    assert (status, data["description"]) == (403, "Forbidden: bot is not a member of the group chat")
