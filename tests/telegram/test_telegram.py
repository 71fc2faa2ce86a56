"""The Telegram bot end to end, in process, against the fake Bot API server."""
from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.pipeline.engine import Engine
from telegram_support import ADMIN, BOT, TOKEN, USER, Held, votes, wait_call, wait_message

pytestmark = pytest.mark.slow


async def test_commands_are_registered_in_chinese(tg):
    await tg["start"]()
    names = [c["command"] for c in tg["fake"].commands()]
    assert names == ["start", "help", "about", "topics", "new", "ask"]
    assert all(c["description"] for c in tg["fake"].commands())


@pytest.mark.parametrize("command, expected", [
    ("/start", "山西现在一共有多少个工会组织"), ("/help", "群聊"), ("/about", "2013"),
    ("/topics", "长钢经验引领"),
])
async def test_info_commands(tg, command, expected):
    await tg["start"]()
    tg["fake"].inject_message(command)
    msg = await wait_message(tg["fake"], USER)
    assert expected in msg.text


async def test_private_question_gets_figures_quote_buttons_as_a_reply(tg):
    await tg["start"]()
    fake = tg["fake"]
    update = fake.inject_message("山西工会会员有多少？")
    msg = await wait_message(fake, USER)
    assert msg.text.startswith("截至2013年7月底") and "7706467" in msg.text and "📖 原文" in msg.text
    assert msg.parse_mode == "HTML" and "<b>" in msg.raw_text
    assert msg.reply_to_message_id == update["message"]["message_id"]
    *suggested, feedback = msg.reply_markup["inline_keyboard"]
    assert [b["text"] for b in feedback] == ["👍", "👎"]  # related questions in rows above, one each
    assert 1 <= len(suggested) <= 3 and all(len(row) == 1 and row[0]["callback_data"].startswith("sq:")
                                            for row in suggested)
    # A fast answer spends no Bot API request on "typing…" (the API allows ~30 requests/s).
    assert not any(c.method.lower() == "sendchataction" for c in fake.calls)
    assert fake.unexpected_errors == []


async def test_slow_answer_shows_typing_first(tg):
    app = await tg["start"]()
    fake = tg["fake"]
    app.bot_data["engine"] = held = Held(app.bot_data["engine"])
    fake.inject_message("山西工会会员有多少？")
    await wait_call(fake, "sendChatAction")  # shown after TYPING_AFTER, while the answer is held
    held.release.set()
    msg = await wait_message(fake, USER)
    assert "7706467" in msg.text
    methods = [c.method.lower() for c in fake.calls]
    assert "sendchataction" in methods
    assert methods.index("sendchataction") < methods.index("sendmessage")


async def test_hostile_text_keeps_html_valid(tg):
    await tg["start"]()
    fake = tg["fake"]
    for text in ["<b>会员</b> & 1<2 有多少", "<script>alert(1)</script>", "*_[]()~`>#+-=|{}.!"]:
        fake.inject_message(text)
        await wait_message(fake, USER)
    assert fake.unexpected_errors == []


async def test_group_answers_only_when_addressed(tg):
    app = await tg["start"]()
    fake = tg["fake"]
    fake.inject_message("山西工会会员有多少？", chat_type="group")
    fake.inject_message(f"@{BOT} 2012年煤矿百万吨死亡率是多少", chat_type="group")
    msg = await wait_message(fake, -2001)
    assert "0.09" in msg.text
    fake.inject_message("那2009年呢，2009年百万吨死亡率", chat_type="group", reply_to=msg.message)
    reply = await wait_message(fake, -2001)
    assert "0.328" in reply.text
    fake.inject_message(f"/ask@{BOT} 帮扶资金按什么比例配套", chat_type="group")
    assert "1:1" in (await wait_message(fake, -2001)).text
    fake.inject_message("/ask", chat_type="group")
    usage = (await wait_message(fake, -2001)).text
    assert "用法" in usage and usage.endswith(f"/ask {app.bot_data['engine'].base.meta.examples[0]}")  # facts/meta.yaml's
    group_msgs = [m for m in fake.sent_messages if m.chat_id == -2001]
    assert len(group_msgs) == 4  # the unaddressed question got nothing
    assert not any("7706467" in m.text for m in group_msgs)


async def test_feedback_button_round_trip_stores_a_salted_hash(tg):
    await tg["start"]()
    fake = tg["fake"]
    fake.inject_message("山西工会会员有多少？")
    msg = await wait_message(fake, USER)
    fake.press_button(msg, votes(msg)[0], user_id=USER)
    call = await asyncio.to_thread(fake.wait_for_call, "answerCallbackQuery", 10)
    assert "谢谢" in call.params.get("text", "")
    db = tg["settings"].data_dir / "feedback.sqlite3"
    rows = sqlite3.connect(db).execute("SELECT user_hash, vote, question, fact_ids FROM feedback").fetchall()
    assert rows and rows[0][1:] == ("up", "山西工会会员有多少？", "member-count-2013-07")
    assert str(USER) not in rows[0][0]


