"""Spelling: homophone typos of the article's own words are respelled, and nothing else is."""
from bot.pipeline.spelling import Speller

ARTICLE = "全国劳模82人。年底。山西煤矿百万吨死亡率0.09。西山煤电集团公司工会。曹晓斌是北格镇工会联合会主席。各市工会。"
WORDS = ("年底", "全国", "劳模", "山西", "煤矿", "百万吨", "死亡率", "西山", "煤电", "集团公司", "工会", "北格镇",
         "联合会", "主席", "各市")
SPELL = Speller(ARTICLE, WORDS, names=("曹晓斌", "西山煤电"))


def test_homophone_typos_of_the_articles_words_are_respelled():
    assert SPELL("全国劳摸有多少人") == "全国劳模有多少人"
    assert SPELL("山西煤旷死亡率") == "山西煤矿死亡率"
    assert SPELL("曹小斌是哪里的主席") == "曹晓斌是哪里的主席"


def test_confusable_initials_and_finals_count_as_the_same_sound():
    assert SPELL("西三煤电工会") == "西山煤电工会"  # s/sh


def test_real_words_function_characters_and_other_sounds_stay():
    assert SPELL("陕西有多少工会") == "陕西有多少工会"       # a common word, though it sounds like 山西
    assert SPELL("各是多少") == "各是多少"                   # 是 is a function character, not 市
    assert SPELL("2012年比2009年低了多少") == "2012年比2009年低了多少"  # 年 after a number is the year's
    assert SPELL("深圳有多少工会") == "深圳有多少工会"       # no article word sounds like it
    assert SPELL("how many unions") == "how many unions"
    assert SPELL("大同市有多少工会") == "大同市有多少工会"     # a place: 大同 inside is a common word


def test_a_number_and_its_unit_are_cut_from_a_typo_after_them():
    spell = Speller("全国劳模82人。评选表彰。", ("全国劳模", "评选", "表彰"))
    assert spell("全国劳摸5年表章了多少人") == "全国劳模5年表彰了多少人"  # jieba reads 5年表章 as 5 年表 章


def test_a_typo_glued_to_its_neighbour_is_read_by_character():
    assert SPELL("全国劳摸评了多少人") == "全国劳模评了多少人"  # jieba reads 劳摸评 as one word


def test_two_candidates_that_sound_alike_leave_the_text_as_written():
    twins = Speller("公会 工会", ("公会", "工会"))
    assert twins("供会") == "供会"


def test_a_misspelled_place_elsewhere_is_respelled_only_before_a_suffix():
    spell = Speller(ARTICLE, WORDS, names=("曹晓斌",), elsewhere=("河南", "湖南", "广东", "大同"))
    assert spell("河难省每年有多少劳模") == "河南省每年有多少劳模"
    assert spell("去广冬省的工会") == "去广东省的工会"
    assert spell("大桐市有多少工会") == "大同市有多少工会"
    assert spell("河难每年有多少劳模") == "河难每年有多少劳模"     # no 省 or 市: not read as a place
    assert spell("山西省有多少劳模") == "山西省有多少劳模"         # the article's own place stays


def test_a_typo_matches_any_reading_of_a_heteronym():
    spell = Speller("首钢长钢第一次民主评议会。", ("首钢", "长钢", "民主", "评议会"), names=("长钢",))
    assert spell("常钢第一次民主评议会") == "长钢第一次民主评议会"  # 长 reads zhang or chang
    assert spell("张钢第一次民主评议会") == "长钢第一次民主评议会"  # and its first reading still counts
    spell = Speller("潞安煤业集团常村煤矿的内部市场化管理。", ("潞安", "常村", "煤矿"), names=("常村",))
    assert spell("长村煤矿搞的是什么管理") == "常村煤矿搞的是什么管理"  # the typo may be the heteronym
