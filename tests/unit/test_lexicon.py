"""jieba on the compact tables gives exactly what stock jieba gives, and the bot's jieba is its own."""
from __future__ import annotations

import ast
import json
import logging
import os
import re
import subprocess
import sys

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
    """The bot's own tokenizer and tagger over the compact tables."""
    lex = lexicon.Lexicon.compact(lexicon.prepare(tmp_path_factory.mktemp("index") / lexicon.CACHE))
    assert isinstance(lex.tokenizer.FREQ, lexicon.Table) and isinstance(lex.tagger.word_tag_tab, lexicon.Table)
    return lex.tokenizer, lex.tagger


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
    monkeypatch.setattr(lexicon, "_installed", [])  # as if nothing were installed yet
    blocked = tmp_path / "index"
    blocked.write_text("a file where the index folder should be")  # unwritable, even for root
    assert lexicon.install(blocked / lexicon.CACHE) is False
    assert "stays in Python dicts" in caplog.text


def test_the_stock_fallback_is_the_bots_own_too(stock):
    tok, pos = stock
    own = lexicon.Lexicon.stock()
    assert own.tokenizer is not jieba.dt and own.tokenizer.total == tok.total
    for text in ("长钢民主平议会开了几场了", "山西省总工会2012年有多少会员？", "How many 工会 members"):
        assert [tuple(p) for p in own.tagger.cut(text)] == [tuple(p) for p in pos.cut(text)]
        assert own.tokenizer.lcut(text) == tok.lcut(text)


# In a fresh process: the state jieba keeps for every user in it, before and after the bot installs
# its tables, segments, tags and counts through every stage that does, tokenises for BM25 with
# jieba, and reads jieba's dictionary file for its stock lexicon.
UNTOUCHED = """
import json, logging, sys
import jieba

def state():
    return {"dt": {k: repr(v)[:80] for k, v in vars(jieba.dt).items()} | {"FREQ": len(jieba.dt.FREQ)},
            "jieba": sorted(f"{k}={id(v)}" for k, v in vars(jieba).items()),
            "modules": sorted(m for m in sys.modules if m.startswith("jieba")),
            "logger": logging.getLogger("jieba").level}

before = state()
from bot.knowledge import lexical, lexicon
from bot.pipeline import context, engine, parts, spelling, text

assert lexicon.install(sys.argv[1])
used = [lexicon.cut("山西省总工会会员"), [tuple(p) for p in lexicon.posseg().cut("长钢民主平议会")],
        lexicon.word_frequency("工会"), lexical.tokenize("山西省总工会会员", "jieba"),
        text.read("2012年山西有多少工会会员").words, parts.parts("2010年和2011年各新增多少工会组织"),
        context.is_followup("那2011年呢", "2010年组建月新增了多少工会组织"),
        lexicon.Lexicon.stock().tagger.lcut("长钢民主平议会")]
print(json.dumps({"before": before, "after": state(), "compact": isinstance(lexicon.current().tokenizer.FREQ, lexicon.Table)}))
"""


def test_the_bot_leaves_jiebas_own_state_alone(tmp_path):
    done = subprocess.run([sys.executable, "-c", UNTOUCHED, str(tmp_path / lexicon.CACHE)], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["compact"]
    assert result["after"] == result["before"]  # jieba.dt, jieba's attributes, modules and logger as they were
    assert "jieba.posseg" not in result["after"]["modules"]


def test_only_the_lexicon_imports_jieba():
    """Every jieba call of the bot goes through its own instances in bot/knowledge/lexicon.py."""
    importers = set()
    for path in (ROOT / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n == "jieba" or n.startswith("jieba.") for n in names):
                importers.add(path.relative_to(ROOT).as_posix())
    assert importers == {"bot/knowledge/lexicon.py"}
