"""The command table every adapter shares: parsing, and the replies that name the article and the commands."""
from bot.adapters import commands
from bot.knowledge.facts import Meta
from bot.pipeline.context import Conversations

META = Meta(title="文章", paper="报", year=2013, authors="记者", sections=("导语", "（一）调查研究"),
            summary="山西工会的组建", examples=("山西有多少工会会员？",))


def test_parse_reads_commands_as_telegram_writes_them():
    assert commands.parse("/start") == commands.Command("start", "")
    assert commands.parse(" /Help@shanxi_qa_bot  怎么问 ") == commands.Command("help", "怎么问")
    assert commands.parse("/top10") == commands.Command("top10", "")
    for text in ("2012年煤矿死亡率", "/2012年煤矿死亡率", "/ 空格", "问 /start"):
        assert commands.parse(text) is None, text


def test_replies_come_from_the_article_metadata():
    start = commands.reply(commands.Command("start", ""), META)
    assert "《文章》（2013年）" in start[0] and start[-1] == "· 山西有多少工会会员？"
    assert commands.reply(commands.Command("topics", ""), META)[1:] == ["· 导语", "· （一）调查研究"]
    help_lines = commands.reply(commands.Command("help", ""), META, extra=(("ask", "提问"),))
    assert "/new — 开始新话题：忘掉前面的对话" in help_lines and help_lines[-1] == "/ask — 提问"
    assert not any("群聊" in line for line in help_lines)
    assert any("群聊" in line for line in commands.reply(commands.Command("help", ""), META, group=True))


def test_an_unknown_command_gets_a_note_and_new_forgets_only_its_conversation():
    assert commands.reply(commands.Command("foo", "山西有多少会员"), META) == [
        "没有 /foo 这个命令。发送 /help 查看可用的命令，或直接输入问题。"]

    class Engine:
        conversations = Conversations()
        base = type("Base", (), {"meta": META})

    engine = Engine()
    for chat in ("a", "b"):
        engine.conversations.remember(chat, "q", ("f",), followup=False)
    assert "换个话题" in commands.respond(commands.Command("new", ""), engine, "a")[0]
    assert engine.conversations.last("a") is None and engine.conversations.last("b") is not None
