"""Each adapter renders the one Reply structure: plain text (console, CLI) and Telegram HTML split on
the reply's lines. Readers see exactly what they saw when the core rendered the reply itself and
the Telegram adapter split the rendered HTML (tests/render_reference.py keeps that code)."""
from __future__ import annotations

import html
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.adapters import render
from bot.adapters.render import Line
from bot.adapters.telegram import render as telegram
from bot.pipeline.compose import Citation, Reply
from bot.pipeline.decide import Kind
from render_reference import LIMIT, assert_as_before, old_render, old_split


QUOTE = "截至目前,全省共建立工会组织61428个,覆盖法人单位161363个,发展会员7706467人。"
SECTION = "抓规范重质量 组建工作逐年稳步推进"
ANSWER = Reply(Kind.ANSWER, ("截至2013年，山西全省共建立工会组织61428个。",), (Citation("f", SECTION, QUOTE),),
               ("山西有多少工会会员？",))
FOLLOW_UP = Reply(Kind.ANSWER, ("2011年“工会组建月”期间，山西全省新增工会组织9303个。",
                                "比较：2011年9303个，2010年1523个；2011年更多。"),
                  (Citation("a", SECTION, "新增工会组织9303个"), Citation("b", SECTION, "新增工会组织1523个")),
                  understood="2011年组建月新增了多少工会组织")
ABSTENTION = Reply(Kind.ABSTAIN, ("文章没有提到郭凤莲的岁数。",), (), ("郭凤莲是谁？", "申纪兰获得过什么荣誉？"))
MARKUP = Reply(Kind.ANSWER, ("<b>1<2</b> & 3>2 &amp; \"引号\" 'single'",),
               (Citation("x", "「<章节>」&", "“<i>原文</i>” & &lt;"),), ("<a href='x'>问</a>&？",),
               understood="<script>alert('&')</script>")
MARKUP_ABSTENTION = Reply(Kind.ABSTAIN, ("文章没有提到<太钢>&。",), (), ("<b>问</b>&amp;？",))


@pytest.mark.parametrize("reply", [ANSWER, FOLLOW_UP, ABSTENTION, MARKUP, MARKUP_ABSTENTION,
                                   Reply(Kind.CHITCHAT, ("你好！我是问答机器人。",), (), ("山西有多少工会组织？",)),
                                   Reply(Kind.REFUSE, ("我只回答关于这篇文章的问题。",)),
                                   Reply(Kind.HELP, ("请直接输入问题。",), (), ())],
                         ids=["answer", "follow-up", "abstention", "markup", "markup-abstention", "chitchat",
                              "refusal", "help"])
def test_every_kind_of_reply_reads_as_before(reply):
    assert_as_before(reply)


def test_what_a_follow_up_answer_shows():
    assert render.text(FOLLOW_UP) == (
        "（理解为：2011年组建月新增了多少工会组织？）\n"
        "2011年“工会组建月”期间，山西全省新增工会组织9303个。\n比较：2011年9303个，2010年1523个；2011年更多。\n\n"
        f"📖 原文\n「{SECTION}」\n“新增工会组织9303个”\n「{SECTION}」\n“新增工会组织1523个”")
    assert telegram.messages(FOLLOW_UP) == [
        "（理解为：2011年组建月新增了多少工会组织？）\n"
        "<b>2011年“工会组建月”期间，山西全省新增工会组织9303个。</b>\n比较：2011年9303个，2010年1523个；2011年更多。\n\n"
        f"📖 原文\n「{SECTION}」\n“新增工会组织9303个”\n「{SECTION}」\n“新增工会组织1523个”"]


def test_text_with_markup_characters_is_escaped_once_per_piece():
    assert telegram.messages(MARKUP) == [
        "（理解为：&lt;script&gt;alert(&#x27;&amp;&#x27;)&lt;/script&gt;？）\n"
        "<b>&lt;b&gt;1&lt;2&lt;/b&gt; &amp; 3&gt;2 &amp;amp; &quot;引号&quot; &#x27;single&#x27;</b>\n\n📖 原文\n"
        "「「&lt;章节&gt;」&amp;」\n““&lt;i&gt;原文&lt;/i&gt;” &amp; &amp;lt;”"]
    assert render.text(MARKUP_ABSTENTION).endswith("你可以这样问：\n· <b>问</b>&amp;？")  # plain text stays raw
    assert telegram.messages(MARKUP_ABSTENTION) == ["文章没有提到&lt;太钢&gt;&amp;。\n\n你可以点下面的问题接着问。"]


