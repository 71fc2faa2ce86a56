"""Serving imports only what serves: every front end's path, run in a fresh process, leaves
the build libraries out of sys.modules; a stale index is rebuilt by a child process."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from bot.knowledge.load import load_facts
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
from bot.adapters.render import text
from bot.adapters.cli import main
from bot.pipeline.engine import Engine
from bot.adapters.explain import explain
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
print(json.dumps({{"answer": text(reloaded.answer("山西工会会员有多少").reply), "facts": reloaded.index.manifest["facts_sha256"],
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
