"""Scope checks that are facts about the article, not judgements: other months, years, kinds of
figure and levels of place."""
import pytest

from bot.pipeline.scope import (Scope, other_kind_of_figure, other_months, other_relative_year, several_years,
                                unlisted_items, unstated_detail, within_a_total)


def test_a_fact_dated_in_other_months_does_not_answer():
    fact = "2013年6月，中华全国总工会在山西召开了全国工会法律援助维权服务现场工作会。"
    assert other_months("今年4月全总在山西开了什么会", fact)
    assert not other_months("今年6月全总在山西开了什么会", fact)
    assert not other_months("全总在山西开了什么会", fact)  # no month asked
    assert not other_months("4月开了什么会", "2012年，山西工资集体协商工作受到批示。")  # the fact has no month
    assert not other_months("2010年12月出台了什么", "2010年12月，省总出台了意见。")


def test_a_year_after_the_article_is_out_of_scope():
    scope = Scope("2010年、2011年……2013年", 2013)
    assert scope.unknown("明年五一表彰名额有多少").startswith("year:")
    assert scope.unknown("2011年组建月新增多少工会") == ""


CUT = "2013年1月~8月份，山西省总机关的经费支出与去年同期相比减少了21%。"
FUNDS = "2008年以来，山西省总拿出3000余万元用于困难职工帮扶救助资金配套。"
PRIZE = "2013年山西工会推出了山西新一代劳模典型、省电建二公司焊工贾向东。"


@pytest.mark.parametrize("question, fact, other", [
    ("具体少花了多少钱", CUT, True),             # an amount of money against a percentage
    ("省总拿出了多少钱", FUNDS, False),
    ("经费支出比去年省了多少", CUT, False),      # a share, not an amount, is asked
    ("贾向东今年多少岁", PRIZE, True),           # an age against a prize
    ("贾向东多大年纪了", PRIZE, True),
    ("贾向东是哪个单位的", PRIZE, False),
    ("贾向东是哪里人，老家在哪", PRIZE, True),    # a home town against his work unit
    ("贾向东是哪里人", "贾向东，山西省阳泉市人，省电建二公司焊工。", False),
    ("贾向东在省电建二公司干了多少年了", PRIZE, True),   # how long, against a fact that gives no span
    ("帮扶资金配套搞了多长时间", FUNDS, True),           # a start year is not a span
    ("星级工会创建搞了多长时间", "经过4年的创建，山西全省共有五星级基层工会348个。", False),
    ("慰问演出办了几年了", "山西省总工会连续4年开展了慰问演出。", False),
    ("职代会多久开一次", "山西建工集团坚持每年召开两次职代会。", False),  # how often is not how long
    ("文艺骨干培训搞了几年了", "山西省总连续两年在全省大规模开展基层职工文艺骨干培训。", False),
    ("横幅上庆祝党成立多少年", "版面横幅：热烈庆祝中国共产党成立90周年。", False),
    ("扭亏为盈后全年赚了多少钱", "2009年，长钢在消化上半年亏损4.5亿元的情况下，全年扭亏为盈。", True),  # a loss made up
    ("全年盈利多少", "全年实现盈利2.3亿元。", False),
    ("Did Changgang make a profit in 2009?", "2009年，长钢在消化上半年亏损4.5亿元的情况下，全年扭亏为盈。", False),  # not an amount
    ("上半年亏了多少钱", "2009年，长钢在消化上半年亏损4.5亿元的情况下，全年扭亏为盈。", False),
])
def test_money_an_age_or_a_home_town_is_answered_only_by_a_fact_that_states_one(question, fact, other):
    assert other_kind_of_figure(question, fact) is other


def test_which_province_is_answered_only_by_a_fact_that_names_another():
    scope = Scope("山西在全国大赛中连续两届获得总成绩第二名。", 2013, ("山西",))
    second = "山西在全国职工职业技能大赛中连续两届获得总成绩第二名。"
    assert scope.other_province("那两届第一名是哪个省", second)
    assert scope.other_province("which province came first?", second)  # questions arrive lower-cased
    assert not scope.other_province("第一名是哪个省", "全国大赛中，江苏获得总成绩第一名，山西第二名。")
    assert not scope.other_province("第一名是谁", second)


def test_which_city_is_answered_only_by_a_fact_that_names_one():
    scope = Scope("全总在山西召开现场会。在汾阳召开推进会。", 2013, ("山西", "汾阳", "全国"))
    assert scope.other_level_of_place("具体在山西哪个城市开的", "2013年6月，全总在山西召开了现场工作会。")
    assert not scope.other_level_of_place("在哪个城市开的", "2011年11月，省总在汾阳召开了推进会。")
    assert not scope.other_level_of_place("什么时候开的", "2013年6月，全总在山西召开了现场工作会。")


