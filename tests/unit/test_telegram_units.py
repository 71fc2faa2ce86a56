"""The Telegram adapter's parts without a bot: throttle, log redaction, retry rules, mentions,
callback data, the feedback table and the chat rules."""
from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from telegram import Bot, ChatMemberUpdated, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TimedOut

from bot.adapters.telegram import feedback, suggestions
from bot.adapters.telegram.chats import Chats
from bot.adapters.telegram.conversation import conversation_key
from bot.adapters.telegram.mentions import question_of
from bot.adapters.telegram.redact import RedactingFormatter, drop_invalid_token_records, guard_logs
from bot.adapters.telegram.render import markup
from bot.adapters.telegram.send import safe_to_retry
from bot.adapters.telegram.throttle import Throttle, Verdict, sender_of
from bot.settings import Settings

TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijklmn"
BOT = Bot(TOKEN)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def update(**message) -> Update:
    body = {"message_id": 1, "date": 0, "chat": {"id": -2001, "type": "group", "title": "g"},
            "from": {"id": 1001, "is_bot": False, "first_name": "A"}, **message}
    return Update.de_json({"update_id": 1, "message": body}, BOT)


# --- throttle ---------------------------------------------------------------------------
def test_throttle_notes_once_per_window_then_allows_again():
    clock = Clock()
    throttle = Throttle(2, clock=clock)
    verdicts = [throttle.check(1) for _ in range(5)]
    assert verdicts == [Verdict.ALLOW, Verdict.ALLOW, Verdict.NOTE, Verdict.QUIET, Verdict.QUIET]
    assert throttle.check(2) is Verdict.ALLOW  # per sender
    clock.now += 61
    assert [throttle.check(1) for _ in range(4)] == [Verdict.ALLOW, Verdict.ALLOW, Verdict.NOTE, Verdict.QUIET]


def test_throttle_forgets_idle_senders_and_remembers_a_bounded_number():
    clock = Clock()
    throttle = Throttle(5, clock=clock, max_senders=100)
    for sender in range(1000):
        throttle.check(sender)
    assert len(throttle) == 100
    clock.now += 61
    throttle.check(-1)
    assert len(throttle) == 1


def test_sender_is_the_sender_chat_for_anonymous_admins_and_channels():
    anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group"}
    as_group = update(**{"from": anonymous, "sender_chat": {"id": -2001, "type": "group", "title": "g"}})
    as_channel = update(**{"from": anonymous, "sender_chat": {"id": -1003, "type": "channel", "title": "c"}})
    assert (sender_of(as_group), sender_of(as_channel), sender_of(update())) == (-2001, -1003, 1001)


def test_conversations_are_per_chat_in_private_and_per_sender_in_groups():
    private = update(chat={"id": 1001, "type": "private", "first_name": "A"})
    anonymous = update(**{"from": {"id": 1087968824, "is_bot": True, "first_name": "Group"},
                          "sender_chat": {"id": -2001, "type": "group", "title": "g"}})
    other = update(**{"from": {"id": 1002, "is_bot": False, "first_name": "B"}})
    keys = [conversation_key(u) for u in (private, update(), other, anonymous)]
    assert keys == ["tg:1001", "tg:-2001:1001", "tg:-2001:1002", "tg:-2001:-2001"]


# --- logs -------------------------------------------------------------------------------
def record(name, msg, exc=None):
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, None, (type(exc), exc, None) if exc else None)


def test_network_errors_are_logged_only_the_invalid_token_record_is_dropped():
    assert drop_invalid_token_records(record("telegram.ext.Updater", "polling failed", NetworkError("Bad Gateway")))
    assert drop_invalid_token_records(record("telegram.ext.Application", "x", TimedOut()))
    assert not drop_invalid_token_records(record("telegram.ext.Updater", "x", InvalidToken(f"The token `{TOKEN}`")))
    assert drop_invalid_token_records(record("bot.adapters.telegram.app", "ours", InvalidToken("x")))


