"""What Telegram and the world do to the bot, end to end through the fake Bot API (issue #11).

Deleted questions, blocked users, chat events, delivery faults, outages, concurrent reloads and old records.
"""
from __future__ import annotations

import logging
import sqlite3
import threading

import pytest

from bot.adapters.telegram.app import PRUNE_EVERY
from telegram_support import ADMIN, BOT, FIGURE, GROUP, QUESTION, USER, Held, settle, wait_call, wait_message

pytestmark = pytest.mark.slow


class Hooked:
    """The real engine, with `before(question)` run on the engine thread before each answer."""

    def __init__(self, real, before):
        self.real, self.before, self.base = real, before, real.base

    def answer(self, question, chat=None):
        self.before(question)
        return self.real.answer(question, chat=chat)


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
