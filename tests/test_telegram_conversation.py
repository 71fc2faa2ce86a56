"""Conversations, shared commands and tappable suggestions in Telegram, end to end through the fake Bot API."""
from __future__ import annotations

import pytest

from bot.adapters import commands
from telegram_support import ADMIN, BOT, USER, wait_call, wait_message

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
