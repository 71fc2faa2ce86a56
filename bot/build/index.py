"""The index build: embed every fact and question, build FAISS + BM25, train the verifier, swap the result in.

Build path only: it imports the verifier's training (torch, scikit-learn, LightGBM) and bm25s.
A serving process that finds its index stale runs it in a child (bot/pipeline/resources.py).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from bot.errors import IndexStateError
from bot.knowledge.facts import FactBase
from bot.knowledge.index import CURRENT, Index, read_manifest, stale_reasons
from bot.knowledge.lexical import tokenize
from bot.knowledge.load import facts_digest
from bot.knowledge.model_files import sha256_of
from bot.pipeline.adapt import adapt
from bot.pipeline.normalize import normalize
from bot.pipeline.resources import expected_manifest

logger = logging.getLogger(__name__)
_LIBS = ("faiss-cpu", "bm25s", "sentence-transformers", "torch", "onnxruntime", "OpenCC", "jieba",
         "pypinyin")


def fact_document(fact) -> str:
    """The text BM25 indexes for a fact: statement, quote and every way of asking it."""
    return normalize(" ".join([fact.text, fact.quote_text, *fact.asked]))


def negative_entries(base) -> list[tuple[str, str]]:
    """(owner fact id or "", normalised question) of every question the article does not answer."""
    out = [(f.id, normalize(q)) for f in base.facts for _, q in f.not_answered]
    return out + [("", normalize(q)) for _, q in base.out_of_scope]


def _versions() -> dict:
    out = {}
    for lib in _LIBS:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = None
    return out


CACHE = "embed-cache"


class EmbeddingCache:
    """Vectors already computed for (prompt, text) under one set of model weights, so a
    rebuild embeds only what changed. One .npz per weights digest under index/embed-cache;
    after a build it keeps exactly the entries that build used."""

    def __init__(self, index_dir: Path, weights: str):
        self.path = Path(index_dir) / CACHE / f"{weights[:32]}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        try:
            with np.load(self.path, allow_pickle=False) as data:
                self.vectors = dict(zip(data["keys"].tolist(), data["vectors"]))
        except (OSError, ValueError, KeyError) as exc:  # absent or unreadable: start empty
            if self.path.exists():
                logger.warning("embedding cache %s unreadable (%s); re-embedding", self.path, exc)

    @staticmethod
    def key(prompt: str, text: str) -> str:
        return hashlib.sha256(f"{prompt}\0{text}".encode()).hexdigest()

    def save(self, keys: list[str], vectors: np.ndarray) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".cache-", suffix=".npz", dir=self.path.parent)
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, keys=np.array(keys), vectors=vectors)
        os.replace(tmp, self.path)
        for other in self.path.parent.glob("*.npz"):  # vectors of other weights are dead
            if other != self.path:
                other.unlink(missing_ok=True)


def _embed(texts: list[str], prompts: list[str], embedder, cache: EmbeddingCache | None,
           progress: bool) -> tuple[np.ndarray, int]:
    """Vectors for every (text, prompt): cached ones reused, the rest encoded per prompt in
    one call (sentence-transformers sorts by length, so batches carry little padding).
    `embedder` may be a zero-argument factory: it is only called when something is missing."""
    keys = [EmbeddingCache.key(p, t) for t, p in zip(texts, prompts)]
    known = cache.vectors if cache else {}
    missing = [i for i, k in enumerate(keys) if k not in known]
    if missing and callable(embedder) and not hasattr(embedder, "encode"):
        embedder = embedder()
    computed: dict[int, np.ndarray] = {}
    for prompt in sorted({prompts[i] for i in missing}):
        ids = [i for i in missing if prompts[i] == prompt]
        vecs = embedder.encode([texts[i] for i in ids], prompt, progress=progress)
        computed.update(zip(ids, vecs))
    vectors = np.stack([computed[i] if i in computed else known[k] for i, k in enumerate(keys)])
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if cache is not None:
        try:
            cache.save(keys, vectors)
        except OSError as exc:  # a cache that cannot be written only costs time next build
            logger.warning("cannot write embedding cache %s: %s", cache.path, exc)
    return vectors, len(missing)


def train_verifier(base: FactBase, index: Index, rows: np.ndarray, negatives: np.ndarray):
    """The adapter and verifier fitted on this build's raw vectors (imports torch, scikit-learn
    and LightGBM: build path only)."""
    from bot.build.training import train

    return train(base, index, rows, negatives)


def build(base: FactBase, embedder, settings, weights: str, progress: bool = True,
          use_cache: bool = True) -> dict:
    """Embed every fact and question, build FAISS + BM25, and swap the result in atomically.
    `embedder` is an Embedder or a factory for one (called only if the cache lacks vectors)."""
    import bm25s
    import faiss

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import

    t0 = time.perf_counter()
    entries = []  # (fact id, text, prompt): the statement as a passage, variants as questions
    for fact in base.facts:
        entries.append((fact.id, normalize(fact.text), "passage"))
        entries += [(fact.id, normalize(q), settings.question_prompt) for q in fact.asked]
    negatives = negative_entries(base)
    entries += [(owner, q, "query") for owner, q in negatives]
    rows, texts, prompts = (list(col) for col in zip(*entries))
    cache = EmbeddingCache(settings.index_dir, weights) if use_cache else None
    vectors, embedded = _embed(texts, prompts, embedder, cache, progress)
    t_embed = time.perf_counter() - t0
    n_pos = len(entries) - len(negatives)
    dim = vectors.shape[1]
    docs = [fact_document(f) for f in base.facts]
    bm25 = bm25s.BM25()
    bm25.index([tokenize(d, settings.tokenizer) for d in docs], show_progress=False)
    manifest = expected_manifest(base.digest, settings.model, weights, settings) | {
        "dim": dim, "facts": len(base.facts), "vectors": n_pos, "negatives": len(negatives),
        "libraries": _versions(), "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    ids = {"rows": rows[:n_pos], "texts": texts[:n_pos], "docs": [f.id for f in base.facts],
           "negatives": [owner for owner, _ in negatives], "negative_texts": [q for _, q in negatives]}
    raw = Index(None, tuple(ids["rows"]), bm25, tuple(ids["docs"]), manifest, vectors[n_pos:],
                tuple(ids["negatives"]), tuple(ids["texts"]), tuple(ids["negative_texts"]))
    model, manifest["verifier"] = train_verifier(base, raw, vectors[:n_pos], vectors[n_pos:])
    dense = faiss.IndexFlatIP(dim)  # the rows as compared: mapped by the learned adapter
    dense.add(adapt(model.adapter, vectors[:n_pos]))
    seconds = _write(Path(settings.index_dir), dense, ids, bm25, manifest, adapt(model.adapter, vectors[n_pos:]),
                     model.save)
    manifest |= {"build_seconds": round(time.perf_counter() - t0, 2), "embed_seconds": round(t_embed, 2),
                 "texts": len(texts), "embedded": embedded, "reused": len(texts) - embedded}
    logger.debug("index written in %.2fs", seconds)
    return manifest


def _write(index_dir: Path, dense, ids: dict, bm25, manifest: dict, negatives: np.ndarray, save_model) -> float:
    import faiss

    t0 = time.perf_counter()
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="build-", dir=index_dir))
    faiss.write_index(dense, str(tmp / "dense.faiss"))
    np.save(tmp / "negatives.npy",
            np.ascontiguousarray(negatives.reshape(len(ids["negatives"]), dense.d), dtype=np.float32))
    (tmp / "rows.json").write_text(json.dumps(ids, ensure_ascii=False))
    bm25.save(str(tmp / "bm25"))
    save_model(tmp)
    files = {p.relative_to(tmp).as_posix(): sha256_of(p) for p in sorted(tmp.rglob("*")) if p.is_file()}
    (tmp / "manifest.json").write_text(json.dumps(manifest | {"files": files}, ensure_ascii=False, indent=2))
    _swap(index_dir, tmp)
    return time.perf_counter() - t0


def _swap(index_dir: Path, new: Path) -> None:
    """Point index/current at `new` with one atomic rename, then drop old builds."""
    link = index_dir / CURRENT
    tmp_link = index_dir / f".current-{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(new.name, tmp_link)
    os.replace(tmp_link, link)
    for stale in index_dir.glob("build-*"):
        if stale.resolve() != new.resolve():
            shutil.rmtree(stale, ignore_errors=True)


def is_current(settings, model_weights: str) -> tuple[bool, list[str]]:
    """Whether the index on disk matches today's facts, model and settings."""
    try:
        manifest = read_manifest(settings.index_dir)
    except IndexStateError as exc:
        return False, [str(exc)]
    expected = expected_manifest(facts_digest(settings.facts_dir), settings.model, model_weights, settings)
    reasons = stale_reasons(manifest, expected)
    return not reasons, reasons