def test_the_words_or_the_day_are_answered_only_by_a_fact_that_gives_them():
    remark = "2012年，新华社专题报道了山西工资集体协商工作，原国家领导人王兆国等作了重要批示。"
    asked = "省委书记先后两次作出重要批示予以充分肯定并提出新的要求。"
    assert unstated_detail("王兆国的批示原话是怎么写的", remark)
    assert unstated_detail("批示具体写了什么", remark)
    assert not unstated_detail("批示具体写了什么", asked)                   # it says what was asked for
    assert not unstated_detail("谁作了批示", remark)
    assert unstated_detail("汾阳那次推进会具体是11月几号开的", "2011年11月，省总在汾阳召开了推进会。")
    assert not unstated_detail("全委会是哪天开的", "2013年3月25日，山西省总工会召开全委会。")
    assert unstated_detail("两次批示分别是哪一年作的", asked)                  # no year stated
    assert not unstated_detail("哪一年作的批示", remark)
    assert not unstated_detail("今年定为什么年", "山西省总工会把2013年确定为“调查研究年”。")  # not a year asked


def test_where_it_took_place_is_answered_only_by_a_fact_that_names_a_place():
    scope = Scope("", 2013, ("山西", "汾阳", "全国"), ("西山煤电集团公司", "全总"))
    assert scope.no_venue("全委会是在什么地方开的", "2013年3月25日，山西省总工会召开十二届五次全委（扩大）会议。")
    assert not scope.no_venue("现场会在哪开的", "2011年3月22日，山西省总在西山煤电集团公司召开现场会。")
    assert not scope.no_venue("推进会在哪开的", "2011年11月，省总在汾阳召开了推进会。")
    assert not scope.no_venue("全委会是哪天开的", "2013年3月25日，山西省总工会召开十二届五次全委（扩大）会议。")
    assert not scope.no_venue("他在哪个单位上班", "省电建二公司焊工贾向东。")
    assert scope.no_venue("推进会具体是在哪个单位开的", "2011年11月，省总在汾阳召开了推进会。")
    assert not scope.no_venue("现场会是在哪家企业开的", "2011年3月22日，山西省总在西山煤电集团公司召开现场会。")
    assert scope.no_venue("全委会是在哪个会场开的", "2013年3月25日，山西省总工会召开十二届五次全委（扩大）会议。")
    assert scope.no_venue("表彰大会在什么礼堂办的", "省四套班子主要领导亲临全省五一表彰大会。")


def test_a_city_of_the_article_is_not_answered_by_the_provinces_figure():
    scope = Scope("全省职工提合理化建议484万条。西山煤电到北京作报告。", 2013, ("山西", "北京", "全省", "全国"))
    assert scope.other_place("北京职工5年来提了多少条合理化建议", "5年来，山西全省职工共提合理化建议484万余条。")
    assert not scope.other_place("西山煤电去北京干什么", "2012年2月20日，西山煤电报告团在北京作专场报告。")
    assert not scope.other_place("5年来提了多少条合理化建议", "5年来，山西全省职工共提合理化建议484万余条。")


def test_the_items_of_a_counted_group_are_answered_only_by_a_fact_that_holds_that_many():
    innovation = "山西工会开展技术革新、技术攻关、合理化建议、发明创造等职工技术创新活动，命名百个省级创新工作室。"
    stations = "井口群众安全工作站建成了“六站”：标杆站、宣传站、服务站、调度站、情报站、监督站。"
    assert unlisted_items("命名的百个省级创新工作室都有哪些", innovation)
    assert not unlisted_items("六站是哪六站", stations)
    assert not unlisted_items("命名了多少个创新工作室", innovation)  # a count, not the items, is asked
    assert not unlisted_items("五一表彰大会有哪些领导出席", "省四套班子主要领导亲临全省五一表彰大会。")  # 五一 is a name


def test_the_separators_of_a_groups_own_name_list_none_of_its_items():
    twofold = "阳泉“双措并举、二次覆盖”的工会组建经验在全国推广。"
    assert unlisted_items("阳泉双措并举的两项措施具体是什么", twofold)
    assert unlisted_items("“双措并举、二次覆盖”是哪两项措施", twofold)
    four = "广泛开展“星级工会创建”竞赛活动和深化“双亮、落实‘四权’”活动。"
    assert unlisted_items("双亮活动里的“四权”是哪四权", four)  # the second group counted is the one asked
    mechanism = "西山煤电集团工会形成的“3110”帮扶工作机制，即以集团帮扶中心、矿（厂）帮扶站为主。"
    assert not unlisted_items("3110帮扶机制具体是什么", mechanism)  # a name of four digits counts nothing


