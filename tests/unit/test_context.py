"""Conversation context: which messages lean on the previous question, how they are read, and
the memory's limits (expiry by time and by follow-ups, the LRU bound, /new)."""
from bot.pipeline.context import LEANS, MAY_LEAN, STANDS, Conversations, Turn, core, is_followup, readings
from bot.pipeline.effects import effect_readings

NAMES = {"people": ("贾向东", "曹晓斌"), "organizations": ("长钢", "西山煤电"), "places": ("山西", "汾阳", "阳泉", "广东")}
ARTICLE = "2010年是以餐饮业为重点组建月期间全省新增工会组织1523个县级帮扶中心122个乡镇帮扶站1196个长钢的民主评议会"


def turn(question, facts=("f",)):
    return Turn(question, facts, 0.0)


def texts(message, previous, fact=""):
    return [r for r, _ in readings(message, turn(previous), NAMES, ARTICLE, 2013, fact)]


def test_which_messages_lean_on_the_previous_question():
    for message in ("那2011年呢", "人数呢", "他是干哪一行的", "为啥要这么做", "后来结果如何", "2013年勒", "前一年呢",
                    "实行以后效果咋样"):
        assert is_followup(message) == LEANS, message
    for message in ("煤矿百万吨死亡率降到多少了", "长钢亏了多少钱", "山西全省有多少工会会员"):
        assert is_followup(message) == STANDS, message
    # names no article name while the previous question did: may lean, and is also read alone
    assert is_followup("评议结果咋算", "长钢的民主评议会开了几场", ("长钢",)) == MAY_LEAN
    assert is_followup("评议结果咋算", "山西有多少工会会员", ("长钢",)) == STANDS


def test_another_year_replaces_the_year():
    assert texts("那2011年呢", "2010年组建月新增了多少工会组织")[0] == "2011年组建月新增了多少工会组织"
    assert texts("前一年呢", "2012年组建月新增了多少工会组织")[0] == "2011年组建月新增了多少工会组织"
    assert texts("去年呢", "2010年组建月新增了多少工会组织")[0] == "2012年组建月新增了多少工会组织"


def test_another_year_with_another_attribute_swaps_both():
    assert "2013年组建月的主题是什么" in texts("那2013年的主题呢", "2012年组建月的重点是什么")


def test_a_whole_question_after_na_may_stand_alone():
    assert is_followup("那2012年长钢利润多少", "长钢可比产品成本降了多少", ("长钢",)) == MAY_LEAN
    assert is_followup("那2011年新增多少") == LEANS


def test_a_sum_over_two_new_years_in_short_form_replaces_the_previous_list():
    assert texts("那12年和13年加起来呢", "2010年和2011年组建月新增的工会组织加起来多少个")[0] == \
        "2012年和2013年组建月新增的工会组织加起来多少个，一共多少"


def test_two_years_replace_two_years_in_order():
    assert texts("2009到2012呢", "煤矿百万吨死亡率从2006年到2012年降了多少")[0] == "煤矿百万吨死亡率从2009年到2012年降了多少"


def test_a_year_with_its_own_question_is_not_put_in_front_of_the_previous_one():
    read = texts("会上把2013年定为什么年", "省总全委会是哪天开的")
    assert "2013年省总全委会是哪天开的" not in read
    assert "2013年省总全委会是哪天开的" in texts("那2013年呢", "省总全委会是哪天开的")


def test_why_how_and_effect_go_on_about_the_previous_question_without_its_asking_words():
    assert "首钢长钢一度到了停产边缘后来怎么扭转的" in texts("后来怎么扭转的", "首钢长钢为什么一度到了停产边缘")
    assert "山西推进职工文化建设搞得怎么样了" in texts("搞得怎么样了", "山西是怎么推进职工文化建设的")


def test_another_place_or_name_replaces_its_kind():
    assert texts("阳泉那次呢", "汾阳的财务现场推进会是什么时候开的")[0] == "阳泉的财务现场推进会是什么时候开的"
    assert texts("那广东呢", "全省有多少工会会员")[0] == "广东全省有多少工会会员"  # Shanxi was implied


def test_another_organisation_replaces_the_whole_run_of_names_and_owns_its_place():
    names = {"organizations": ("潞安煤业集团", "常村煤矿", "太原公交公司"), "places": ("太原",)}
    out = readings("太原公交公司呢", turn("潞安煤业集团常村煤矿搞的是什么管理"), names, ARTICLE, 2013)
    assert out[0] == ("太原公交公司搞的是什么管理", "name")
    assert all("太原潞安" not in r and "常村煤矿" not in r for r, rule in out if rule == "name")


