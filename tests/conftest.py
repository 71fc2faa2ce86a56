"""Fixtures of more than one tier: the test processes' environment, a private copy of facts/, the real engine."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("PTB_TIMEDELTA", "1")
# Set before numpy loads OpenBLAS (and inherited by the bot processes tests start): on this
# 2-core machine a second BLAS thread costs more than it brings on the small products the
# tests do by the thousand (100 products of 800x64 by 64x64: ~0.8 s on two threads, 0.006 s
# on one). The suite passes either way; with one thread it spends ~20 s less CPU.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest  # noqa: E402

from support import FACTS, MODEL, ROOT  # noqa: E402

# The folders under tests/, each a marker its tests get (here, not in pyproject.toml, whose every edit
# makes `make` reinstall the dependencies).
TIERS = {
    "unit": "tests/unit/: no model and no index, a fake embedder over small fact sets (make test-fast)",
    "model": "tests/model/: the real model and index, loaded once per session",
    "telegram": "tests/telegram/: the bot through the fake Bot API, in process or as a subprocess",
}
HERE = Path(__file__).parent


def pytest_configure(config):
    """Register one marker per tier."""
    for tier, meaning in TIERS.items():
        config.addinivalue_line("markers", f"{tier}: {meaning}")


def _tier(item) -> str | None:
    """The tier folder a test sits in; None outside tests/ or outside the tier folders."""
    if not item.path.is_relative_to(HERE):
        return None
    folder = item.path.relative_to(HERE).parts[0]
    return folder if folder in TIERS else None


def pytest_collection_modifyitems(config, items):
    """Mark every test with its tier, so that `pytest -m unit` (or `-m "not telegram"`) selects by tier."""
    for item in items:
        if _tier(item):
            item.add_marker(_tier(item))


def pytest_runtest_setup(item):
    """A test file under tests/ but outside the tier folders fails: `make test-fast` would leave it out."""
    if item.path.is_relative_to(HERE) and not _tier(item):
        pytest.fail(f"{item.path.relative_to(HERE.parent)} is outside the test tiers: move it into tests/unit/, "
                    "tests/model/ or tests/telegram/ (README \"Development\")", pytrace=False)


@pytest.fixture
def facts_copy(tmp_path):
    """A private copy of facts/ that a test may edit."""
    dst = tmp_path / "facts"
    shutil.copytree(FACTS, dst)
    return dst


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory):
    """Settings for the real model, over a copy of the project's index (`make test` brings it
    up to date first); a copy that does not match is rebuilt, by a child process, at first load."""
    from bot.settings import Settings

    if not (MODEL / "modules.json").is_file():
        pytest.fail(f"model folder {MODEL} missing: run `make setup` first")
    index_dir = tmp_path_factory.mktemp("index")
    if (ROOT / "index").is_dir():
        shutil.copytree(ROOT / "index", index_dir, symlinks=True, dirs_exist_ok=True)
    return Settings.from_env({}, index_dir=index_dir, on_stale="rebuild")


@pytest.fixture(scope="session")
def engine(real_settings):
    """The real engine: model and index loaded once for the whole session."""
    from bot.pipeline.engine import Engine

    return Engine.load(real_settings)
