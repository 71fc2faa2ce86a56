"""Unit-tier fixtures: the fake embedder, one small fact file and its index built once per session; no real model."""
from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

from fakes import FAKE_WEIGHTS, FakeEmbedder
from support import FACTS


def _refuse_the_real_model():
    pytest.fail("unit tests run without the model and the index (`make test-fast` needs neither): "
                "a test that needs them belongs in tests/model/ or tests/telegram/")


@pytest.fixture(scope="session")
def real_settings():
    """Refused in this tier: see `_refuse_the_real_model`."""
    _refuse_the_real_model()


@pytest.fixture(scope="session")
def engine():
    """Refused in this tier, even when another tier's test loaded the real engine in this process."""
    _refuse_the_real_model()


@pytest.fixture
def fake_embedder():
    return FakeEmbedder()


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
    from bot.build import index as index_mod
    from bot.knowledge.load import load_facts

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
    from bot.build import index as index_mod

    template, manifest = fake_index_template
    shutil.copytree(template.index_dir, fake_settings.index_dir, symlinks=True)
    current, reasons = index_mod.is_current(fake_settings, FAKE_WEIGHTS)
    assert current, reasons
    return copy.deepcopy(manifest)
