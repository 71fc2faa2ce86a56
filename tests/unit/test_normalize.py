from bot.pipeline.normalize import clean, normalize, strip_preamble


def test_traditional_folds_to_simplified():
    assert normalize("山西現在有多少個工會組織？") == "山西现在有多少个工会组织"


def test_full_width_digits_and_letters_fold_to_half_width():
    assert normalize("６１４２８个 ＡＢＣ") == "61428个 abc"


def test_case_and_whitespace():
    assert normalize("  Trade\t\n UNION  ") == "trade union"


def test_emoji_kept_control_and_format_characters_dropped():
    assert normalize("\ufeff工会\u200b👍\x00\x07") == "工会👍"


def test_lone_surrogates_do_not_crash():
    assert normalize("\ud800工会\udfff") == "工会"


def test_clean_keeps_newlines():
    assert clean("a\nb\x1bc") == "a\nbc"


def test_links_and_mentions_are_noise():
    from bot.pipeline.normalize import strip_noise

    assert strip_noise("@other_bot 你好 https://a.example/x?q=1 www.b.cn/y").split() == ["你好"]
    assert strip_noise("mail me: a@b.cn").split() == ["mail", "me:", "a@b.cn"]


def test_openers_that_only_introduce_a_question_are_dropped():
    assert strip_preamble("再问个，长钢亏了多少") == "长钢亏了多少"
    assert strip_preamble("新话题：全委会几号开的") == "全委会几号开的"
    assert strip_preamble("文章里说的曹晓斌是哪里的") == "曹晓斌是哪里的"
    assert strip_preamble("btw 5年评了多少全国劳模") == "5年评了多少全国劳模"
    assert strip_preamble("问一下") == "问一下"  # nothing would remain
    assert strip_preamble("问责怎么搞") == "问责怎么搞"  # not an opener


def test_everyday_expressions_get_the_articles_term_appended():
    from bot.pipeline.normalize import expand_everyday, expand_english
    glossary = (("拉人入会", "发展会员"), ("金点子", "合理化建议"), ("union", "工会"))
    assert expand_everyday("2011年拉人入会多少", glossary) == "2011年拉人入会多少 发展会员"
    assert expand_everyday("金点子和合理化建议", glossary) == "金点子和合理化建议"  # the term is there already
    assert expand_everyday("发展会员多少", glossary) == "发展会员多少"
    assert expand_english("union 拉人入会", glossary) == "union 拉人入会 工会"        # English expands English only
