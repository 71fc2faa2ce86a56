"""The numpy BM25 reader scores exactly as bm25s does, on the files bm25s saved."""
from __future__ import annotations

import numpy as np
import pytest

from bot.testing.evaluation import load_cases
from bot.knowledge.bm25 import BM25
from bot.knowledge.lexical import tokenize
from bot.pipeline.normalize import normalize
from support import ROOT


@pytest.fixture(scope="module")
def pair(engine):
    import bm25s

    folder = engine.index.root / "bm25"
    return BM25(folder), bm25s.BM25.load(str(folder))


def test_vocabulary_and_matrix_are_bm25s(pair):
    ours, theirs = pair
    assert ours.vocab_dict == theirs.vocab_dict
    for key in ("data", "indices", "indptr"):
        assert np.array_equal(ours.scores[key], theirs.scores[key])
    assert ours.scores["num_docs"] == theirs.scores["num_docs"]


def test_scores_are_bm25s_for_every_evaluation_question_and_fact(pair, engine):
    ours, theirs = pair
    texts = [normalize(c.q) for c in load_cases(ROOT / "tests" / "data" / "questions.yaml")]
    texts += [normalize(q) for f in engine.base.facts for q in f.questions]
    checked = 0
    for text in texts:
        tokens = [t for t in dict.fromkeys(tokenize(text, engine.settings.tokenizer)) if t in ours.vocab_dict]
        if not tokens:
            continue
        assert np.array_equal(ours.get_scores(tokens), theirs.get_scores(tokens)), text
        checked += 1
    assert checked > 500


def test_unknown_tokens_are_left_out_and_the_empty_token_refused(pair):
    ours, theirs = pair
    known = next(iter(ours.vocab_dict))
    assert np.array_equal(ours.get_scores([known, "没有这个词zz"]), theirs.get_scores([known, "没有这个词zz"]))
    with pytest.raises(ValueError):
        ours.get_scores([""])
    with pytest.raises(ValueError):
        theirs.get_scores([""])
