"""Issue #11 end to end through the fake Bot API: lost answers, forged buttons, floods,
Telegram's chat events, delivery faults and concurrent reloads."""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time

import pytest

from bot.adapters.telegram.app import PRUNE_EVERY
from telegram_support import ADMIN, BOT, USER, Held, votes, wait_call, wait_message

pytestmark = pytest.mark.slow
GROUP = -2001
QUESTION, FIGURE = "山西工会会员有多少？", "7706467"


class Hooked:
    """The real engine, with `before(question)` run on the engine thread before each answer."""

    def __init__(self, real, before):
        self.real, self.before, self.base = real, before, real.base

    def answer(self, question, chat=None):
        self.before(question)
        return self.real.answer(question, chat=chat)


def forged_press(fake, message, data, user_id=USER):
    """A callback query with any data, as a modified client can send it."""
    cq = {"id": f"forged-{time.monotonic_ns()}", "from": {"id": user_id, "is_bot": False, "first_name": "X"},
          "message": message.message, "chat_instance": "1", "data": data}
    return fake.inject_update({"callback_query": cq})


async def answered_callbacks(fake, n):
    return [await wait_call(fake, "answerCallbackQuery") for _ in range(n)]


async def settle(fake, user_id=9009):
    """Wait until a question sent now has been answered. Updates queued before it have
    been handled or dropped by then: each was checked as its handler started, and the
    engine answers one question at a time, in order."""
    fake.inject_message(QUESTION, user_id=user_id, chat_id=user_id)
    await wait_message(fake, user_id)


@pytest.mark.parametrize("chat_type", ["private", "group"])
async def test_a_deleted_question_still_gets_its_answer(tg, chat_type):
    app = await tg["start"]()
    fake, chat = tg["fake"], USER if chat_type == "private" else GROUP
    text = QUESTION if chat_type == "private" else f"@{BOT} {QUESTION}"
    update = {}
    app.bot_data["engine"] = Hooked(app.bot_data["engine"],  # the user deletes it while we answer
                                    lambda q: fake.delete_user_message(chat, update["message"]["message_id"]))
    update.update(fake.inject_message(text, chat_type=chat_type))
    msg = await wait_message(fake, chat)
    assert FIGURE in msg.text and msg.reply_to_message_id is None
    assert fake.unexpected_errors == []


async def test_an_apology_in_a_group_survives_a_deleted_question(tg):
    app = await tg["start"]()
    fake, update = tg["fake"], {}

    def explode(question):
        fake.delete_user_message(GROUP, update["message"]["message_id"])
        raise RuntimeError("engine down")

    app.bot_data["engine"] = Hooked(app.bot_data["engine"], explode)
    update.update(fake.inject_message(f"@{BOT} {QUESTION}", chat_type="group"))
    assert (await wait_message(fake, GROUP)).text == "抱歉，出了点问题，请稍后再试。"
    assert fake.unexpected_errors == []


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


async def test_a_user_who_blocked_the_bot_costs_one_info_line(tg, logs):
    await tg["start"]()
    fake = tg["fake"]
    fake.inject_message("/help")
    await wait_message(fake, USER)
    fake.block(USER)
    fake.inject_message(QUESTION)
    record = await logs.wait_for("Telegram refused the reply")
    assert record.levelno == logging.INFO and record.exc_info is None and "blocked" in record.getMessage()
    await settle(fake)
    assert [c.status for c in fake.calls if c.method == "sendMessage" and c.params["chat_id"] == str(USER)] == [200, 403]
    assert not logs.lines(logging.WARNING)


async def test_a_bot_added_to_a_group_outside_the_allowlist_leaves(tg, logs):
    await tg["start"](telegram_allowed_chat_ids=(USER, GROUP))
    fake = tg["fake"]
    fake.inject_my_chat_member(GROUP, "member")
    fake.inject_my_chat_member(-3003, "member")
    fake.inject_my_chat_member(-1000000004004, "administrator", chat_type="supergroup")
    await wait_call(fake, "leaveChat")
    await wait_call(fake, "leaveChat")
    await settle(fake, user_id=USER)
    assert sorted(fake.left_chats) == [-1000000004004, -3003]
    assert sum("TELEGRAM_ALLOWED_CHAT_IDS excludes" in line for line in logs.lines(logging.INFO)) == 2


async def test_an_allowlisted_group_that_became_a_supergroup_is_still_served(tg, logs):
    app = await tg["start"](telegram_allowed_chat_ids=(GROUP,))
    fake = tg["fake"]
    fake.inject_message(f"@{BOT} {QUESTION}", chat_type="group")
    assert FIGURE in (await wait_message(fake, GROUP)).text
    new_id = -1000000002002

    def migrate(question):  # the group is upgraded while its question is being answered
        if "2012" in question:
            fake.migrate_chat(GROUP, new_id)

    app.bot_data["engine"] = Hooked(app.bot_data["engine"], migrate)
    fake.inject_message(f"@{BOT} 2012年煤矿百万吨死亡率是多少", chat_type="group")
    late = await wait_message(fake, new_id)  # the reply to the old group goes to the new one
    assert "0.09" in late.text
    record = await logs.wait_for("became supergroup")
    assert record.levelno == logging.WARNING and str(new_id) in record.getMessage()
    fake.inject_message(f"@{BOT} {QUESTION}", chat_type="supergroup", chat_id=new_id)
    assert FIGURE in (await wait_message(fake, new_id)).text
    assert sum("became supergroup" in line for line in logs.lines()) == 1


