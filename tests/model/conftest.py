"""Model-tier fixtures: the torch reference embedder and an engine without the reply cache."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def torch_embedder(real_settings):
    """The converted model on the torch fp32 backend (the reference for the others)."""
    from bot.knowledge.embedder import Embedder

    return Embedder(real_settings.model, backend="torch")


@pytest.fixture(scope="session")
def uncached_engine(engine):
    """A second engine over the same model, index and verifier, with the reply cache off: two
    answers to one question from it are two computations, not one remembered reply."""
    from bot.pipeline.engine import Engine

    return Engine(engine.settings.replace(cache_size=0), engine.base, engine.embedder,
                  engine.index, engine.verifier)
