import pytest

from bot.lexical import tokenize


def test_bigrams_split_chinese_and_keep_numbers_whole():
    assert tokenize("工会会员61428个", "bigram") == ["工会", "会会", "会员", "61428", "个"]


def test_pinyin_bigrams_make_homophone_typos_match():
    right = set(tokenize("工会", "bigram+pinyin"))
    typo = set(tokenize("公会", "bigram+pinyin"))
    assert right & typo == {"py:gong_hui"}


def test_jieba_words():
    assert "会员" in tokenize("山西省有多少会员", "jieba")


def test_unknown_mode_rejected():
    with pytest.raises(ValueError):
        tokenize("x", "words")
