"""The torch-free serving encoder against the sentence-transformers path that builds the index:
the same vectors, the same token ids, and the prompts and pooling the model folder declares."""
from __future__ import annotations

import json
import os
import re
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import ModelError
from bot.testing.evaluation import load_cases
from bot.knowledge import pieces
from bot.knowledge.encoder import Encoder
from bot.knowledge.model_files import PIECES, read_layout
from support import FACTS, MODEL, ROOT


def _article_sentences() -> list[str]:
    article = (FACTS / "article.txt").read_text(encoding="utf-8")
    return [s.strip() for s in re.split(r"(?<=[。！？；\n])", article) if s.strip()]


def _questions() -> list[str]:
    return [c.q for c in load_cases(ROOT / "tests" / "data" / "questions.yaml")]


# ---- the vectors: serving == sentence-transformers (real model) -----------------------------

@pytest.fixture(scope="module", params=["onnx-int8", "onnx"])
def both_paths(request, engine):
    """(serving encoder, sentence-transformers embedder) over the same graph."""
    from bot.knowledge.embedder import Embedder

    backend = request.param
    serving = engine.embedder if engine.embedder.backend == backend else Encoder(str(MODEL), backend=backend)
    return serving, Embedder(str(MODEL), backend=backend)


@pytest.mark.slow
@pytest.mark.parametrize("texts, prompt", [(_article_sentences, "passage"), (_questions, "query")],
                         ids=["article sentences", "evaluation questions"])
def test_serving_vectors_equal_the_sentence_transformers_path(both_paths, texts, prompt):
    serving, reference = both_paths
    texts = texts()
    assert len(texts) > 100
    if serving.backend != "onnx-int8":  # the served backend on every text, fp32 on every third
        texts = texts[::3]
    ours, theirs = serving.encode(texts, prompt), reference.encode(texts, prompt)
    assert ours.shape == theirs.shape and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cos = np.sum(ours * theirs, axis=1)
    assert cos.min() >= 0.99999, [(t, round(float(c), 6)) for t, c in zip(texts, cos) if c < 0.99999][:5]


@pytest.mark.slow
def test_serving_and_build_encoders_agree_on_dimension_and_prompts(both_paths):
    serving, reference = both_paths
    declared = json.loads((MODEL / "config_sentence_transformers.json").read_text())["prompts"]
    assert serving.dim == reference.dim
    assert serving.prompts == declared and all(reference.prompts[k] == v for k, v in declared.items())


# ---- the token ids: our Viterbi == sentencepiece's -------------------------------------------

@pytest.fixture(scope="module")
def piece_pair():
    """sentencepiece over onnx/sentencepiece.model, and our tables of the same file."""
    import sentencepiece

    model_file = MODEL / "onnx" / PIECES
    return sentencepiece.SentencePieceProcessor(model_file=str(model_file)), pieces.Pieces(pieces.prepare(model_file))


@pytest.fixture(scope="module")
def pre_tokenize():
    from tokenizers import Tokenizer

    steps = Tokenizer.from_file(str(MODEL / "onnx" / "pretokenizer.json"))
    return lambda text: [w for w, _ in steps.pre_tokenizer.pre_tokenize_str(steps.normalizer.normalize_str(text))]


def test_piece_ids_are_sentencepieces_on_the_articles_facts_and_questions(piece_pair, pre_tokenize):
    from bot.knowledge.load import load_facts

    reference, ours = piece_pair
    texts = [(FACTS / "article.txt").read_text(encoding="utf-8"), *_article_sentences(), *_questions()]
    for fact in load_facts(FACTS).facts:
        texts += [fact.text, fact.quote_text, *fact.asked]
    assert len(texts) > 3000
    differ = [t for t in texts if reference.encode(pre_tokenize("query: " + t)) != ours.encode(pre_tokenize("query: " + t))]
    assert differ == [], differ[:5]


_RARE = st.sampled_from(list("山西工会會员。.…!！?？,， 　\t-}abXY12é😀\u0301\u200b𠀀𪚥ก߷ᚠ▁"))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
                      st.text(alphabet=_RARE, max_size=40)))
