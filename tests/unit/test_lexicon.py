"""jieba on the compact tables gives exactly what stock jieba gives."""
from __future__ import annotations

import logging
import re

import jieba
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.knowledge import lexicon
from bot.testing.evaluation import load_cases
from bot.knowledge.load import load_facts
from support import FACTS, ROOT


@pytest.fixture(scope="module")
def stock():
    """A stock jieba tokenizer and tagger, independent of the process-wide one."""
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer, jieba.posseg.POSTokenizer(tokenizer)


@pytest.fixture(scope="module")
def compact(tmp_path_factory):
    assert lexicon.install(tmp_path_factory.mktemp("index") / lexicon.CACHE)
    import jieba.posseg

    assert isinstance(jieba.dt.FREQ, lexicon.Table) and isinstance(jieba.posseg.dt.word_tag_tab, lexicon.Table)
    return jieba.dt, jieba.posseg.dt


def _texts() -> list[str]:
    article = (FACTS / "article.txt").read_text(encoding="utf-8")
    texts = [s for s in re.split(r"(?<=[。！？；\n])", article) if s.strip()]
    for fact in load_facts(FACTS).facts:
        texts += [fact.text, *fact.questions]
    return texts + [c.q for c in load_cases(ROOT / "tests" / "data" / "questions.yaml")]


def test_every_frequency_and_tag_is_jiebas(stock, compact):
    (tok, pos), (ctok, cpos) = stock, compact
    assert ctok.total == tok.total and len(ctok.FREQ) == len(tok.FREQ) > 400_000
    assert all(ctok.FREQ[k] == v for k, v in tok.FREQ.items())  # words and their prefixes (0)
    assert all(cpos.word_tag_tab.get(k) == v for k, v in pos.word_tag_tab.items())
    for missing in ("不是一个词语哦", "", "zzz", "山西省总工会工会"):
        assert missing not in ctok.FREQ and ctok.FREQ.get(missing) is None
        assert cpos.word_tag_tab.get(missing, "x") == "x"
    with pytest.raises(KeyError):
        ctok.FREQ["不是一个词语哦"]


def test_segmentation_and_tags_are_jiebas_on_the_article_facts_and_questions(stock, compact):
    (tok, pos), (ctok, cpos) = stock, compact
    texts = _texts()
    assert len(texts) > 1200
    for text in texts:
        assert [tuple(p) for p in cpos.cut(text)] == [tuple(p) for p in pos.cut(text)], text
        assert ctok.lcut_for_search(text) == tok.lcut_for_search(text), text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=40),
                      st.text(alphabet=st.sampled_from(list("山西省总工会太原张三丰李的了在1２a。， ")),
                              max_size=30)))
def test_segmentation_and_tags_are_jiebas_on_any_text(stock, compact, text):
    (tok, pos), (ctok, cpos) = stock, compact
    assert [tuple(p) for p in cpos.cut(text)] == [tuple(p) for p in pos.cut(text)]


def test_tables_are_built_once_and_small(tmp_path):
    folder = lexicon.prepare(tmp_path)
    stamp = (folder / "meta.json").stat().st_mtime_ns
    assert lexicon.prepare(tmp_path) == folder and (folder / "meta.json").stat().st_mtime_ns == stamp
    size = sum(f.stat().st_size for f in folder.iterdir())
    assert size < 8 * 2**20, size  # the Python dicts they replace take ~90 MB
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no scratch folder left


def test_unwritable_cache_keeps_stock_jieba_with_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(jieba.dt, "FREQ", {})  # as if nothing were installed yet
    blocked = tmp_path / "index"
    blocked.write_text("a file where the index folder should be")  # unwritable, even for root
    assert lexicon.install(blocked / lexicon.CACHE) is False
    assert "stays in Python dicts" in caplog.text
