"""What the engine serves from: the manifest a current index must carry, and its rebuild in a child process."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

from bot.errors import IndexStateError
from bot.knowledge.index import FORMAT
from bot.knowledge.lexical import VERSION as LEXICAL_VERSION
from bot.pipeline.normalize import VERSION as NORMALIZE_VERSION
from bot.pipeline.verify import VERSION as VERIFIER_VERSION

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