def test_a_year_named_relative_to_the_articles_must_be_one_the_dated_fact_covers():
    cut = "2013年1月~8月份，山西省总机关的经费支出与去年同期相比减少了21%。"
    assert other_relative_year("去年1至8月经费支出比前年同期减少了多少", cut, 2013)  # 2011 is not covered
    assert not other_relative_year("今年1到8月经费比去年少了多少", cut, 2013)          # 2012 is, by 去年同期
    assert other_relative_year("前年组建月新增了多少工会", "2012年工会组建月新增工会组织866个。", 2013)
    assert not other_relative_year("去年组建月新增了多少工会", "2012年工会组建月新增工会组织866个。", 2013)
    assert not other_relative_year("去年新增了多少", "5年来，山西全省新增工会组织1万个。", 2013)  # undated


def test_a_name_asked_by_role_is_answered_only_by_a_fact_that_names_one_of_the_articles_people():
    scope = Scope("", 2013, ("山西",), ("山西省总工会",), ("田喜荣", "贾向东"))
    unnamed = "省委书记先后两次作出重要批示。"
    assert scope.unnamed_person("那位省委书记叫什么名字", unnamed)
    assert scope.unnamed_person("拿第一的选手是谁", "山西焊工获得个人第一名。")
    assert scope.unnamed_person("新班子的一把手叫什么", "2008年9月首钢长钢新班子到任。")
    assert not scope.unnamed_person("省总工会主席是谁", "省总工会主席田喜荣在基层调研。")
    assert not scope.unnamed_person("是谁把名额压缩为292个的", "山西省总把名额压缩为292个。")  # no role asked


def test_which_company_is_answered_only_by_a_fact_that_names_an_organisation():
    scope = Scope("", 2013, ("山西",), ("首钢长钢", "市场调研评价处"), ())
    assert scope.unnamed_organisation("拿团体第一的是哪家企业的队伍", "山西钳工、焊工两个工种双双获得团体第一名。")
    assert not scope.unnamed_organisation("哪家企业开了26场评议会", "首钢长钢已经举行了26场民主评议会。")
    assert not scope.unnamed_organisation("是哪个单位的做法", "太原公交公司实行工资联审制度。")  # a kind of organisation
    assert not scope.unnamed_organisation("第一名是多少分", "山西获得团体第一名。")  # no organisation asked


def test_a_question_about_the_country_is_not_answered_by_the_provinces_own_figure():
    scope = Scope("", 2013, ("山西", "全省", "全国"))
    provincial = "山西成功举办了第三、第四届全省职工职业技能大赛。"
    assert scope.other_level("全国比赛山西拿了第一的是哪两个工种", provincial)
    assert not scope.other_level("全国比赛山西拿了第一的是哪两个工种", "在全国职工职业技能大赛中，山西钳工、焊工获得第一名。")
    assert not scope.other_level("全国总工会在山西开了什么会", "全省各级工会参加了会议。")  # the federation is no level
    assert not scope.other_level("全省办了几届技能大赛", provincial)


def test_one_years_figure_is_not_answered_by_a_total_over_several_years():
    total = "5年来，山西共有33个集体获评全国“五一劳动奖状”。"
    assert several_years("今年山西有多少个集体获评五一劳动奖状", total)
    assert several_years("2012年山西有多少个集体获评五一劳动奖状", total)
    assert not several_years("2008年以来山西有多少个集体获评五一劳动奖状", total)  # a span asked
    assert not several_years("今年山西五一表彰名额是多少", "今年五一表彰把名额压缩为292个。")  # not a total
    assert not several_years("2013年上半年新建了多少工会", "2013年上半年，3年来首次……新建工会3393个。")  # the fact names its year


def test_a_count_within_a_quoted_total_is_answered_only_by_a_fact_that_counts_more():
    total = "山西省总工会近3年来荣获省部级以上先进荣誉67项。"
    assert within_a_total("67项荣誉里，国家级的有几项", total)
    assert within_a_total("那67项荣誉当中国家级的占多少", total)
    assert not within_a_total("67项荣誉里，国家级的有几项", "67项荣誉中，国家级12项。")  # it counts them
    assert not within_a_total("近3年获得了多少项荣誉", total)                           # no count within


def test_the_month_is_answered_only_by_a_fact_that_gives_one():
    assert unstated_detail("新华社是2012年几月报道的", "2012年，新华社专题报道了山西工资集体协商工作。")
    assert not unstated_detail("推进会是2011年几月开的", "2011年11月，省总在汾阳召开了推进会。")
    assert not unstated_detail("组建月是每年几月", "山西每年的6月份集中开展工会组建月活动。")
