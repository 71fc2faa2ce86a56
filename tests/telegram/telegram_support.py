"""What the Telegram tests share besides fixtures: ids, a question the bot answers, waits on the fake, a held engine."""
from __future__ import annotations

import asyncio
import threading

TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijklmn"
BOT = "shanxi_qa_bot"
ADMIN, USER, GROUP = 42, 1001, -2001
QUESTION, FIGURE = "山西工会会员有多少？", "7706467"  # a question the bot answers, and its figure


async def wait_message(fake, chat_id=None, timeout=20, predicate=None):
    return await asyncio.to_thread(fake.wait_for_message, chat_id=chat_id, timeout=timeout,
                                   predicate=predicate)


async def wait_call(fake, method, timeout=20, predicate=None):
    return await asyncio.to_thread(fake.wait_for_call, method, timeout, predicate)


async def settle(fake, user_id=9009):
    """Wait until a question sent now has been answered. Updates queued before it have
    been handled or dropped by then: each was checked as its handler started, and the
    engine answers one question at a time, in order."""
    fake.inject_message(QUESTION, user_id=user_id, chat_id=user_id)
    await wait_message(fake, user_id)


def votes(msg) -> tuple[str, str]:
    """The callback data of a reply's 👍 and 👎 buttons: its keyboard's last row."""
    row = msg.reply_markup["inline_keyboard"][-1]
    assert [b["text"] for b in row] == ["👍", "👎"], row
    return row[0]["callback_data"], row[1]["callback_data"]


class Held:
    """The real engine, each answer held until the test sets `release`: a slow answer whose
    end the test decides, instead of a sleep that guesses it."""

    def __init__(self, real):
        self.real, self.base, self.release = real, real.base, threading.Event()

    def answer(self, question, chat=None):
        if not self.release.wait(30):
            raise TimeoutError("the test never released the answer")
        return self.real.answer(question, chat=chat)