def test_pronouns_take_the_subject_of_their_kind():
    assert "贾向东是干哪一行的" in texts("他是干哪一行的", "谁是省电建二公司的焊工劳模", "省电建二公司焊工贾向东")
    assert "长钢的民主评议会为啥要这么做" in texts("为啥要这么做", "长钢的民主评议会是什么时候第一次召开的")


def test_another_subject_of_the_same_frame():
    assert "乡镇帮扶中心有多少个" in texts("乡镇的呢", "县级帮扶中心有多少个")


def test_a_follow_up_with_no_words_of_its_own_is_never_read_alone():
    assert all(r != "那2009年的呢" for r in texts("那2009年的呢", "2010年组建月新增了多少工会组织"))
    assert core("那2011年呢？") == "2011年"


def test_context_expires_after_minutes_and_follow_ups():
    now = [0.0]
    memory = Conversations(minutes=10, followups=2, clock=lambda: now[0])
    memory.remember("c", "q1", ("f",), followup=False)
    now[0] = 9 * 60
    assert memory.last("c").question == "q1"
    now[0] = 11 * 60
    assert memory.last("c") is None  # ten minutes passed
    memory.remember("c", "q1", ("f",), followup=False)
    memory.remember("c", "q2", ("f",), followup=True)
    assert memory.last("c").followups == 1
    memory.remember("c", "q3", ("f",), followup=True)
    assert memory.last("c") is None  # two follow-ups used up
    memory.remember("c", "q4", ("f",), followup=False)
    assert memory.last("c").followups == 0  # a standalone question starts a new chain


def test_memory_is_bounded_least_recently_used_first_and_new_clears():
    memory = Conversations(chats=3)
    for chat in "abcd":
        memory.remember(chat, "q", ("f",), followup=False)
    assert len(memory) == 3 and memory.last("a") is None
    memory.last("b")  # b is used again: c is now the oldest
    memory.remember("e", "q", ("f",), followup=False)
    assert memory.last("c") is None and memory.last("b") is not None
    memory.clear("b")
    assert memory.last("b") is None


def test_arithmetic_follow_ups_join_the_previous_item_and_the_new_one():
    assert is_followup("比它少多少") == LEANS and is_followup("2013年比2012年多了多少") == LEANS
    assert is_followup("再加上乡镇帮扶站呢") == LEANS
    assert is_followup("县级帮扶中心和乡镇帮扶站哪个多") == STANDS  # names both items itself
    assert texts("2013年比它多了多少", "2012年组建月新增了多少工会组织")[0] == \
        "2012年和2013年组建月新增了多少工会组织，相差多少"
    assert texts("2010到2012三年一共多少", "2010年组建月新增了多少工会组织")[0] == \
        "2010年、2011年和2012年组建月新增了多少工会组织，一共多少"
    assert texts("再加上乡镇帮扶站呢", "县级帮扶中心有多少个")[0] == "县级帮扶中心和乡镇帮扶站一共多少"
    assert texts("差多少", "县级帮扶中心和乡镇帮扶站哪个多")[0] == "县级帮扶中心和乡镇帮扶站相差多少"
    # a total over a span of years that names nothing new leans, though it has words of its own
    assert is_followup("2010到2013这四年一共新增多少", "2010年组建月新增工会组织多少个") == LEANS
    assert is_followup("2012年山西煤矿一共死亡多少人", "山西煤矿百万吨死亡率是全国的百分之多少") != LEANS


def test_the_two_just_compared_are_added_up():
    last = Turn("工人先锋号比奖状多多少", ("a", "b"), 0.0, read="工人先锋号比奖状多多少")
    assert readings("两个加起来呢", last, NAMES, ARTICLE, 2013)[0] == ("工人先锋号和奖状一共多少", "arith")


def test_arithmetic_over_the_two_last_questions():
    memory = Conversations()
    memory.remember("c", "2012年组建月新增了多少工会组织", ("a",), False)
    memory.remember("c", "2012年组建月新增了多少工会组织", ("b",), True, read="2013年组建月新增了多少工会组织")
    last = memory.last("c")
    assert (last.earlier, last.read) == ("2012年组建月新增了多少工会组织", "2013年组建月新增了多少工会组织")
    assert readings("哪年多", last, NAMES, ARTICLE, 2013)[0] == ("2012年和2013年组建月新增了多少工会组织，哪年多", "arith")
    memory.remember("c", "县级帮扶中心有多少个", ("a",), False)  # a standalone question starts a new chain
    assert memory.last("c").earlier == ""


def test_a_longer_subject_replaces_its_counterpart():
    assert "五星级基层工会有多少个" in texts("五星级基层工会呢", "五星级乡镇(街道)工会有多少个")


