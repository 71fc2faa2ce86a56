"""What the engine serves from, loaded once: facts, query encoder, index and verifier.

The index is checked against the manifest it must carry (which names the normaliser's and the
verifier's versions) and, when stale and allowed, rebuilt by `python -m bot index` in a child
process, so that the build libraries never load into a serving process."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

from bot.errors import IndexStateError
from bot.knowledge import index as index_mod
from bot.knowledge import lexicon
from bot.knowledge.encoder import Encoder
from bot.knowledge.facts import FactBase
from bot.knowledge.index import FORMAT, Index
from bot.knowledge.lexical import VERSION as LEXICAL_VERSION
from bot.knowledge.load import load_facts
from bot.knowledge.model_files import weights_fingerprint
from bot.pipeline.normalize import VERSION as NORMALIZE_VERSION
from bot.pipeline.verify import VERSION as VERIFIER_VERSION
from bot.pipeline.verify import Verifier

logger = logging.getLogger(__name__)
# The environment the Makefile gives every build, as defaults for a child build started by the
# bot itself (which may run outside make): the Hub stays offline, the tokeniser single-threaded.
BUILD_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def expected_manifest(base_digest: str, model: str, weights: str, settings) -> dict:
    """The manifest keys that must match for an index to be current."""
    return {"format": FORMAT, "facts_sha256": base_digest, "model": model,
            "backend": settings.backend, "weights_sha256": weights,
            "tokenizer": f"{settings.tokenizer}/v{LEXICAL_VERSION}", "normalize": NORMALIZE_VERSION,
            "verifier_version": VERIFIER_VERSION,
            "question_prompt": settings.question_prompt}


def rebuild_in_child(settings) -> None:
    """`python -m bot index` in a child process with these settings: the build libraries
    (sentence-transformers, torch, scikit-learn, LightGBM) load there and leave with it."""
    env = BUILD_ENV | {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}  # it needs no secret
    env |= settings.to_env()
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bot", "index", "--quiet"], env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise IndexStateError(f"rebuilding the index failed: {last.removeprefix('error: ')}")
    logger.info("index rebuilt by a child process in %.1fs", time.perf_counter() - t0)


def load_encoder(settings):
    """The query encoder. The ONNX backends run in bot.knowledge.encoder, without torch; only
    QA_BACKEND=torch loads sentence-transformers (and torch) into the serving process."""
    if settings.backend == "torch":
        from bot.knowledge.embedder import Embedder

        return Embedder.from_settings(settings)
    return Encoder.from_settings(settings)


def load(settings, embedder=None, rebuild: bool = False, builder=None) -> tuple[FactBase, object, Index, Verifier]:
    """Facts, encoder, index and verifier for `settings`; on a stale index rebuild (per settings,
    or when `rebuild`) or fail. `builder(settings)` rebuilds; by default `rebuild_in_child`."""
    base = load_facts(settings.facts_dir, cache_dir=settings.index_dir / "facts-cache")
    embedder = embedder or load_encoder(settings)
    weights = weights_fingerprint(settings.model, settings.backend)
    expected = expected_manifest(base.digest, settings.model, weights, settings)
    try:
        idx = index_mod.load(settings.index_dir, expected, embedder.dim)
    except IndexStateError as exc:
        if settings.on_stale != "rebuild" and not rebuild:
            raise
        logger.warning("%s; rebuilding", exc)
        (builder or rebuild_in_child)(settings)
        idx = index_mod.load(settings.index_dir, expected, embedder.dim)
    lexicon.install(settings.index_dir / lexicon.CACHE)
    try:
        verifier = Verifier.load(idx)
    except (OSError, ValueError, KeyError) as exc:
        raise IndexStateError(f"the verifier beside the index cannot be read ({exc}): {index_mod.FIX}") from exc
    return base, embedder, idx, verifier
