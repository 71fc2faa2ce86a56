"""Splitting a question into the parts it asks separately, and figure lookups."""
import pytest

from bot.pipeline.lookup import figures_asked
from bot.pipeline.parts import clauses, items, parts, per_item, per_year


@pytest.mark.parametrize("question, expected", [
    ("2010年和2013年组建月分别新覆盖了多少法人单位", ["2010年组建月新覆盖了多少法人单位", "2013年组建月新覆盖了多少法人单位"]),
    ("2009年、2012年煤矿百万吨死亡率各是多少", ["2009年煤矿百万吨死亡率是多少", "2012年煤矿百万吨死亡率是多少"]),
    ("2010、2011、2012年组建月各新增多少工会",
     ["2010年组建月新增多少工会", "2011年组建月新增多少工会", "2012年组建月新增多少工会"]),
    ("2010年组建月和2013年组建月新发展会员差了多少", ["2010年组建月新发展会员是多少", "2013年组建月新发展会员是多少"]),
    ("2010年和2011年组建月哪年新增工会组织多", ["2010年组建月新增工会组织多少", "2011年组建月新增工会组织多少"]),
])
def test_one_question_per_year(question, expected):
    assert parts(question) == expected


def test_a_comparison_within_one_statement_is_not_split_by_year():
    assert per_year("2012年比2009年可比产品成本降低了多少") == []


def test_items_joined_by_and_are_asked_one_by_one():
    assert per_item("5年来技术革新和发明创造各完成了多少项") == [
        "5年来技术革新各完成了多少项", "5年来发明创造各完成了多少项"]
    assert parts("县级帮扶中心和乡镇帮扶站哪个多") == ["县级帮扶中心多少", "乡镇帮扶站多少"]


def test_clauses_that_each_ask_something():
    assert clauses("长钢开了多少场民主评议会,处分或调离了多少干部职工") == [
        "长钢开了多少场民主评议会", "处分或调离了多少干部职工"]
    assert parts("山西有多少工会会员") == []


@pytest.mark.parametrize("question, figures", [
    ("61428", ["61428"]), ("61428是什么数字", ["61428"]), ("0.09是什么意思", ["0.09"]),
    ("what is 7706467", ["7706467"]), ("2012年", []), ("61428个工会是截至什么时候", []), ("有多少会员", []),
])
def test_a_question_that_is_only_a_figure(question, figures):
    assert figures_asked(question) == figures


def test_a_span_of_years_is_every_year_when_the_question_adds_up_or_ranks_them():
    assert items("2010到2013这四年组建月新增工会组织加起来是多少") == ["2010年", "2011年", "2012年", "2013年"]
    assert items("2010年到2013年组建月哪年新增工会组织最少") == ["2010年", "2011年", "2012年", "2013年"]
    assert items("煤矿百万吨死亡率从2009年到2012年降了多少") == ["2009年", "2012年"]  # a difference: the ends


def test_a_than_comparison_asks_each_item():
    assert items("社区(村)帮扶站比企业帮扶站多几个") == ["社区帮扶站", "企业帮扶站"]
    assert per_item("社区帮扶站比企业帮扶站多几个") == ["社区帮扶站有多少个", "企业帮扶站有多少个"]


def test_an_average_asks_each_total():
    assert items("平均每个工会多少会员") == ["会员", "工会"]
    assert items("全省工会组织平均每个覆盖几个法人单位") == ["法人单位", "工会组织"]
    assert per_item("平均每个工会多少会员") == ["会员有多少", "工会有多少"]


def test_two_years_compared_in_one_sentence_can_be_asked_year_by_year():
    from bot.pipeline.parts import year_than
    assert year_than("2011年组建月新覆盖法人单位比2010年多多少") == \
        ["2011年组建月新覆盖法人单位是多少", "2010年组建月新覆盖法人单位是多少"]
    assert items("2011年组建月新覆盖法人单位比2010年多多少") == ["2011年", "2010年"]
    assert year_than("煤矿百万吨死亡率从2009年到2012年降了多少") == []