def test_piece_ids_are_sentencepieces_on_any_text(piece_pair, pre_tokenize, text):
    """Unknown characters, runs of them, ties and long words included: exactly the same ids."""
    reference, ours = piece_pair
    words = pre_tokenize(text)
    assert ours.encode(words) == reference.encode(words)


def test_piece_tables_are_built_once_beside_the_model_and_named_after_it(tmp_path):
    model_file = tmp_path / PIECES
    shutil.copy(MODEL / "onnx" / PIECES, model_file)
    folder = pieces.prepare(model_file)
    assert folder.parent == tmp_path and (folder / "meta.json").is_file()
    stamp = (folder / "keys.marisa").stat().st_mtime_ns
    assert pieces.prepare(model_file) == folder and (folder / "keys.marisa").stat().st_mtime_ns == stamp
    model_file.write_bytes(model_file.read_bytes() + b"\n")  # other bytes: other tables
    assert pieces.folder_for(model_file) != folder


def test_a_read_only_model_folder_still_gets_piece_tables(tmp_path, monkeypatch, caplog):
    folder = _model_copy(tmp_path)
    for old in (folder / "onnx").glob("pieces-*"):
        shutil.rmtree(old)

    def read_only(model_file):  # root may write anywhere: refuse as a read-only mount would
        raise PermissionError(f"read-only file system: {model_file.parent}")

    monkeypatch.setattr(pieces, "prepare", read_only)
    encoder = Encoder(str(folder))
    assert not list((folder / "onnx").glob("pieces-*")) and "building them for this process" in caplog.text
    assert encoder.tokenizer.encode("query: 工会会员") == Encoder(str(MODEL)).tokenizer.encode("query: 工会会员")


# ---- what the model folder declares ----------------------------------------------------------

def _model_copy(tmp_path):
    """The model folder's small files copied, its large ones hard-linked (ONNX Runtime refuses
    external data behind a symlink that leaves the folder): a folder a test may edit."""
    folder = tmp_path / "model"
    for path in MODEL.rglob("*"):
        target = folder / path.relative_to(MODEL)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif path.stat().st_size > 1 << 20:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    return folder


def _edit_json(path, **changes):
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def test_prompts_come_from_the_model_folder(tmp_path):
    folder = _model_copy(tmp_path)
    _edit_json(folder / "config_sentence_transformers.json", prompts={"query": "问题：", "passage": "段落："})
    edited, original = Encoder(str(folder)), Encoder(str(MODEL))
    assert edited.prompts == {"query": "问题：", "passage": "段落："}
    assert np.allclose(edited.queries(["会员有多少"]), original.encode(["问题：会员有多少"], "none"), atol=1e-6)
    assert np.allclose(original.queries(["会员有多少"]), original.encode(["query: 会员有多少"], "none"), atol=1e-6)


@pytest.mark.parametrize("config, expected", [
    ({"pooling_mode_mean_tokens": True}, ("mean",)),
    ({"pooling_mode_cls_token": True, "pooling_mode_max_tokens": True}, ("cls", "max")),
    ({"pooling_mode": "lasttoken"}, ("lasttoken",)),
    ({"pooling_mode": ["mean", "cls"]}, ("mean", "cls")),
    ({}, ("mean",)),
])
def test_pooling_modes_are_read_in_either_format(tmp_path, config, expected):
    folder = _model_copy(tmp_path)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 384, **config}))
    layout = read_layout(folder)
    assert layout.pooling == expected and layout.dimension == 384 * len(expected)


def test_a_pooling_the_encoder_does_not_serve_names_the_torch_backend(tmp_path):
    folder = _model_copy(tmp_path)
    _edit_json(folder / "1_Pooling" / "config.json", pooling_mode_mean_tokens=False,
               pooling_mode_weightedmean_tokens=True)
    with pytest.raises(ModelError, match="QA_BACKEND=torch"):
        Encoder(str(folder))


def test_an_older_export_names_the_fix(tmp_path):
    folder = _model_copy(tmp_path)
    (folder / "onnx" / "model_qint8_avx2.onnx.embeddings").unlink()  # a link: the model keeps its own
    with pytest.raises(ModelError, match="make setup"):
        Encoder(str(folder))