async def test_gaps_and_reload_need_an_admin(tg):
    await tg["start"]()
    fake = tg["fake"]
    for text in ("/gaps", "/reload"):
        fake.inject_message(text, user_id=USER)
        assert "只有管理员" in (await wait_message(fake, USER)).text


async def test_gaps_lists_unanswered_questions_by_count(tg):
    await tg["start"]()
    fake = tg["fake"]
    for q in ["广东省有多少工会会员", "广东省有多少工会会员", "2020年新增多少工会"]:
        fake.inject_message(q)
        await wait_message(fake, USER)
    fake.inject_message("/gaps", user_id=ADMIN, chat_id=ADMIN)
    text = (await wait_message(fake, ADMIN)).text
    assert text.index("2× 广东省有多少工会会员") < text.index("1× 2020年新增多少工会")


async def test_long_gap_list_is_split_under_the_limit(tg):
    await tg["start"]()
    fake = tg["fake"]
    store = tg["app"].bot_data["store"]
    for i in range(15):  # stored questions are cut to QA_MAX_QUESTION_CHARS (300)
        store.gap(USER, f"问题{i}：" + "很长的问题<&>" * 60, "low-score")
    fake.inject_message("/gaps", user_id=ADMIN, chat_id=ADMIN)
    first = await wait_message(fake, ADMIN)
    second = await wait_message(fake, ADMIN)
    assert len(first.text) <= 4096 and len(second.text) <= 4096 and "<&>" in first.text
    assert fake.unexpected_errors == []


async def test_reload_during_a_burst_loses_no_answer(tg):
    await tg["start"]()
    fake = tg["fake"]
    questions = [f"山西工会会员有多少？{i}" for i in range(8)]
    for i, q in enumerate(questions):
        fake.inject_message(q, user_id=2000 + i, chat_id=2000 + i)
        if i == 3:
            fake.inject_message("/reload", user_id=ADMIN, chat_id=ADMIN)
    for i in range(8):
        assert "7706467" in (await wait_message(fake, 2000 + i, timeout=60)).text
    assert "正在重新加载" in (await wait_message(fake, ADMIN)).text
    assert "已重新加载" in (await wait_message(fake, ADMIN, timeout=120)).text
    assert fake.unexpected_errors == []


async def test_failed_reload_keeps_the_old_index_and_says_why(tg):
    app = await tg["start"]()
    fake, before = tg["fake"], app.bot_data["engine"]
    tg["fail_reload"] = True
    fake.inject_message("/reload", user_id=ADMIN, chat_id=ADMIN)
    await wait_message(fake, ADMIN)
    failed = await wait_message(fake, ADMIN, timeout=30)
    assert "重新加载失败" in failed.text and "empty field" in failed.text
    assert app.bot_data["engine"] is before
    fake.inject_message("山西工会会员有多少？")
    assert "7706467" in (await wait_message(fake, USER)).text


async def test_allowlist_applies_to_messages_commands_and_buttons(tg):
    app = await tg["start"](telegram_allowed_chat_ids=(USER, 3003))
    fake = tg["fake"]
    fake.inject_message("山西工会会员有多少？", user_id=3003, chat_id=3003)
    earlier = await wait_message(fake, 3003)
    app.bot_data["settings"] = app.bot_data["settings"].replace(telegram_allowed_chat_ids=(USER,))
    fake.inject_message("山西工会会员有多少？", user_id=3003, chat_id=3003)
    fake.inject_message("/start", user_id=3003, chat_id=3003)
    fake.press_button(earlier, votes(earlier)[0], user_id=3003)
    await asyncio.to_thread(fake.wait_for_call, "answerCallbackQuery", 10)  # acknowledged, not recorded
    fake.inject_message("山西工会会员有多少？")
    assert "7706467" in (await wait_message(fake, USER)).text
    assert [m for m in fake.sent_messages if m.chat_id == 3003] == [earlier]
    assert not (tg["settings"].data_dir / "feedback.sqlite3").exists() or not sqlite3.connect(
        tg["settings"].data_dir / "feedback.sqlite3").execute("SELECT * FROM feedback").fetchall()


