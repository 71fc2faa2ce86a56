"""Shared fixtures: a fake embedder for unit tests, the real engine once per session."""
from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
# Set before numpy loads OpenBLAS (and inherited by the bot processes tests start): on this
# 2-core machine a second BLAS thread costs more than it brings on the small products the
# tests do by the thousand (100 products of 800x64 by 64x64: ~0.8 s on two threads, 0.006 s
# on one). The suite passes either way; with one thread it spends ~20 s less CPU.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest  # noqa: E402

from fakes import FAKE_WEIGHTS, FakeEmbedder  # noqa: E402
from support import FACTS, MODEL, ROOT  # noqa: E402

pytest_plugins = ["telegram_support"]  # the `tg` and `logs` fixtures


@pytest.fixture
def fake_embedder():
    return FakeEmbedder()


@pytest.fixture
def facts_copy(tmp_path):
    """A private copy of facts/ that a test may edit."""
    dst = tmp_path / "facts"
    shutil.copytree(FACTS, dst)
    return dst


# One small fact file with its training data (4 facts, 127 questions, 72 near-misses): enough
# for an index and a verifier, and a fake-embedder build of it takes well under a second.
SMALL_FACTS = ("meta.yaml", "article.txt", "glossary.yaml", "10-frugal.yaml")


def _small_facts(dst: Path) -> Path:
    dst.mkdir(parents=True)
    for name in SMALL_FACTS:
        shutil.copy(FACTS / name, dst / name)
    lines = (FACTS / "out-of-scope.yaml").read_text(encoding="utf-8").splitlines()
    (dst / "out-of-scope.yaml").write_text("\n".join(lines[:42]) + "\n", encoding="utf-8")
    return dst


def _fake_settings(facts_dir: Path, index_dir: Path):
    from bot.settings import Settings

    return Settings.from_env({}, facts_dir=facts_dir, index_dir=index_dir, model="fake-embedder", on_stale="fail")


@pytest.fixture
def small_facts(tmp_path):
    """One fact file of facts/ (and the first 40 general out-of-scope questions) in a tmp dir."""
    return _small_facts(tmp_path / "small-facts")


@pytest.fixture
def fake_settings(tmp_path, small_facts):
    """Settings for the fake embedder over `small_facts`, with an index folder that is empty."""
    return _fake_settings(small_facts, tmp_path / "index")


@pytest.fixture(scope="session")
def fake_index_template(tmp_path_factory):
    """One fake-embedder build of the small facts, done once per session: (settings, the
    manifest the build returned). Read only: a test gets its own copy from `fake_index`."""
    from bot import index as index_mod
    from bot.facts import load_facts

    root = tmp_path_factory.mktemp("fake-template")
    settings = _fake_settings(_small_facts(root / "small-facts"), root / "index")
    manifest = index_mod.build(load_facts(settings.facts_dir), FakeEmbedder(), settings, FAKE_WEIGHTS,
                               progress=False)
    return settings, manifest


@pytest.fixture
def fake_index(fake_settings, fake_index_template):
    """A private, writable copy of the session's fake-embedder index (with its embedding cache)
    in `fake_settings.index_dir`, current for `fake_settings`; returns the manifest of the
    build it was copied from (a build from an empty cache)."""
    from bot import index as index_mod

    template, manifest = fake_index_template
    shutil.copytree(template.index_dir, fake_settings.index_dir, symlinks=True)
    current, reasons = index_mod.is_current(fake_settings, FAKE_WEIGHTS)
    assert current, reasons
    return copy.deepcopy(manifest)


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
def torch_embedder(real_settings):
    """The converted model on the torch fp32 backend (the reference for the others)."""
    from bot.embedder import Embedder

    return Embedder(real_settings.model, backend="torch")


@pytest.fixture(scope="session")
def engine(real_settings):
    """The real engine: model and index loaded once for the whole session."""
    from bot.engine import Engine

    return Engine.load(real_settings)


@pytest.fixture(scope="session")
def uncached_engine(engine):
    """A second engine over the same model, index and verifier, with the reply cache off: two
    answers to one question from it are two computations, not one remembered reply."""
    from bot.engine import Engine

    return Engine(engine.settings.replace(cache_size=0), engine.base, engine.embedder,
                  engine.index, engine.verifier)