async def test_a_failed_typing_action_never_loses_the_answer(tg):
    app = await tg["start"]()
    fake = tg["fake"]
    app.bot_data["engine"] = held = Held(app.bot_data["engine"])
    fake.fail("sendChatAction", 500, times=1)
    fake.inject_message(QUESTION)
    await wait_call(fake, "sendChatAction")
    held.release.set()
    msg = await wait_message(fake, USER)
    assert FIGURE in msg.text
    assert [c.status for c in fake.calls if c.method == "sendChatAction"] == [500]


async def test_a_read_timeout_is_not_retried_so_no_answer_arrives_twice(tg, logs):
    await tg["start"](telegram_read_timeout=0.3)
    fake = tg["fake"]
    fake.delay("sendMessage", 1.0, times=1)  # Telegram takes the message but answers late
    fake.inject_message(QUESTION)
    record = await logs.wait_for("may have delivered")
    assert record.levelno == logging.WARNING
    assert FIGURE in (await wait_message(fake, USER)).text
    await settle(fake)
    assert len([m for m in fake.sent_messages if m.chat_id == USER]) == 1
    assert not [r for r in logs.records if r.levelno >= logging.ERROR]


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


async def test_concurrent_reloads_run_one_at_a_time(tg):
    app = await tg["start"]()
    fake, engine = tg["fake"], app.bot_data["engine"]
    state = {"inside": 0, "most": 0, "calls": 0}
    lock, second = threading.Lock(), threading.Event()

    def reload():
        with lock:
            state["inside"] += 1
            state["most"] = max(state["most"], state["inside"])
            state["calls"] += 1
            first = state["calls"] == 1
        if first:  # stays inside long enough for a second reload to come in, if it is let in
            second.wait(1.0)
        else:
            second.set()
        with lock:
            state["inside"] -= 1
        return engine

    app.bot_data["reload"] = reload
    fake.inject_message("/reload", user_id=ADMIN, chat_id=ADMIN)
    fake.inject_message("/reload", user_id=ADMIN, chat_id=ADMIN)
    texts = [(await wait_message(fake, ADMIN)).text for _ in range(4)]
    assert sum(t.startswith("已重新加载") for t in texts) == 2
    assert state == {"inside": 0, "most": 1, "calls": 2}


async def test_an_outage_is_one_warning_and_its_end_one_line(tg, logs):
    await tg["start"]()
    fake = tg["fake"]
    fake.fail("getUpdates", 502, times=2)
    fake.inject_message(QUESTION)  # answered by the poll already waiting
    assert FIGURE in (await wait_message(fake, USER, timeout=30)).text
    for _ in range(2):  # the next two polls fail, with back-off
        await wait_call(fake, "getUpdates", predicate=lambda c: c.status == 502)
    fake.inject_message("2012年煤矿百万吨死亡率是多少")  # so that the next long poll returns at once
    assert "0.09" in (await wait_message(fake, USER, timeout=30)).text
    await logs.wait_for("reachable again")
    outage = [r.getMessage() for r in logs.records if r.name.endswith("outage") and r.levelno >= logging.WARNING]
    assert len(outage) == 2, outage
    assert outage[0].startswith("Telegram is unreachable (getUpdates: HTTP 502 Bad Gateway)")
    assert outage[1].startswith("Telegram is reachable again after") and "(2 failed polls)" in outage[1]


async def test_old_records_are_pruned_at_start_and_on_a_schedule(tg, tmp_path):
    from bot.store import Store

    data = tmp_path / "data"
    early = Store(data, retention_days=1)
    early.gap(USER, "old question", "x")
    conn = sqlite3.connect(data / "feedback.sqlite3")
    conn.execute("UPDATE gaps SET ts = ts - 3 * 86400")
    conn.commit()
    app = await tg["start"](data_retention_days=1)

    def remaining():
        return conn.execute("SELECT COUNT(*) FROM gaps").fetchone()[0]

    assert remaining() == 0
    (job,) = app.job_queue.get_jobs_by_name("prune")
    assert job.job.trigger.interval.total_seconds() == PRUNE_EVERY
    early.gap(USER, "another old one", "x")
    conn.execute("UPDATE gaps SET ts = ts - 3 * 86400")
    conn.commit()
    await job.run(app)  # what the schedule does every PRUNE_EVERY seconds
    assert remaining() == 0
