"""Telegram-tier fixtures: the in-process bot against the fake Bot API (`tg`), and the log records (`logs`)."""
from __future__ import annotations

import asyncio
import logging
import os
import threading

import pytest

from bot.pipeline.engine import Engine
from bot.adapters.telegram.app import ALLOWED_UPDATES, build_application
from bot.testing.fake_telegram import DEFAULT_TOKEN, FakeTelegram
from telegram_support import ADMIN, BOT, TOKEN


class LogWatch(logging.Handler):
    """Log records as they come, with a wait for one that contains a text."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._cond = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self._cond:
            self.records.append(record)
            self._cond.notify_all()

    def lines(self, level=logging.DEBUG) -> list[str]:
        with self._cond:
            return [r.getMessage() for r in self.records if r.levelno >= level]

    def _wait(self, text: str, timeout: float) -> logging.LogRecord:
        with self._cond:
            found = self._cond.wait_for(lambda: next((r for r in self.records if text in r.getMessage()), None),
                                        timeout)
        if not found:
            raise TimeoutError(f"no log line with {text!r} within {timeout} s")
        return found

    async def wait_for(self, text: str, timeout: float = 20) -> logging.LogRecord:
        return await asyncio.to_thread(self._wait, text, timeout)


@pytest.fixture
def logs():
    """Every log record from DEBUG up while the test runs."""
    watch, root = LogWatch(), logging.getLogger()
    old_level = root.level
    root.addHandler(watch)
    root.setLevel(logging.DEBUG)
    yield watch
    root.removeHandler(watch)
    root.setLevel(old_level)


@pytest.fixture
async def tg(engine, real_settings, tmp_path):
    """A running bot and its fake server: `await tg["start"](**setting_overrides)`; `await
    tg["stop"]()` stops it (a restart is a stop and a start). Each test gets conversations of
    its own: an engine over the session's model, index and verifier."""
    engine = Engine(engine.settings, engine.base, engine.embedder, engine.index, engine.verifier)
    fake = FakeTelegram(token=TOKEN, bot_username=BOT).start()
    settings = real_settings.replace(telegram_token=TOKEN, telegram_api_base_url=fake.base_url,
                                   telegram_admin_ids=(ADMIN,), data_dir=tmp_path / "data")
    holder = {"settings": settings, "fake": fake, "fail_reload": False}

    def reload():
        if holder["fail_reload"]:
            raise RuntimeError("facts are broken: 99-bad.yaml: x: empty field 'text'")
        return Engine.load(holder["settings"], embedder=engine.embedder, rebuild=True,
                           conversations=engine.conversations)

    async def start(poll_timeout=10, **overrides):
        holder["settings"] = settings.replace(**overrides)
        app = build_application(holder["settings"], engine, reload)
        await app.initialize()
        await app.post_init(app)
        await app.updater.start_polling(poll_interval=0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES)
        await app.start()
        await asyncio.to_thread(fake.wait_for_poll, 10)
        holder["app"] = app
        return app

    async def stop():
        app = holder.pop("app", None)
        if app is not None:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()

    holder.update(start=start, stop=stop, engine=engine)
    yield holder
    await stop()
    fake.stop()


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    """The fake listens on 127.0.0.1, which no proxy may stand in front of."""
    no_proxy = os.environ.get("NO_PROXY", "")
    if "127.0.0.1" not in no_proxy:
        monkeypatch.setenv("NO_PROXY", ",".join(filter(None, [no_proxy, "127.0.0.1,localhost"])))
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
def fake():
    """A fake Bot API server under its default token, with no bot of ours behind it."""
    with FakeTelegram(token=DEFAULT_TOKEN, bot_username=BOT) as server:
        yield server
