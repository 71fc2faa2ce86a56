"""Arithmetic on cited figures: the operands are the article's, the result is recomputed by the
number guard, and a wrong derived number is never shown."""
import dataclasses

from bot.pipeline.compose import Citation, Reply, UnsupportedNumber, check_numbers
from bot.pipeline.decide import ANSWER
from bot.pipeline.arithmetic import Computation, Operand, compute, operation, recomputed

Y2010 = "2010年“工会组建月”期间，山西全省新增工会组织1523个，新覆盖法人单位6127个，新发展会员415624人。"
Y2013 = "2013年“工会组建月”期间，山西全省新增工会组织1215个，新覆盖法人单位6911个，新发展会员61039人。"
TREND = "煤矿百万吨死亡率由2006年的0.845、2009年的0.328下降到2012年的0.09，是全国平均水平的15.7%。"
NETWORK = "共建立县级帮扶中心122个，乡镇（街道）帮扶站（点）1196个，社区（村）帮扶站（点）5060个。"


def test_operations_by_wording():
    assert operation("哪年新增工会组织多") == "compare"
    assert operation("加起来多少个") == "total"
    assert operation("从2009年到2012年降了多少") == "difference"
    assert operation("山西有多少工会会员") == ""


def test_the_figure_of_what_is_asked_is_taken_from_each_item():
    members = compute("2010年组建月和2013年组建月新发展会员差了多少", [("2010年", Y2010), ("2013年", Y2013)])
    assert [o.number for o in members.operands] == ["415624", "61039"] and members.result == "354585"
    unions = compute("2010年和2013年哪年新增工会组织多", [("2010年", Y2010), ("2013年", Y2013)])
    assert [o.number for o in unions.operands] == ["1523", "1215"] and unions.verdict == "2010年"


def test_one_fact_with_several_years_gives_each_year_its_own_figure():
    c = compute("百万吨死亡率从2009年到2012年降了多少", [("2009年", TREND), ("2012年", TREND)])
    assert [o.number for o in c.operands] == ["0.328", "0.09"] and c.result == "0.238"


def test_items_of_one_fact_and_the_smaller_one():
    c = compute("县级帮扶中心和乡镇帮扶站哪个少", [("县级帮扶中心", NETWORK), ("乡镇帮扶站", NETWORK)])
    assert [o.number for o in c.operands] == ["122", "1196"] and c.verdict == "县级帮扶中心"
    assert c.line() == "比较：县级帮扶中心122个，乡镇帮扶站1196个；县级帮扶中心更少。"


def test_no_computation_when_figures_do_not_line_up():
    assert compute("2010年和2013年哪年多", [("2010年", Y2010), ("2009年", Y2010)]) is None  # no 2009 there
    assert compute("加起来多少", [("县级帮扶中心", NETWORK)]) is None  # one item


def reply_with(computation):
    cite = (Citation("f", "s", "其间新增工会组织1523个……新增工会组织1215个"),)
    return Reply(ANSWER, ("…", computation.line()), cite)


def test_guard_admits_a_recomputed_result_and_rejects_a_wrong_one():
    right = Computation("total", (Operand("2010年", "1523", "个"), Operand("2013年", "1215", "个")), "2738")
    check_numbers(reply_with(right), base=_Base(), computed=right)
    try:
        check_numbers(reply_with(right), base=_Base())  # without the computation: an unknown number
    except UnsupportedNumber:
        pass
    else:
        raise AssertionError("a derived number passed without its computation")
    wrong = dataclasses.replace(right, result="2739")
    assert not wrong.check()
    try:
        check_numbers(reply_with(wrong), base=_Base(), computed=wrong)
    except UnsupportedNumber:
        pass
    else:
        raise AssertionError("a wrong derived number passed the guard")


class _Base:
    allowed_numbers = frozenset({"2013"})


def test_a_computed_line_counts_as_faithful_only_when_it_recomputes():
    from bot.pipeline.arithmetic import recomputed
    right = Computation("total", (Operand("2010年", "1523", "个"), Operand("2013年", "1215", "个")), "2738")
    assert recomputed(right.line()) == (["1523", "1215"], "2738")
    assert recomputed(dataclasses.replace(right, result="2739").line()) is None
    assert recomputed("2010年新增工会组织1523个。") is None


def test_each_figure_belongs_to_the_words_just_before_it():
    awards = "5年来，山西共评选表彰全国劳模82人，全国“五一劳动奖章”125人，省特级劳模和省劳模920人。"
    c = compute("全国劳模和五一劳动奖章一共多少人", [("全国劳模", awards), ("五一劳动奖章", awards)])
    assert [o.number for o in c.operands] == ["82", "125"] and c.result == "207"


def test_of_more_than_two_the_most_is_named_as_the_most():
    c = compute("县级帮扶中心、乡镇帮扶站和社区帮扶站哪个少",
                [("县级帮扶中心", NETWORK), ("乡镇帮扶站", NETWORK), ("社区帮扶站", NETWORK)])
    assert c.line().endswith("县级帮扶中心最少。")


def test_an_average_is_the_first_total_over_the_second_and_is_recomputed():
    members = "截至7月底，全省基层工会数达61428个，会员数达7706467名。"
    c = compute("平均每个工会多少会员", [("会员", members), ("工会", members)])
    assert [o.number for o in c.operands] == ["7706467", "61428"] and c.result == "125.46"
    assert c.line() == "平均（计算得出，非原文数字）：7706467 ÷ 61428 ≈ 125.46"
    assert recomputed(c.line()) == (["7706467", "61428"], "125.46")


def test_a_share_is_the_part_over_the_whole_in_percent_and_each_must_be_named():
    half = "2013年上半年，山西共新建工会1215个，发展会员61039名。"
    total = "截至7月底，全省基层工会数达61428个，会员数达7706467名。"
    c = compute("今年上半年新建的工会占全省基层工会总数百分之几", [("今年上半年新建的工会", half), ("全省基层工会总数", total)])
    assert c.line() == "占比（计算得出，非原文数字）：1215 ÷ 61428 ≈ 1.98%"
    assert recomputed(c.line()) == (["1215", "61428"], "1.98")
    assert compute("2010年新发展的会员占总数多大比例", [("2010年新发展的会员", Y2010), ("总数", Y2010)]) is None
