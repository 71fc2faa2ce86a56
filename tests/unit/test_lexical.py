import pytest

from bot.knowledge.lexical import tokenize, toneless_pinyin


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


def test_syllables_are_pypinyins_for_every_character():
    """toneless_pinyin reads pypinyin's table itself (importing pypinyin would load its phrase
    dictionary too): each character's syllable is still the one pypinyin gives it alone."""
    import pypinyin

    chars = "".join(chr(c) for lo, hi in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF)) for c in range(lo, hi + 1))
    expected = [pypinyin.lazy_pinyin(c, style=pypinyin.Style.NORMAL)[0] for c in chars]
    assert toneless_pinyin(chars) == expected
    assert toneless_pinyin("绿女工会") == ["lv", "nv", "gong", "hui"]
