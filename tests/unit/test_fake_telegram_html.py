"""The fake Bot API's HTML parser: what Telegram refuses and accepts, and entity offsets in UTF-16 units."""
import pytest

from bot.testing.fake_telegram import EntityParseError, parse_html, parse_text, utf16_len


@pytest.mark.parametrize("text", [
    "1<2", "a < b", "AT&T", "&nbsp;", "<b>open", "<b><i>x</b></i>", "x</b>", "<br>",
    "<span>x</span>", "<div>x</div>", "<a href='x'>y", "<b class=x/y>x</b>", "<b x>y</b>",
])
def test_html_rejected(text):
    with pytest.raises(EntityParseError):
        parse_html(text)


@pytest.mark.parametrize("text,visible", [
    ("<b>b</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> <ins>n</ins> <s>s</s> "
     "<strike>k</strike> <del>d</del>", "b s i e u n s k d"),
    ('<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>', "xy"),
    ('<a href="https://e.com/?a=1&b=2">link</a>', "link"),
    ('<pre><code class="language-python">print("&lt;")</code></pre>', 'print("<")'),
    ("<blockquote>q</blockquote><blockquote expandable>e</blockquote>", "qe"),
    ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
    ("1 &lt; 2 &gt; 0 &quot;&amp;&#65;&#x42; > ok", '1 < 2 > 0 "&AB > ok'),
    ("<B>caps</B>", "caps"),
])
def test_html_accepted(text, visible):
    assert parse_html(text)[0] == visible


def test_entity_offsets_are_utf16():
    assert parse_text("😀 <b>b</b>", "HTML")[1] == [{"type": "bold", "offset": 3, "length": 1}]
    assert utf16_len("😀a") == 3