def test_another_date_replaces_the_whole_date():
    assert texts("那5月份呢", "今年7月12号省总开了什么会")[0] == "5月份省总开了什么会"
    assert texts("那2010年呢", "2012年9月全总在山西开了什么会")[0] == "2010年全总在山西开了什么会"
    assert texts("同年3月8日呢", "2011年1月5日谁被表彰了")[0] == "2011年3月8日谁被表彰了"


def test_a_date_without_its_year_keeps_the_previous_year_and_may_drop_the_place():
    assert texts("那2月20号呢", "2012年1月5日长钢开了什么会")[0] == "2012年2月20号长钢开了什么会"
    assert "6月省总开了个什么会" in texts("6月那次呢", "今年4月省总在长钢开了个什么会")


def test_a_bare_effect_asks_how_it_went():
    assert "长钢的民主评议会效果怎么样" in texts("效果呢", "长钢的民主评议会开了多少场")


def test_another_counted_noun_replaces_the_counted_one():
    assert texts("会员呢", "2013年组建月新增多少工会组织")[0] == "2013年组建月新增多少会员"


def test_an_average_follow_up_is_read_per_what_the_last_question_counted():
    assert texts("平均每个覆盖几个法人单位", "全省工会组织有多少个")[0] == "全省工会组织平均每个覆盖几个法人单位"
    texts("那平均每个工会多少会员呢", "全省工会组织有多少个")  # names what it is per: no arithmetic reading, no error


def test_a_new_date_with_its_own_ask_replaces_the_old_date():
    out = texts("2012年2月20日呢，干了啥", "西山煤电工会2012年1月5日得了什么荣誉")
    assert "西山煤电2012年2月20日，干了啥" in out
    assert not any("1月5日" in r for r in out)  # no reading keeps both dates


def test_a_bare_attribute_follows_what_the_previous_question_counted():
    article = ARTICLE + "11个市全部建立了困难职工帮扶中心"
    out = [r for r, _ in readings("是什么星级的", turn("山西有几个市建立了困难职工帮扶中心"), NAMES, article, 2013)]
    assert "困难职工帮扶中心是什么星级的" in out


def test_the_frame_of_a_question_drops_a_dangling_preposition():
    assert "西山煤电帮扶机制基础是啥" in texts("基础是啥", "西山煤电帮扶机制以什么为保证")


def test_a_bare_effect_follow_up_reads_as_the_effect_question_of_the_same_section_and_subject():
    from types import SimpleNamespace as Fact
    effect = ("有啥效果", "效果怎么样", "搞了以后有什么变化")
    facts = [Fact(id="policy", section="勤俭", text="省总提出勤俭办会方针。", asked=("为啥要勤俭办会",)),
             Fact(id="result", section="勤俭", text="勤俭办会初见成效。", asked=("勤俭办会有啥效果？", *effect)),
             Fact(id="bus", section="民主", text="省总推广：太原公交公司实行工资联审制度。", asked=("太原公交搞了什么制度",)),
             Fact(id="steel", section="民主", text="省总肯定：民主评议会给长钢带来好处。", asked=("长钢有什么好处", *effect))]
    names = ("省总", "太原公交公司", "长钢")  # 省总 is in most facts: the article's actor, no subject
    assert effect_readings("效果咋样", "policy", facts, names) == [("勤俭办会有啥效果", "effect")]
    assert effect_readings("效果咋样", "bus", facts, names) == []            # 长钢's effect is not 太原公交's
    assert effect_readings("其中有几场结果是不满意的", "policy", facts, names) == []  # it asks its own thing
    assert effect_readings("评议结果怎么判定", "policy", facts, names) == []         # a result by name
    assert effect_readings("后来结果如何", "policy", facts, names) == [("勤俭办会有啥效果", "effect")]


def test_a_short_question_naming_a_new_subject_of_the_article_stands_alone():
    assert is_followup("Who is 曹晓斌", "2010年组建月新覆盖法人单位多少", ("曹晓斌", "长钢")) == STANDS
    assert is_followup("曹晓斌呢", "贾向东是干什么的", ("曹晓斌", "贾向东")) == LEANS  # …呢 still leans


def test_a_follow_up_asking_its_own_thing_in_another_year_is_not_the_old_question_again():
    out = texts("那长钢2012年利润是多少", "长钢2012年和2009年比可比产品成本降低了多少")
    assert "长钢2012年和2012年比可比产品成本降低了多少" not in out
    assert "2013年贾向东是哪个单位的焊工" not in texts("他今年多大岁数", "贾向东是哪个单位的焊工")
    assert texts("那2011年呢", "2010年组建月新增了多少工会组织")[0] == "2011年组建月新增了多少工会组织"
