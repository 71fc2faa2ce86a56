"""Conversations, shared commands and tappable suggestions in Telegram, end to end through the fake Bot API."""
from __future__ import annotations

import pytest

from bot.adapters import commands
from bot.adapters.render import text as plain
from telegram_support import ADMIN, BOT, USER, votes, wait_call, wait_message

pytestmark = pytest.mark.slow
GROUP, OTHER = -2001, 1002
FIRST, FOLLOW_UP = "2010年组建月新增了多少工会组织？", "那2011年呢"
UNDERSTOOD, FIGURE = "（理解为：2011年组建月新增了多少工会组织？）", "9303"  # 2011's new organisations


async def ask(fake, text, chat=USER, **kwargs):
    fake.inject_message(text, **kwargs)
    return await wait_message(fake, chat)


async def test_a_follow_up_in_a_private_chat_is_understood(tg):
    await tg["start"]()
    fake = tg["fake"]
    await ask(fake, FIRST)
    reply = await ask(fake, FOLLOW_UP)
    assert reply.text.startswith(UNDERSTOOD) and FIGURE in reply.text
    assert fake.unexpected_errors == []


async def test_each_user_in_a_group_has_a_conversation_of_their_own(tg):
    await tg["start"]()
    fake = tg["fake"]
    await ask(fake, f"@{BOT} {FIRST}", GROUP, chat_type="group", user_id=USER)
    await ask(fake, f"@{BOT} 2012年煤矿百万吨死亡率是多少", GROUP, chat_type="group", user_id=OTHER)
    mine = await ask(fake, f"@{BOT} {FOLLOW_UP}", GROUP, chat_type="group", user_id=USER)
    assert mine.text.startswith(UNDERSTOOD) and FIGURE in mine.text
    theirs = await ask(fake, f"/ask@{BOT} 那2009年呢", GROUP, chat_type="group", user_id=OTHER)
    assert theirs.text.startswith("（理解为：2009年煤矿百万吨死亡率是多少？）") and "0.328" in theirs.text


async def test_new_forgets_the_conversation(tg):
    await tg["start"]()
    fake = tg["fake"]
    await ask(fake, FIRST)
    assert "换个话题" in (await ask(fake, "/new")).text
    reply = await ask(fake, FOLLOW_UP)
    assert "理解为" not in reply.text and FIGURE not in reply.text


async def test_new_in_a_group_forgets_only_the_senders_conversation(tg):
    await tg["start"]()
    fake = tg["fake"]
    for user in (USER, OTHER):
        await ask(fake, f"@{BOT} {FIRST}", GROUP, chat_type="group", user_id=user)
    await ask(fake, f"/new@{BOT}", GROUP, chat_type="group", user_id=OTHER)
    assert "理解为" not in (await ask(fake, f"@{BOT} {FOLLOW_UP}", GROUP, chat_type="group", user_id=OTHER)).text
    assert FIGURE in (await ask(fake, f"@{BOT} {FOLLOW_UP}", GROUP, chat_type="group", user_id=USER)).text


async def test_help_comes_from_the_shared_table_and_lists_new(tg):
    await tg["start"]()
    fake = tg["fake"]
    text = (await ask(fake, "/help")).text
    shared = "\n".join(commands.reply(commands.Command("help", ""), tg["engine"].base.meta, group=True))
    assert text.startswith(shared.split("\n命令：")[0])  # the same words as the console's
    assert "/new — " in text and "/ask — " in text
    assert "/gaps" not in text  # admin commands are listed to admins only


async def test_admins_see_their_commands_in_help_in_private(tg):
    await tg["start"]()
    fake = tg["fake"]
    fake.inject_message("/help", user_id=ADMIN, chat_id=ADMIN)
    text = (await wait_message(fake, ADMIN)).text
    assert "/gaps — " in text and "/reload — " in text


async def test_unknown_commands_get_a_note_only_when_meant_for_this_bot(tg):
    await tg["start"]()
    fake = tg["fake"]
    note = (await ask(fake, "/foo 山西工会会员有多少？")).text
    assert "没有 /foo 这个命令" in note and "7706467" not in note
    fake.inject_message("/foo", chat_type="group")  # may be another bot's command
    fake.inject_message("/foo@other_bot", chat_type="group")
    fake.inject_message("/start@other_bot", chat_type="group")
    assert "没有 /bar 这个命令" in (await ask(fake, f"/bar@{BOT}", GROUP, chat_type="group")).text
    fake.inject_message("/help", user_id=9009, chat_id=9009)  # handled after everything sent before it
    await wait_message(fake, 9009)
    assert [m.text for m in fake.sent_messages if m.chat_id == GROUP] == [
        "没有 /bar 这个命令。发送 /help 查看可用的命令，或直接输入问题。"]


async def test_a_reload_keeps_the_conversations(tg):
    await tg["start"]()
    fake = tg["fake"]
    await ask(fake, FIRST)
    fake.inject_message("/reload", user_id=ADMIN, chat_id=ADMIN)
    await wait_message(fake, ADMIN)
    assert "已重新加载" in (await wait_message(fake, ADMIN, timeout=120)).text
    assert tg["app"].bot_data["engine"] is not tg["engine"]
    assert FIGURE in (await ask(fake, FOLLOW_UP)).text


