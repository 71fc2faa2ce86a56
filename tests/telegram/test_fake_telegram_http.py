"""Self-test of bot/testing/fake_telegram/ over raw HTTP.

Tokens and methods, body formats, text validation, long polling, faults, and what users and Telegram do to chats.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from bot.testing.fake_telegram import DEFAULT_TOKEN, FakeTelegram

TOKEN = DEFAULT_TOKEN
BOT = "shanxi_qa_bot"
USER = 1001
GROUP = -2001


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
