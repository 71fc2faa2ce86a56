"""What senders can do to the bot, end to end through the fake Bot API (issue #11).

Forged buttons, repeated votes, floods, look-alike mentions and admin commands in groups.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import time

import pytest

from telegram_support import ADMIN, BOT, FIGURE, GROUP, QUESTION, USER, settle, votes, wait_call, wait_message

pytestmark = pytest.mark.slow


def forged_press(fake, message, data, user_id=USER):
    """A callback query with any data, as a modified client can send it."""
    cq = {"id": f"forged-{time.monotonic_ns()}", "from": {"id": user_id, "is_bot": False, "first_name": "X"},
          "message": message.message, "chat_instance": "1", "data": data}
    return fake.inject_update({"callback_query": cq})


async def answered_callbacks(fake, n):
    return [await wait_call(fake, "answerCallbackQuery") for _ in range(n)]


async def test_forged_callback_data_gets_a_quiet_note_and_no_apology(tg, logs):
    await tg["start"]()
    fake = tg["fake"]
    fake.inject_message(QUESTION)
    msg = await wait_message(fake, USER)
    forged = ["fb:", "fb:up", "fb:up:", "fb:sideways:0123456789ab", "fb:up:0123456789abc", "fb:up:ZZZZZZZZZZZZ",
              "fb:up:0123456789ab\n", "".join(map(chr, os.urandom(48))), "x" * 64]
    for data in forged:
        forged_press(fake, msg, data)
    forged_press(fake, msg, "fb:up:0123456789ab")  # well-formed, but no such answer
    calls = await answered_callbacks(fake, len(forged) + 1)
    notes = [c.params.get("text", "") for c in calls]
    assert notes.count("这个按钮已失效。") == len(forged) and notes.count("这条回答太旧了，无法记录反馈。") == 1
    await settle(fake)
    assert [m.chat_id for m in fake.sent_messages] == [USER, 9009]  # the answer, the /help: no apology
    assert not [line for line in logs.lines(logging.ERROR)]
    db = tg["settings"].data_dir / "feedback.sqlite3"
    assert not db.exists() or sqlite3.connect(db).execute("SELECT COUNT(*) FROM feedback").fetchone() == (0,)


async def test_a_second_press_changes_the_vote(tg):
    await tg["start"]()
    fake = tg["fake"]
    fake.inject_message(QUESTION)
    msg = await wait_message(fake, USER)
    up, down = votes(msg)
    for data in (up, down, down):
        fake.press_button(msg, data, user_id=USER)
        await wait_call(fake, "answerCallbackQuery")
    fake.press_button(msg, up, user_id=ADMIN)
    await wait_call(fake, "answerCallbackQuery")
    db = tg["settings"].data_dir / "feedback.sqlite3"
    stored = sqlite3.connect(db).execute("SELECT vote FROM feedback ORDER BY rowid").fetchall()
    assert stored == [("down",), ("up",)]  # one row per (answer, user), the last vote


async def test_a_flood_gets_one_note_per_window_whatever_it_sends(tg):
    await tg["start"](telegram_questions_per_minute=2)
    fake = tg["fake"]
    for _ in range(4):
        fake.inject_message(QUESTION)
    fake.inject_message("/start")
    fake.inject_sticker()
    fake.inject_message("/ask 会员总数")
    texts = [(await wait_message(fake, USER)).text for _ in range(3)]
    await settle(fake)
    texts = [m.text for m in fake.sent_messages if m.chat_id == USER]
    assert sum(FIGURE in t for t in texts) == 2 and sum("太频繁" in t for t in texts) == 1
    assert len(texts) == 3
    fake.inject_message(QUESTION, user_id=USER + 1, chat_id=USER + 1)  # others are not slowed
    assert FIGURE in (await wait_message(fake, USER + 1)).text


async def test_button_presses_are_throttled_too(tg):
    await tg["start"](telegram_questions_per_minute=2)
    fake = tg["fake"]
    fake.inject_message(QUESTION)
    msg = await wait_message(fake, USER)
    for _ in range(4):  # the question spent one of two; one press passes, one is told, two are ignored
        fake.press_button(msg, votes(msg)[0], user_id=USER)
    await answered_callbacks(fake, 2)
    await settle(fake)
    texts = [c.params.get("text", "") for c in fake.calls if c.method == "answerCallbackQuery"]
    assert sorted(texts) == sorted(["谢谢反馈！", "提问太频繁了，请稍后再试（每分钟最多2次）。"])


async def test_anonymous_admins_and_channels_are_throttled_by_their_sender_chat(tg):
    await tg["start"](telegram_questions_per_minute=1)
    fake = tg["fake"]
    fake.inject_message("hello", chat_type="group")  # makes the group known to the fake
    await settle(fake)
    group = fake.message(GROUP, 1)["chat"]
    channel = {"id": -1000000003001, "type": "channel", "title": "Linked channel"}
    anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
    for message_id, sender in enumerate((group, channel, group), 1000):  # all with the same `from`
        text = f"@{BOT} {QUESTION}"
        fake.inject_update({"message": {"message_id": message_id, "from": anonymous,
                                        "sender_chat": sender, "chat": group, "date": int(time.time()),
                                        "text": text, "entities": [{"type": "mention", "offset": 0,
                                                                    "length": len(BOT) + 1}]}})
    for _ in range(3):
        await wait_message(fake, GROUP)
    await settle(fake)
    texts = [m.text for m in fake.sent_messages if m.chat_id == GROUP]
    assert sum(FIGURE in t for t in texts) == 2 and sum("太频繁" in t for t in texts) == 1


async def test_mentions_count_only_as_entities_naming_this_bot(tg):
    await tg["start"]()
    fake = tg["fake"]
    fake.inject_message(f"@{BOT}2 {QUESTION}", chat_type="group")
    fake.inject_message(f"写信给 admin@{BOT} 问问 {QUESTION}", chat_type="group")
    fake.inject_message(f"@{BOT.upper()} {QUESTION}", chat_type="group")
    msg = await wait_message(fake, GROUP)
    assert FIGURE in msg.text
    await settle(fake)
    assert len([m for m in fake.sent_messages if m.chat_id == GROUP]) == 1


async def test_admin_commands_work_only_in_private_chats(tg):
    calls = []
    await tg["start"]()
    fake, app = tg["fake"], tg["app"]
    app.bot_data["store"].gap(USER, "别人的问题：广东有多少会员", "place")
    app.bot_data["reload"] = lambda: calls.append("reload")
    for command in ("/gaps", f"/gaps@{BOT}", "/reload"):
        fake.inject_message(command, user_id=ADMIN, chat_type="group")
        assert (await wait_message(fake, GROUP)).text == "这个命令只能在与我的私聊中使用。"
    assert calls == [] and not any("别人的问题" in m.text for m in fake.sent_messages)
    fake.inject_message("/gaps", user_id=ADMIN, chat_id=ADMIN)
    assert "别人的问题" in (await wait_message(fake, ADMIN)).text