async def test_throttle_sends_a_friendly_message(tg):
    await tg["start"](telegram_questions_per_minute=2)
    fake = tg["fake"]
    for _ in range(3):
        fake.inject_message("会员总数")
    texts = [(await wait_message(fake, USER)).text for _ in range(3)]
    assert sum("太频繁" in t for t in texts) == 1


async def test_non_text_messages(tg):
    await tg["start"]()
    fake = tg["fake"]
    fake.inject_sticker()
    assert "文字" in (await wait_message(fake, USER)).text
    original = fake.inject_message("山西工会会员有多少？")
    await wait_message(fake, USER)
    fake.inject_edited_message(original["message"], "山西工会组织有多少？")
    fake.inject_channel_post("山西工会会员有多少？")
    fake.inject_message("/help")
    assert "群聊" in (await wait_message(fake, USER)).text
    assert len(fake.sent_messages) == 3  # sticker note, answer, help: nothing for the edit or post


async def test_get_updates_5xx_and_429_are_survived(tg):
    await tg["start"]()
    fake = tg["fake"]
    fake.fail("getUpdates", 502, times=1)
    fake.inject_message("山西工会会员有多少？")
    assert "7706467" in (await wait_message(fake, USER, timeout=30)).text
    fake.fail("getUpdates", 429, times=1, retry_after=1)
    fake.inject_message("2012年煤矿百万吨死亡率是多少")
    assert "0.09" in (await wait_message(fake, USER, timeout=30)).text


async def test_engine_failure_gets_a_short_apology_and_a_logged_traceback(tg, caplog):
    app = await tg["start"]()
    fake = tg["fake"]

    class Broken:
        base = app.bot_data["engine"].base

        def answer(self, question, chat=None):
            raise RuntimeError("index exploded /secret/path")

    app.bot_data["engine"] = Broken()
    fake.inject_message("山西工会会员有多少？")
    msg = await wait_message(fake, USER)
    assert msg.text == "抱歉，出了点问题，请稍后再试。"
    assert "index exploded" in caplog.text and "Traceback" in caplog.text
    assert TOKEN not in caplog.text


@pytest.mark.parametrize("fault", ["502", "429", "reset"])
async def test_send_message_faults_lose_no_reply(tg, fault):
    await tg["start"]()
    fake = tg["fake"]
    if fault == "502":
        fake.fail("sendMessage", 502, times=2)
    elif fault == "429":
        fake.fail("sendMessage", 429, times=1, retry_after=1)
    else:
        fake.drop_connection("sendMessage", times=1)
    fake.inject_message("山西工会会员有多少？")
    assert "7706467" in (await wait_message(fake, USER, timeout=30)).text


async def test_unwritable_data_directory_does_not_stop_answers(tg, tmp_path, caplog):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    await tg["start"](data_dir=blocker / "data")
    fake = tg["fake"]
    fake.inject_message("广东省有多少工会会员")  # an abstention: recorded as a gap, which fails
    assert "没有提到" in (await wait_message(fake, USER)).text
    fake.inject_message("山西工会会员有多少？")
    msg = await wait_message(fake, USER)
    fake.press_button(msg, votes(msg)[0], user_id=USER)
    await asyncio.to_thread(fake.wait_for_call, "answerCallbackQuery", 10)
    assert "7706467" in msg.text and "could not record" in caplog.text


async def test_get_updates_reset_and_timeout_are_survived(tg):
    await tg["start"](poll_timeout=1, telegram_poll_read_timeout=0.5)
    fake = tg["fake"]
    fake.drop_connection("getUpdates", times=1)
    fake.inject_message("山西工会会员有多少？")
    assert "7706467" in (await wait_message(fake, USER, timeout=30)).text
    fake.delay("getUpdates", 3, times=1)  # longer than the 1 s long poll + the 0.5 s read timeout
    fake.inject_message("2012年煤矿百万吨死亡率是多少")
    assert "0.09" in (await wait_message(fake, USER, timeout=60)).text


async def test_reload_with_broken_facts_keeps_the_old_index(tg, facts_copy, engine):
    app = await tg["start"]()
    fake = tg["fake"]
    settings = tg["settings"].replace(facts_dir=facts_copy)
    app.bot_data["reload"] = lambda: Engine.load(settings, embedder=engine.embedder, rebuild=True)
    (facts_copy / "99-broken.yaml").write_text("- id: broken\n  text: ''\n", encoding="utf-8")
    fake.inject_message("/reload", user_id=ADMIN, chat_id=ADMIN)
    await wait_message(fake, ADMIN)
    failed = (await wait_message(fake, ADMIN, timeout=60)).text
    assert "重新加载失败" in failed and "99-broken.yaml" in failed
    fake.inject_message("山西工会会员有多少？")
    assert "7706467" in (await wait_message(fake, USER)).text
