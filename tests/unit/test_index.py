"""Index build, manifest, atomic swap, and detection of stale or corrupt indexes."""
import json

import pytest

from bot.build import index as build_mod
from bot.adapters.render import text as plain
from bot.knowledge import index as index_mod
from bot.pipeline.engine import Engine
from bot.errors import IndexStateError
from bot.knowledge.load import load_facts


def build(settings, embedder):
    base = load_facts(settings.facts_dir)
    return build_mod.build(base, embedder, settings, "name:" + embedder.name, progress=False)


def test_build_writes_manifest_and_counts(fake_settings, fake_embedder):
    manifest = build(fake_settings, fake_embedder)
    base = load_facts(fake_settings.facts_dir)
    assert manifest["facts"] == len(base.facts)
    assert manifest["vectors"] == len(base.facts) + sum(len(f.asked) for f in base.facts)
    negatives = sum(len(f.not_answered) for f in base.facts) + len(base.out_of_scope)
    assert manifest["negatives"] == negatives > 0
    assert manifest["texts"] == manifest["vectors"] + negatives == manifest["embedded"]
    verifier = manifest["verifier"]
    assert verifier["questions"]["not_answerable"] == negatives
    assert 0.5 < verifier["pair_auc"] <= 1 and set(verifier["by_threshold"]) >= {"0.5"}
    on_disk = index_mod.read_manifest(fake_settings.index_dir)
    for key in ("model", "weights_sha256", "dim", "facts_sha256", "tokenizer", "libraries", "built_at", "files"):
        assert key in on_disk, key
    assert on_disk["facts_sha256"] == base.digest
    assert on_disk["libraries"]["faiss-cpu"]


def test_engine_loads_and_answers_with_fake_embedder(fake_settings, fake_index, fake_embedder):
    engine = Engine.load(fake_settings, embedder=fake_embedder)
    reply = engine.answer("山西省总机关今年前8个月经费支出比去年减少了多少？")
    assert plain(reply.reply) and not reply.abstained and "21%" in plain(reply.reply)


def test_rebuild_swaps_atomically_and_keeps_one_build(fake_settings, fake_index, fake_embedder):
    first = (fake_settings.index_dir / "current").resolve()
    build(fake_settings, fake_embedder)
    second = (fake_settings.index_dir / "current").resolve()
    assert first != second and not first.exists()
    assert [p.name for p in fake_settings.index_dir.glob("build-*")] == [second.name]


def test_edited_facts_make_the_index_stale(fake_settings, fake_index, fake_embedder):
    path = sorted(fake_settings.facts_dir.glob("[0-9]*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    with pytest.raises(IndexStateError, match=r"stale: facts_sha256 changed.*make index"):
        Engine.load(fake_settings, embedder=fake_embedder)


def test_stale_index_is_rebuilt_when_configured(fake_settings, fake_index, fake_embedder):
    path = sorted(fake_settings.facts_dir.glob("[0-9]*.yaml"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    settings = fake_settings.replace(on_stale="rebuild")
    rebuilt = []
    engine = Engine.load(settings, embedder=fake_embedder,
                         builder=lambda s: rebuilt.append(build(s, fake_embedder)))
    assert len(rebuilt) == 1 and engine.index.manifest["facts_sha256"] == engine.base.digest
    assert Engine.load(settings, embedder=fake_embedder, builder=rebuilt.append).base.digest == engine.base.digest
    assert len(rebuilt) == 1  # now current: not rebuilt again


def test_other_tokenizer_is_a_mismatch(fake_settings, fake_index, fake_embedder):
    with pytest.raises(IndexStateError, match="tokenizer changed"):
        Engine.load(fake_settings.replace(tokenizer="jieba"), embedder=fake_embedder)


def test_missing_index_names_the_fix(fake_settings, fake_embedder):
    with pytest.raises(IndexStateError, match="no index .*make index"):
        Engine.load(fake_settings, embedder=fake_embedder)


@pytest.mark.parametrize("victim", ["dense.faiss", "rows.json"])
def test_truncated_file_is_detected(fake_settings, fake_index, fake_embedder, victim):
    path = fake_settings.index_dir / "current" / victim
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(IndexStateError, match=f"{victim} is missing or corrupt.*make index"):
        Engine.load(fake_settings, embedder=fake_embedder)


def test_garbage_manifest_is_detected(fake_settings, fake_index, fake_embedder):
    (fake_settings.index_dir / "current" / "manifest.json").write_text("{not json")
    with pytest.raises(IndexStateError, match="manifest .* unreadable.*make index"):
        Engine.load(fake_settings, embedder=fake_embedder)


def test_dimension_mismatch_is_detected(fake_settings, fake_index, fake_embedder):
    path = fake_settings.index_dir / "current" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["dim"] = 384
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexStateError, match="dim"):
        Engine.load(fake_settings, embedder=fake_embedder)