def test_long_replies_split_as_before():
    many = tuple(Citation(f"f{i}", f"第{i}节<&>", "字" * 300 + f"{i}个。") for i in range(30))
    long_reply = Reply(Kind.ANSWER, ("<b>答</b>" * 10,), many, understood="那<2011>年&呢")
    assert len(telegram.messages(long_reply)) == 3
    assert_as_before(long_reply)
    huge_quote = Reply(Kind.ANSWER, ("答",), (Citation("f", "节", "1<2 & 工会会员。" * 1000),))
    assert len(telegram.messages(huge_quote)) == 4
    assert_as_before(huge_quote)
    no_sentence_end = Reply(Kind.ABSTAIN, ("文" * 9000 + "😀" * 10,), (), ("问？",))  # hard cuts; 😀 counts twice
    assert_as_before(no_sentence_end)
    huge_lead = Reply(Kind.ANSWER, ("答案。" * 2000,), ())  # too long to stay bold: cut into plain pieces
    assert all("<b>" not in m for m in telegram.messages(huge_lead))
    assert_as_before(huge_lead)
    for limit in (10, 50, 333):
        for reply in (ANSWER, FOLLOW_UP, ABSTENTION, MARKUP, long_reply):
            assert_as_before(reply, limit)


def test_a_message_never_starts_with_an_empty_line_and_none_is_empty():
    reply = Reply(Kind.ANSWER, ("答" * 44,), (Citation("f", "节", "引" * 40),))
    assert telegram.messages(reply, limit=44) == ["<b>" + "答" * 44 + "</b>", "📖 原文\n「节」", "“" + "引" * 40 + "”"]
    assert_as_before(reply, limit=44)
    assert telegram.split([Line(""), Line("  ")]) == old_split("\n  ") == ["\n  "]
    assert telegram.plain_messages("") == old_split("") == [""]


TEXT = st.text(alphabet=st.sampled_from(list("山西工会<>&;\"'。！?；a 1😀\u200d")), max_size=60)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(list(Kind)), lead=st.lists(TEXT, min_size=1, max_size=3).filter(lambda lead: lead[0].strip()),
       cited=st.lists(st.tuples(TEXT, TEXT), max_size=4), suggested=st.lists(TEXT, max_size=3),
       understood=TEXT, limit=st.sampled_from([8, 20, 64, LIMIT]))
def test_any_reply_reads_as_before(kind, lead, cited, suggested, understood, limit):
    """Any reply compose can make (its first line, bold in an answer, is never blank: a blank bold
    line would now count as the empty line a message does not start with)."""
    reply = Reply(kind, tuple(lead), tuple(Citation("f", s, q) for s, q in cited), tuple(suggested), understood)
    assert_as_before(reply, limit)


def _lines_shown(messages: list[str]) -> list[str]:
    """The lines with something on them that `messages` show, in order (where blank lines fall
    may differ: a message no longer starts with the blank line of a part that starts with one)."""
    return [line for m in messages for line in html.unescape(re.sub(r"</?[bi]>", "", m)).split("\n") if line]


@settings(max_examples=200, deadline=None)
@given(lead=st.lists(st.text(alphabet=st.sampled_from(list("答<&\n。")), min_size=1, max_size=30), min_size=1, max_size=2),
       understood=st.text(alphabet=st.sampled_from(list("问<&\n")), max_size=10), limit=st.sampled_from([8, 20, LIMIT]))
@example(lead=["\n\n"], understood="", limit=20)  # white space only: the fallback message once cut its markup
def test_line_breaks_inside_a_part_show_the_same_lines_and_each_message_closes_its_tags(lead, understood, limit):
    """A part with its own line breaks (the old HTML opened <b> on one line and closed it on the
    next, so a split between them sent a broken message): the same lines, each in its own tags."""
    reply = Reply(Kind.ANSWER, tuple(lead), (), (), understood)
    parts = telegram.messages(reply, limit=limit)
    assert _lines_shown(parts) == _lines_shown(old_split(old_render(reply, True), limit))
    for part in parts:
        assert re.sub(r"<b>[^<]*</b>", "", part).count("<") == 0  # balanced, no stray tag
        assert len(html.unescape(re.sub(r"</?b>", "", part))) <= limit and not part.startswith("\n")
    assert render.text(reply) == old_render(reply, html_mode=False)
