"""Splitting long replies for Telegram's 4096-character limit, on the lines of the reply."""
import html
import re

from bot.adapters.render import Line
from bot.adapters.telegram.render import MAX_MESSAGE, markup, plain_messages, split


def visible(markup):
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_short_reply_is_one_message():
    assert split([Line("答", bold=True), Line("原文")]) == ["<b>答</b>\n原文"]


def test_long_reply_splits_at_line_breaks_within_the_limit():
    lines = [Line(f"第{i}行" + "字" * 300 + "。", bold=True) for i in range(40)]
    parts = split(lines)
    assert len(parts) > 1
    assert all(len(visible(p)) <= MAX_MESSAGE for p in parts)
    assert "\n".join(parts) == "\n".join(markup(line) for line in lines)  # nothing lost, no tag cut in half


def test_one_huge_line_splits_after_sentences_and_stays_escaped():
    parts = plain_messages("1<2 & 工会会员。" * 1000)
    assert all(len(visible(p)) <= MAX_MESSAGE for p in parts)
    assert len(parts) == 3 and all(visible(p).endswith("。") for p in parts)  # 372 sentences fit in 4096
    assert "".join(visible(p) for p in parts) == "1<2 & 工会会员。" * 1000
    assert all("<" not in p.replace("&lt;", "") for p in parts)
