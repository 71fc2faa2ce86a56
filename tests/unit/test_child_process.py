"""What a child process gets: the settings through the environment, no secret, one clear error if it fails."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.settings import ENV_NAMES, Settings
from support import FACTS

TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijklmn"


def test_a_failed_rebuild_is_one_clear_error(tmp_path):
    from bot.errors import IndexStateError
    from bot.pipeline.resources import rebuild_in_child

    facts = tmp_path / "facts"
    shutil.copytree(FACTS, facts)
    (facts / "99-broken.yaml").write_text("- id: broken\n  text: ''\n", encoding="utf-8")
    with pytest.raises(IndexStateError, match="99-broken.yaml"):
        rebuild_in_child(Settings.from_env({}, facts_dir=facts, index_dir=tmp_path / "index"))


def test_the_child_build_gets_no_secret_and_stays_offline(monkeypatch):
    """The child's environment blanks the secrets (so the project's .env cannot fill them in)
    and keeps the Makefile's offline defaults unless the bot's own environment says otherwise."""
    from bot.pipeline import resources

    seen = {}

    def run(args, env, **kwargs):
        seen.update(env)
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(resources.subprocess, "run", run)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "true")
    resources.rebuild_in_child(Settings.from_env({}, telegram_token=TOKEN, telegram_webhook_secret="s3cret"))
    assert seen["TELEGRAM_BOT_TOKEN"] == seen["TELEGRAM_WEBHOOK_SECRET"] == ""
    assert TOKEN not in seen.values() and "s3cret" not in seen.values()
    assert seen["HF_HUB_OFFLINE"] == "1" and seen["TOKENIZERS_PARALLELISM"] == "true"


def test_settings_travel_to_a_child_process_through_the_environment():
    every = Settings.from_env({}, facts_dir=Path("/srv/facts"), index_dir=Path("/srv/index"), model="/srv/model",
                              question_prompt="passage", tokenizer="jieba", fusion="rrf", dense_weight=0.3,
                              min_verified=0.62, top_k=9, threads=1, backend="onnx", cache_size=0,
                              telegram_admin_ids=(1, 2), telegram_wire_log=True, telegram_token=TOKEN,
                              telegram_webhook_secret="s3cret", telegram_poll_read_timeout=2.5,
                              salt_file=Path("/srv/salt"))
    assert set(ENV_NAMES) == set(Settings.model_fields) and all(ENV_NAMES.values())
    env = every.to_env()
    assert TOKEN not in env.values() and "s3cret" not in env.values()
    assert Settings.from_env(env) == every.replace(telegram_token="", telegram_webhook_secret="")
    assert Settings.from_env(every.to_env(secrets=True)) == every
