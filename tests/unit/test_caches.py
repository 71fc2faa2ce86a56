"""Without a model: the backend setting, weight digests, the embedding and reply caches (fake embedder)."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from bot.build import index as build_mod
from bot.adapters.render import text as plain
from bot.knowledge import index as index_mod
from bot.pipeline.engine import Engine
from bot.errors import ConfigError, IndexStateError, ModelError
from bot.knowledge.load import load_facts
from bot.knowledge.model_files import ONNX_FILES, weights_fingerprint
from bot.pipeline.resources import expected_manifest
from bot.settings import Settings
from fakes import FAKE_WEIGHTS, FakeEmbedder


def test_backend_setting_is_validated():
    assert Settings.from_env({"QA_BACKEND": "ONNX"}).backend == "onnx"
    with pytest.raises(ConfigError, match="QA_BACKEND"):
        Settings.from_env({"QA_BACKEND": "cuda"})
    with pytest.raises(ConfigError, match="QA_CACHE_SIZE"):
        Settings.from_env({"QA_CACHE_SIZE": "-1"})


def test_onnx_tokeniser_files_missing_name_the_fix(tmp_path):
    from bot.knowledge.encoder import PieceTokenizer

    with pytest.raises(FileNotFoundError, match="make setup"):
        PieceTokenizer(tmp_path, 512)


# ---- weight digests -----------------------------------------------------------------------

def _model_folder(tmp_path):
    folder = tmp_path / "m"
    (folder / "onnx").mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"torch weights")
    graph = folder / ONNX_FILES["onnx-int8"][1]
    graph.write_bytes(b"graph")
    graph.with_name(graph.name + "_data").write_bytes(b"int8 weights")
    return folder


def test_weight_digest_is_remembered_and_redone_when_a_file_changes(tmp_path, monkeypatch):
    folder = _model_folder(tmp_path)
    first = weights_fingerprint(str(folder), "onnx-int8")
    assert first != weights_fingerprint(str(folder), "torch")
    calls = []
    import bot.knowledge.model_files as files

    real = files.sha256_of
    monkeypatch.setattr(files, "sha256_of", lambda p: calls.append(p.name) or real(p))
    assert weights_fingerprint(str(folder), "onnx-int8") == first and calls == []  # from the memo
    data = folder / "onnx" / "model_qint8_avx2.onnx_data"
    data.write_bytes(b"other int8 weights")
    changed = weights_fingerprint(str(folder), "onnx-int8")
    assert changed != first and calls == ["model_qint8_avx2.onnx_data"]


def test_weight_digest_works_in_a_read_only_folder(tmp_path):
    folder = _model_folder(tmp_path)
    expected = weights_fingerprint(str(folder), "torch")
    (folder / ".fingerprints.json").unlink()
    os.chmod(folder, 0o555)
    try:
        assert weights_fingerprint(str(folder), "torch") == expected
    finally:
        os.chmod(folder, 0o755)


def test_missing_weights_name_the_fix(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(ModelError, match="make setup"):
        weights_fingerprint(str(folder), "onnx")


# ---- embedding cache (fake embedder) ------------------------------------------------------
# `fake_index` is a copy of one fake-embedder build of the small facts, made from an empty
# cache; its embedding cache holds every vector of that build (weights FAKE_WEIGHTS).

def _build(settings, embedder, weights=FAKE_WEIGHTS, **kw):
    base = load_facts(settings.facts_dir)
    return build_mod.build(base, embedder, settings, weights, progress=False, **kw)


def _no_model():
    raise AssertionError("the model was loaded although every vector was cached")


def test_rebuild_reuses_cached_vectors_without_loading_the_model(fake_settings, fake_index):
    first = fake_index
    assert first["reused"] == 0 and first["embedded"] == first["texts"]
    vectors = index_mod.load(fake_settings.index_dir, {}, FakeEmbedder.dim).faiss.reconstruct_n(0, first["vectors"])
    again = _build(fake_settings, _no_model)
    assert again["embedded"] == 0 and again["reused"] == first["texts"]
    rebuilt = index_mod.load(fake_settings.index_dir, {}, FakeEmbedder.dim).faiss.reconstruct_n(0, again["vectors"])
    assert np.array_equal(vectors, rebuilt)


def test_edited_fact_is_the_only_text_embedded_again(fake_settings, fake_index, fake_embedder):
    path = fake_settings.facts_dir / "10-frugal.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("工会要怎么省钱") == 1
    path.write_text(text.replace("工会要怎么省钱", "工会打算从哪些地方把开销压下来"), encoding="utf-8")
    manifest = _build(fake_settings, fake_embedder)
    assert manifest["embedded"] == 1 and manifest["reused"] == manifest["texts"] - 1


def test_no_cache_embeds_everything_and_other_weights_start_fresh(fake_settings, fake_index, fake_embedder):
    assert _build(fake_settings, fake_embedder, use_cache=False)["reused"] == 0
    assert _build(fake_settings, fake_embedder, weights="other-fake-weights")["reused"] == 0
    assert len(list((fake_settings.index_dir / build_mod.CACHE).glob("*.npz"))) == 1  # dead one dropped


def test_corrupt_cache_is_rebuilt_with_a_warning(fake_settings, fake_index, fake_embedder, caplog):
    (cache,) = (fake_settings.index_dir / build_mod.CACHE).glob("*.npz")
    cache.write_bytes(b"not a zip")
    manifest = _build(fake_settings, fake_embedder)
    assert manifest["reused"] == 0 and "unreadable" in caplog.text
    assert _build(fake_settings, _no_model)["embedded"] == 0  # and it is whole again


def test_index_built_for_another_backend_is_stale(fake_settings, fake_index):
    manifest = json.loads((fake_settings.index_dir / "current" / "manifest.json").read_text())
    assert manifest["backend"] == fake_settings.backend
    other = fake_settings.replace(backend="torch")
    expected = expected_manifest(manifest["facts_sha256"], other.model, FAKE_WEIGHTS, other)
    with pytest.raises(IndexStateError, match="backend changed"):
        index_mod.load(fake_settings.index_dir, expected, FakeEmbedder.dim)


# ---- reply cache ----------------------------------------------------------------------------

class CountingEmbedder:
    def __init__(self, inner):
        self.inner, self.name, self.dim, self.texts = inner, inner.name, inner.dim, []

    def encode(self, texts, prompt, progress=False):
        self.texts += list(texts)
        return self.inner.encode(texts, prompt)

    def queries(self, texts):
        return self.encode(texts, "query")


def _engine(settings, embedder, **overrides):
    """An engine over the `fake_index` copy in `settings.index_dir`."""
    return Engine.load(settings.replace(**overrides), embedder=embedder)


def test_repeated_question_in_either_script_is_answered_without_encoding(fake_settings, fake_index, fake_embedder):
    counting = CountingEmbedder(fake_embedder)
    engine = _engine(fake_settings, counting)
    counting.texts.clear()
    first = engine.answer("山西工会会员有多少？")
    encoded = len(counting.texts)
    assert encoded >= 1
    again = engine.answer("山西工會會員有多少？")  # traditional: the same normalised question
    assert len(counting.texts) == encoded and plain(again.reply) == plain(first.reply)
    assert engine.cache_info().hits == 1


def test_cache_size_zero_turns_the_cache_off(fake_settings, fake_index, fake_embedder):
    counting = CountingEmbedder(fake_embedder)
    engine = _engine(fake_settings, counting, cache_size=0)
    counting.texts.clear()
    engine.answer("山西工会会员有多少？")
    encoded = len(counting.texts)
    engine.answer("山西工会会员有多少？")
    assert len(counting.texts) == 2 * encoded and engine.cache_info().hits == 0
