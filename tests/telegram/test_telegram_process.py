"""The real entry point as a subprocess, configured only by environment variables."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from support import ROOT
from bot.testing.fake_telegram import FakeTelegram

pytestmark = pytest.mark.slow
TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijklmn"
# The update types the bot handles; Telegram is asked for these only.
HANDLED = ["message", "callback_query", "my_chat_member"]


def start_bot(fake, real_settings, tmp_path, token=TOKEN, **extra):
    """`python -m bot` configured only by environment variables (`extra` adds some)."""
    env = dict(os.environ, TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_BASE_URL=fake.base_url,
               QA_INDEX_DIR=str(real_settings.index_dir), QA_DATA_DIR=str(tmp_path / "data"),
               QA_LOG_LEVEL="INFO", NO_PROXY="127.0.0.1,localhost", HF_HUB_OFFLINE="1", PTB_TIMEDELTA="1")
    env.update(extra)
    return subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish(proc, timeout=60):
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


@pytest.fixture
def fake():
    server = FakeTelegram(token=TOKEN, bot_username="shanxi_qa_bot").start()
    yield server
    server.stop()


def test_polling_answers_and_sigterm_exits_cleanly(engine, real_settings, tmp_path, fake):
    proc = start_bot(fake, real_settings, tmp_path)
    try:
        fake.wait_for_poll(120)
        fake.inject_message("山西工会会员有多少？")
        assert "7706467" in fake.wait_for_message(1001, timeout=30).text
        proc.send_signal(signal.SIGTERM)
        code, out = finish(proc)
    finally:
        proc.kill()
    assert code == 0, out
    assert fake.confirmed_offset == fake.last_update_id + 1  # nothing replayed after a restart
    assert TOKEN not in out and TOKEN.split(":")[1] not in out
    assert "decision=answer" in out and "chat=private" in out
    polls = [c for c in fake.calls if c.method == "getUpdates" and "allowed_updates" in c.params]
    assert polls and all(json.loads(c.params["allowed_updates"]) == HANDLED for c in polls)


def test_invalid_token_exits_non_zero_with_one_line(engine, real_settings, tmp_path, fake):
    other = "987654321:AAHanotherWellFormedTokenButWrong_xyz12345"
    proc = start_bot(fake, real_settings, tmp_path, token=other)
    code, out = finish(proc, timeout=120)
    assert code != 0
    assert "Traceback" not in out and "token" in out.lower()
    assert other.split(":")[1] not in out


def test_revoked_token_exits_non_zero(engine, real_settings, tmp_path, fake):
    proc = start_bot(fake, real_settings, tmp_path)
    try:
        fake.wait_for_poll(120)
        fake.revoke()
        code, out = finish(proc, timeout=60)
    finally:
        proc.kill()
    assert code != 0
    assert "revoked" in out and "Traceback" not in out
    assert TOKEN.split(":")[1] not in out


def test_webhook_mode_at_debug_logs_neither_the_secret_nor_what_users_wrote(engine, real_settings, tmp_path,
                                                                            fake):
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    public = "https://bot.example.org/telegram/hook"  # what Telegram posts to, via the proxy
    url = f"http://127.0.0.1:{port}/telegram/hook"   # what the proxy forwards to
    env_extra = {"TELEGRAM_WEBHOOK_URL": public, "TELEGRAM_PORT": str(port),
                 "TELEGRAM_LISTEN": "127.0.0.1", "TELEGRAM_WEBHOOK_SECRET": "s3cret-Token_1",
                 "QA_LOG_LEVEL": "DEBUG"}
    proc = start_bot(fake, real_settings, tmp_path, **env_extra)
    try:
        call = fake.wait_for_call("setWebhook", timeout=120)
        assert call.params["url"] == public and call.params["secret_token"] == "s3cret-Token_1"
        assert json.loads(call.params["allowed_updates"]) == HANDLED
        # Made by the fake so that it knows the message the bot replies to; posted by us.
        update = fake.inject_message("山西工会会员有多少？", username="zhang_wei_1984", first_name="Zhangwei")

        def post(secret):
            req = urllib.request.Request(url, data=json.dumps(update).encode(), method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "X-Telegram-Bot-Api-Secret-Token": secret})
            try:
                return urllib.request.urlopen(req, timeout=10).status
            except urllib.error.HTTPError as exc:
                return exc.code

        status, error = None, None
        # PTB starts its server right after setWebhook and announces it nowhere another process
        # can wait on: try to connect, a few milliseconds apart, for at most 2 s.
        for _ in range(100):
            try:
                status = post("wrong")
                break
            except OSError as exc:
                error = exc
                time.sleep(0.02)
        assert status == 403, (error, proc.poll())
        assert post("s3cret-Token_1") == 200
        assert "7706467" in fake.wait_for_message(1001, timeout=30).text
        proc.send_signal(signal.SIGTERM)
        code, out = finish(proc)
    finally:
        proc.kill()
    assert code == 0, out
    assert "DEBUG" in out and "decision=answer" in out
    for private in ("s3cret-Token_1", "山西工会会员", "zhang_wei_1984", "Zhangwei", TOKEN.split(":")[1]):
        assert private not in out, private


def test_wire_logs_at_debug_show_the_traffic_never_the_token_and_outages_once(engine, real_settings,
                                                                               tmp_path, fake):
    proc = start_bot(fake, real_settings, tmp_path, QA_LOG_LEVEL="DEBUG", TELEGRAM_WIRE_LOG="1")
    try:
        fake.wait_for_poll(120)
        fake.fail("sendMessage", 502, times=1)
        fake.inject_message("山西工会会员有多少？")
        fake.wait_for_message(1001, timeout=30)
        fake.fail("getUpdates", 500, times=2)
        fake.inject_message("2012年煤矿百万吨死亡率是多少")  # returns the poll already waiting
        fake.wait_for_message(1001, timeout=30)
        fake.wait_for_call("getUpdates", timeout=30, predicate=lambda c: c.status == 500)
        fake.wait_for_call("getUpdates", timeout=30, predicate=lambda c: c.status == 500)
        fake.inject_message("会员总数")  # answered by the first poll after the outage
        fake.wait_for_message(1001, timeout=30)
        proc.send_signal(signal.SIGTERM)
        code, out = finish(proc)
    finally:
        proc.kill()
    assert code == 0
    assert "会员总数" in out  # the wire log shows what users wrote: TELEGRAM_WIRE_LOG's price
    assert TOKEN not in out and TOKEN.split(":")[1] not in out
    assert out.count("Telegram is unreachable") == 1 and out.count("Telegram is reachable again") == 1


def test_sigterm_mid_burst_answers_what_it_confirmed_and_replays_nothing(engine, real_settings, tmp_path, fake):
    proc = start_bot(fake, real_settings, tmp_path)
    try:
        fake.wait_for_poll(120)
        updates = [fake.inject_message(f"山西工会会员有多少？{i}", user_id=4000 + i, chat_id=4000 + i)
                   for i in range(12)]
        fake.wait_for_message(timeout=30)
        proc.send_signal(signal.SIGTERM)
        code, out = finish(proc)
    finally:
        proc.kill()
    assert code == 0, out
    answered = {m.chat_id for m in fake.sent_messages}
    confirmed = fake.confirmed_offset
    for upd in updates:  # every confirmed question was answered before the exit
        if upd["update_id"] < confirmed:
            assert upd["message"]["chat"]["id"] in answered, upd["update_id"]
    second = start_bot(fake, real_settings, tmp_path)  # a restart answers the rest, once
    try:
        for upd in updates:
            chat = upd["message"]["chat"]["id"]
            if chat not in answered:
                fake.wait_for_message(chat, timeout=120)
        second.send_signal(signal.SIGTERM)
        finish(second)
    finally:
        second.kill()
    chats = [m.chat_id for m in fake.sent_messages]
    assert sorted(chats) == sorted({u["message"]["chat"]["id"] for u in updates})  # each exactly once