def suggested(msg) -> list[tuple[str, str]]:
    """(text, callback data) of a message's suggestion buttons: every row but 👍/👎, one button each."""
    rows = [row for row in msg.reply_markup["inline_keyboard"] if row[0]["text"] not in ("👍", "👎")]
    assert all(len(row) == 1 for row in rows)
    return [(row[0]["text"], row[0]["callback_data"]) for row in rows]


async def test_an_abstentions_suggestions_are_buttons_that_ask_them(tg):
    await tg["start"]()
    fake, engine = tg["fake"], tg["engine"]
    msg = await ask(fake, "山西省有多少个大学？")
    buttons = suggested(msg)
    assert [text for text, _ in buttons] == list(engine.answer("山西省有多少个大学？").suggestions)
    assert "你可以点下面的问题接着问。" in msg.text  # the buttons are the list: it is not repeated as text
    assert not any(line.startswith("· ") for line in msg.text.splitlines())
    assert 2 <= len(buttons) <= 3 and votes(msg)  # 👍/👎 stay, in the last row
    question, data = buttons[1]
    fake.press_button(msg, data, user_id=USER)
    assert (await wait_call(fake, "answerCallbackQuery")).params.get("text") is None  # no popup
    reply = await wait_message(fake, USER)
    expected = engine.answer(question)
    assert not expected.abstained and reply.text == f"问：{question}\n{plain(expected.reply)}"
    assert reply.reply_to_message_id is None and reply.raw_text.startswith("<i>")
    assert len(suggested(reply)) >= 1 and votes(reply)  # the answer has buttons of its own
    assert fake.unexpected_errors == []


async def test_a_suggestion_under_an_answer_is_asked_in_the_pressers_conversation(tg):
    await tg["start"]()
    fake = tg["fake"]
    msg = await ask(fake, f"@{BOT} {FIRST}", GROUP, chat_type="group", user_id=USER)
    buttons = suggested(msg)
    assert 1 <= len(buttons) <= 3
    assert all(len(data.encode()) <= 64 and len(text) <= 32 for text, data in buttons)
    question, data = buttons[0]
    fake.press_button(msg, data, user_id=OTHER, first_name="小王")  # another member presses it
    reply = await wait_message(fake, GROUP)
    assert reply.text.startswith(f"小王问：{question}\n") and reply.reply_to_message_id is None
    mine = await ask(fake, f"@{BOT} {FOLLOW_UP}", GROUP, chat_type="group", user_id=USER)
    assert mine.text.startswith(UNDERSTOOD) and FIGURE in mine.text  # the press left the asker's context alone
    assert tg["engine"].conversations.last(f"tg:{GROUP}:{OTHER}") is not None  # and became the presser's


async def test_start_offers_its_examples_as_buttons(tg):
    await tg["start"]()
    msg = await ask(tg["fake"], "/start")
    assert [text for text, _ in suggested(msg)] == list(tg["engine"].base.meta.examples)


async def test_old_and_forged_suggestions_get_a_quiet_note_and_post_nothing(tg):
    await tg["start"]()
    fake = tg["fake"]
    msg = await ask(fake, "山西省有多少个大学？")
    (_, data), *_ = suggested(msg)
    await tg["stop"]()  # a restart: the new application's table is empty
    await tg["start"]()
    fake.press_button(msg, data, user_id=USER)
    for forged in ("sq:0123456789ab", "sq:0123456789AB", "sq:", f"{data}x"):
        fake.inject_update({"callback_query": {"id": f"forged-{forged}", "from": {"id": USER, "is_bot": False,
                                                                                "first_name": "X"},
                                               "message": msg.message, "chat_instance": "1", "data": forged}})
    notes = [(await wait_call(fake, "answerCallbackQuery")).params.get("text") for _ in range(5)]
    assert notes.count("这个建议已过期，请直接输入问题。") == 2 and notes.count("这个按钮已失效。") == 3
    fake.inject_message("/help", user_id=9009, chat_id=9009)  # handled after every press before it
    await wait_message(fake, 9009)
    assert [m for m in fake.sent_messages if m.chat_id == USER] == [msg]
    assert fake.unexpected_errors == []


async def test_suggestion_presses_are_throttled_like_messages(tg):
    await tg["start"](telegram_questions_per_minute=2)
    fake = tg["fake"]
    msg = await ask(fake, "山西省有多少个大学？")
    for _, data in suggested(msg):  # the question spent one of two: one press passes, one is told
        fake.press_button(msg, data, user_id=USER)
    await wait_message(fake, USER)
    fake.inject_message("/help", user_id=9009, chat_id=9009)
    await wait_message(fake, 9009)
    notes = [c.params.get("text") for c in fake.calls if c.method == "answerCallbackQuery"]
    assert sorted(notes, key=str) == [None, "提问太频繁了，请稍后再试（每分钟最多2次）。"]
    assert len([m for m in fake.sent_messages if m.chat_id == USER]) == 2