def test_every_secret_is_masked_in_formatted_lines():
    secret = "webhook-Secret_123"
    formatter = RedactingFormatter(logging.Formatter("%(message)s"), [TOKEN, TOKEN.split(":")[1], secret])
    line = formatter.format(record("telegram.ext.ExtBot", f"setWebhook url=/bot{TOKEN}/x secret_token={secret} "
                                                          f"half={TOKEN.split(':')[1]}"))
    assert TOKEN.split(":")[1] not in line and secret not in line and line.count("<redacted>") == 3


@pytest.fixture
def clean_loggers():
    names = ("telegram", "httpx", "httpcore", "apscheduler")
    before = {n: logging.getLogger(n).level for n in names}
    root = logging.getLogger()
    root_level = root.level
    handlers = [(h, h.formatter, list(h.filters)) for h in root.handlers]
    yield
    for n, level in before.items():
        logging.getLogger(n).setLevel(level)
    root.setLevel(root_level)
    for handler, formatter, filters in handlers:
        handler.setFormatter(formatter)
        handler.filters = filters


@pytest.mark.parametrize("wire, telegram_level", [(False, logging.INFO), (True, logging.NOTSET)])
def test_wire_loggers_stay_at_info_unless_asked(clean_loggers, wire, telegram_level):
    logging.getLogger().setLevel(logging.DEBUG)
    settings = Settings.from_env({}, telegram_token=TOKEN, telegram_wire_log=wire)
    guard_logs(settings)
    assert logging.getLogger("telegram").level == telegram_level
    assert logging.getLogger("httpx").level == (logging.NOTSET if wire else logging.WARNING)


# --- retries ----------------------------------------------------------------------------
def caused(exc, cause):
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize("exc, retry", [
    (NetworkError("Bad Gateway"), True),  # Telegram answered 5xx: it did not take the message
    (caused(NetworkError("httpx.ConnectError"), httpx.ConnectError("refused")), True),
    (caused(NetworkError("httpx.ReadError"), httpx.ReadError("reset by peer")), True),
    (caused(NetworkError("httpx.RemoteProtocolError"), httpx.RemoteProtocolError("closed")), True),
    (caused(TimedOut(), httpx.ConnectTimeout("connect")), True),
    (caused(TimedOut(), httpx.PoolTimeout("pool")), True),
    (caused(TimedOut(), httpx.ReadTimeout("read")), False),  # may have been delivered
    (caused(TimedOut(), httpx.WriteTimeout("write")), False),
    (BadRequest("Message is too long"), False),
    (Forbidden("bot was blocked by the user"), False),
])
def test_only_failures_that_cannot_have_delivered_are_retried(exc, retry):
    assert safe_to_retry(exc) is retry


# --- mentions, buttons, chats -----------------------------------------------------------
def test_the_question_is_the_text_without_this_bots_mentions():
    text = "🙂@Shanxi_QA_Bot 会员有多少 @other_bot"
    msg = update(text=text, entities=[{"type": "mention", "offset": 2, "length": 14},
                                      {"type": "mention", "offset": 23, "length": 10}]).message
    assert question_of(msg, "shanxi_qa_bot") == "🙂  会员有多少 @other_bot"  # offsets count UTF-16 units


@pytest.mark.parametrize("data, parsed", [
    ("fb:up:0123456789ab", ("up", "0123456789ab")), ("fb:down:abcdefabcdef", ("down", "abcdefabcdef")),
    ("fb:", None), ("fb:up", None), ("fb:up:", None), ("fb:up:0123456789ab\n", None), ("fb:up:0123456789AB", None),
    ("fb:meh:0123456789ab", None), (None, None), ("\x00" * 64, None),
])
def test_callback_data_is_matched_strictly(data, parsed):
    assert feedback.parse(data) == parsed


def test_the_feedback_table_is_bounded_and_keeps_short_questions():
    pending = feedback.PendingAnswers(size=3, max_chars=10)
    keys = [pending.add("问" * 4096, ["f"]) for _ in range(5)]
    assert len(pending) == 3 and pending.get(keys[0]) is None
    assert pending.get(keys[-1]) == ("问" * 10, ("f",))
    assert all(feedback.parse(f"fb:up:{k}") for k in keys)


@pytest.mark.parametrize("data, key", [
    ("sq:0123456789ab", "0123456789ab"), ("sq:", None), ("sq:0123456789AB", None), ("sq:0123456789ab\n", None),
    ("sq:0123456789abc", None), ("fb:up:0123456789ab", None), (None, None),
])
def test_suggestion_data_is_matched_strictly(data, key):
    assert suggestions.parse(data) == key


