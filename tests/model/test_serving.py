"""Serving imports only what serves: every front end's path, run in a fresh process, leaves
the build libraries out of sys.modules; a stale index is rebuilt by a child process."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.facts import load_facts
from bot.settings import ENV_NAMES, Settings
from support import FACTS, ROOT

pytestmark = pytest.mark.slow
BUILD_LIBRARIES = ["torch", "transformers", "sentence_transformers", "sklearn", "scipy", "lightgbm",
                   "onnxmltools", "bm25s"]
TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijklmn"

# Runs in a fresh interpreter: `ask` (and so the console's engine), `explain`, the Telegram
# application with a /reload, then prints which build libraries were imported.
SERVE = f"""
import io, json, sys
from contextlib import redirect_stdout
from bot.cli import main
from bot.engine import Engine
from bot.explain import explain
from bot.settings import Settings
from bot.adapters.telegram.app import build_application

with redirect_stdout(io.StringIO()) as out:
    assert main(["ask", "山西工会会员有多少"]) == 0
    assert main(["explain", "山西工会会员有多少"]) == 0
settings = Settings.from_env()
engine = Engine.load(settings)
engine.answer("山西工会会员有多少")
explain(engine, "会员总数")
app = build_application(settings.replace(telegram_token="{TOKEN}"), engine,
                        lambda: Engine.load(settings, embedder=engine.embedder, rebuild=True))
reloaded = app.bot_data["reload"]()
print(json.dumps({{"answer": reloaded.answer("山西工会会员有多少").answer, "facts": reloaded.index.manifest["facts_sha256"],
                  "loaded": sorted(m for m in {BUILD_LIBRARIES!r} if m in sys.modules)}}))
"""


def serve(env_extra: dict) -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1", QA_LOG_LEVEL="WARNING", **env_extra)
    env["TELEGRAM_BOT_TOKEN"] = ""  # set empty, not removed: a token in the project's .env would win
    done = subprocess.run([sys.executable, "-c", SERVE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_serving_imports_no_build_library(real_settings, engine):
    result = serve({"QA_INDEX_DIR": str(real_settings.index_dir)})
    assert result["loaded"] == [] and "7706467" in result["answer"]


def test_a_stale_index_is_rebuilt_by_a_child_process(real_settings, engine, tmp_path):
    """Edited facts at /reload: the bot process rebuilds through `python -m bot index` and
    still imports none of the build libraries (the embedding cache spares the child the model)."""
    facts = tmp_path / "facts"
    shutil.copytree(FACTS, facts)
    files = sorted(facts.glob("[0-9]*.yaml"), key=lambda p: p.stat().st_size)
    for path in files[1:]:  # the smallest fact file is kept: the child trains on it alone
        path.unlink()
    general = yaml.safe_load((facts / "out-of-scope.yaml").read_text(encoding="utf-8"))
    (facts / "out-of-scope.yaml").write_text(yaml.safe_dump(general[:40], allow_unicode=True), encoding="utf-8")
    index = tmp_path / "index"
    shutil.copytree(real_settings.index_dir, index, symlinks=True)
    result = serve({"QA_INDEX_DIR": str(index), "QA_FACTS_DIR": str(facts), "QA_ON_STALE": "rebuild"})
    assert result["loaded"] == []
    assert result["facts"] == load_facts(facts).digest
    assert json.loads((index / "current" / "manifest.json").read_text())["facts_sha256"] == result["facts"]


def test_a_failed_rebuild_is_one_clear_error(tmp_path):
    from bot.errors import IndexStateError
    from bot.index import rebuild_in_child

    facts = tmp_path / "facts"
    shutil.copytree(FACTS, facts)
    (facts / "99-broken.yaml").write_text("- id: broken\n  text: ''\n", encoding="utf-8")
    with pytest.raises(IndexStateError, match="99-broken.yaml"):
        rebuild_in_child(Settings.from_env({}, facts_dir=facts, index_dir=tmp_path / "index"))


def test_the_child_build_gets_no_secret_and_stays_offline(monkeypatch):
    """The child's environment blanks the secrets (so the project's .env cannot fill them in)
    and keeps the Makefile's offline defaults unless the bot's own environment says otherwise."""
    from bot import index as index_mod

    seen = {}

    def run(args, env, **kwargs):
        seen.update(env)
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(index_mod.subprocess, "run", run)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "true")
    index_mod.rebuild_in_child(Settings.from_env({}, telegram_token=TOKEN, telegram_webhook_secret="s3cret"))
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
