"""The stored index: FAISS vectors + BM25 and the manifest that describes them, loaded and checked.

It is written by bot/build/index.py; what a current index must say it was built from is
bot/pipeline/resources.py's expected manifest, checked here key by key.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.errors import IndexStateError
from bot.knowledge.bm25 import BM25
from bot.knowledge.model_files import sha256_of

FORMAT = 2  # 2: question variants as rows, negatives.npy
CURRENT = "current"
FIX = "run `make index` (or `python scripts/rebuild_index.py`)"


@dataclass(frozen=True)
class Index:
    """A loaded index: vectors, the fact each row belongs to, the BM25 model, and the
    vectors of questions the article does not answer (each with the fact it is near, or "")."""

    faiss: object
    rows: tuple[str, ...]
    bm25: object
    docs: tuple[str, ...]
    manifest: dict
    negatives: object = None             # float32 matrix, one normalised vector per row
    negative_owners: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()          # the normalised text of every dense row
    negative_texts: tuple[str, ...] = ()
    root: Path | None = None             # the build folder, for artefacts trained beside it


def read_manifest(index_dir: Path) -> dict:
    path = Path(index_dir) / CURRENT / "manifest.json"
    if not path.is_file():
        raise IndexStateError(f"no index in {index_dir}: {FIX}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexStateError(f"index manifest {path} is unreadable ({exc}): {FIX}") from None


def stale_reasons(manifest: dict, expected: dict) -> list[str]:
    """Human-readable differences between a manifest and what the index should be."""
    return [f"{key} changed ({str(manifest.get(key))[:16]} → {str(value)[:16]})"
            for key, value in expected.items() if manifest.get(key) != value]


def load(index_dir: Path, expected: dict, dim: int) -> Index:
    """Load the current index, verifying manifest, checksums and shapes (without bm25s,
    which would import scipy: bot.knowledge.bm25 reads its files)."""
    import faiss

    root = Path(index_dir) / CURRENT
    manifest = read_manifest(index_dir)
    reasons = stale_reasons(manifest, expected)
    if reasons:
        raise IndexStateError(f"index is stale: {'; '.join(reasons)}: {FIX}")
    for name, digest in manifest.get("files", {}).items():
        path = root / name
        if not path.is_file() or sha256_of(path) != digest:
            raise IndexStateError(f"index file {name} is missing or corrupt: {FIX}")
    try:
        dense = faiss.read_index(str(root / "dense.faiss"))
        ids = json.loads((root / "rows.json").read_text(encoding="utf-8"))
        bm25 = BM25(root / "bm25")
        negatives = np.load(root / "negatives.npy", allow_pickle=False)
    except Exception as exc:  # faiss raises RuntimeError, bm25s various: all mean "corrupt"
        raise IndexStateError(f"index in {root} cannot be read ({exc}): {FIX}") from exc
    if dense.d != dim or dense.ntotal != len(ids["rows"]) or manifest.get("dim") != dim:
        raise IndexStateError(f"index shape does not match the model (dim {dense.d} vs {dim}): {FIX}")
    if negatives.shape != (len(ids["negatives"]), dim):
        raise IndexStateError(f"index negatives do not match their rows: {FIX}")
    return Index(dense, tuple(ids["rows"]), bm25, tuple(ids["docs"]), manifest, negatives,
                 tuple(ids["negatives"]), tuple(ids["texts"]), tuple(ids["negative_texts"]), root.resolve())