def test_the_suggestion_table_is_bounded_and_keeps_one_key_per_question():
    table = suggestions.SuggestedQuestions(size=3, max_chars=10)
    first = table.add("山西有多少工会会员？")
    assert table.add("山西有多少工会会员？") == first and len(table) == 1  # offered again: the same key
    keys = [table.add(f"问题{i}") for i in range(3)]
    assert table.get(first) is None and [table.get(k) for k in keys] == ["问题0", "问题1", "问题2"]
    assert table.add("山西有多少工会会员？") != first  # dropped, so offered under a new key
    assert table.get(table.add("问" * 4096)) == "问" * 10
    for i in range(10):  # the reverse index stays bounded too
        table.add(f"又一个问题{i}")
    assert len(table._keys) <= 2 * table.size


def test_suggestion_buttons_sit_one_per_row_above_the_votes_and_fit_telegrams_limits():
    table = suggestions.SuggestedQuestions()
    questions = ["短问题？", "很" * 200]
    rows = suggestions.keyboard(table, questions, "0123456789ab").inline_keyboard
    assert [[b.text for b in row] for row in rows] == [["短问题？"], ["很" * 31 + "…"], ["👍", "👎"]]
    assert [table.get(suggestions.parse(row[0].callback_data)) for row in rows[:2]] == questions
    assert all(len(b.callback_data.encode()) <= 64 for row in rows for b in row)
    assert suggestions.keyboard(table, [], None) is None
    assert [markup(line) for line in suggestions.asked("a<b", "<i>")] == ["<i>&lt;i&gt;问：a&lt;b</i>"]


def member_update(chat, status):
    bot_user = {"id": 123456789, "is_bot": True, "first_name": "B"}
    return ChatMemberUpdated.de_json({"chat": chat, "from": {"id": 1, "is_bot": False, "first_name": "A"},
                                      "date": 0, "old_chat_member": {"status": "left", "user": bot_user},
                                      "new_chat_member": {"status": status, "user": bot_user}}, BOT)


def test_chats_to_leave_and_groups_that_migrated():
    chats, group = Chats(), {"id": -2001, "type": "group", "title": "g"}
    other = {"id": -3003, "type": "group", "title": "o"}
    assert chats.must_leave(member_update(other, "member"), (-2001,))
    assert not chats.must_leave(member_update(other, "left"), (-2001,))
    assert not chats.must_leave(member_update(group, "member"), (-2001,))
    assert not chats.must_leave(member_update(other, "member"), ())  # no allowlist: a public bot
    moved = update(migrate_to_chat_id=-1002001).message
    assert chats.note_migration(moved, (-2001,)) == (-2001, -1002001)
    assert chats.note_migration(moved, (-2001,)) is None  # told in both chats: logged once
    supergroup = update(chat={"id": -1002001, "type": "supergroup", "title": "g"})
    assert chats.allows(supergroup, (-2001,))
    assert not Chats().allows(supergroup, (-2001,))
    news_in_the_new_chat = update(chat={"id": -1002001, "type": "supergroup", "title": "g"},
                                  migrate_from_chat_id=-2001)
    fresh = Chats()  # the news may reach the new chat first
    assert fresh.allows(news_in_the_new_chat, (-2001,))
    assert fresh.note_migration(news_in_the_new_chat.message, (-2001,)) == (-2001, -1002001)
    assert fresh.allows(supergroup, (-2001,))


async def test_typing_never_takes_a_request_slot_an_answer_needs():
    from bot.adapters.telegram.throttle import AnswersFirst

    limiter, sent = AnswersFirst(overall_max_rate=2, overall_time_period=60), []

    async def request(name):
        return await limiter.process_request(lambda: sent.append(name) or asyncio.sleep(0, True), (), {},
                                             name, {"chat_id": 1001}, None)

    assert await request("sendChatAction") is True and sent == ["sendChatAction"]  # a slot is free
    await request("sendMessage")  # the last slot of this minute
    assert await request("sendChatAction") is True  # dropped, not queued for a minute
    assert sent == ["sendChatAction", "sendMessage"]
