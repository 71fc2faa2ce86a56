"""The command table every adapter shares: /start /help /about /topics /new, and a short note
for any other /command. Replies are plain lines; each adapter renders them (escaped HTML in
Telegram). Article content comes from facts/meta.yaml, not from code."""
from __future__ import annotations

import re
from dataclasses import dataclass

# (name, description): the console's /help and Telegram's setMyCommands list both come from here.
COMMANDS = (
    ("start", "开始：简介和示例问题"),
    ("help", "怎么提问"),
    ("about", "这篇文章是什么，我不知道什么"),
    ("topics", "我能回答的章节"),
    ("new", "开始新话题：忘掉前面的对话"),
)
_COMMAND = re.compile(r"^/([A-Za-z0-9_]+)(?:@\w+)?(?:\s+(.*))?$", re.S)  # Telegram's command syntax


@dataclass(frozen=True)
class Command:
    """A parsed /command: its name (lower case, without @bot) and the text after it."""

    name: str
    args: str


def parse(text: str) -> Command | None:
    """The command a message is, or None for an ordinary message."""
    m = _COMMAND.match(text.strip())
    return Command(m.group(1).lower(), (m.group(2) or "").strip()) if m else None


def reply(command: Command, meta, *, group: bool = False, extra: tuple[tuple[str, str], ...] = ()) -> list[str]:
    """The lines answering a shared command (`extra`: an adapter's own commands, listed in /help)."""
    if command.name == "start":
        return [f"你好！我回答关于《{meta.title}》（{meta.year}年）这篇文章的问题，先给出文中的确切数字，再附上原文。",
                "", "可以这样问："] + [f"· {q}" for q in meta.examples]
    if command.name == "help":
        lines = ["直接发送问题即可，简体、繁体、口语、关键词或中英混合都可以；可以接着上一个问题追问，"
                 "比如“那2011年呢”“他是干哪一行的”。",
                 "我会先给出文中的数字，再引用原文和所在章节；文章没写的，我会直说不知道。"]
        if group:
            lines.append("在群聊中：@我 提问、回复我的消息，或使用 /ask 问题。")
        lines += ["", "命令："] + [f"/{name} — {text}" for name, text in (*COMMANDS, *extra)]
        return lines
    if command.name == "about":
        return [f"文章：《{meta.title}》", f"报纸：{meta.paper}，{meta.year}年", f"作者：{meta.authors}", "",
                f"我只知道这篇文章写到的内容：{meta.summary}。文章之外的事（其他省份、文章没提到的年份和数字、"
                "实时信息）我都不知道，也不会编造数字。"]
    if command.name == "topics":
        return ["我能回答这些章节的内容："] + [f"· {s}" for s in meta.sections]
    if command.name == "new":
        return ["好的，我们换个话题：接下来的问题不再接着前面的对话理解。"]
    return [f"没有 /{command.name} 这个命令。发送 /help 查看可用的命令，或直接输入问题。"]


def respond(command: Command, engine, chat: str, *, group: bool = False,
            extra: tuple[tuple[str, str], ...] = ()) -> list[str]:
    """`reply` in the conversation `chat` of `engine`: /new forgets that conversation first."""
    if command.name == "new":
        engine.conversations.clear(chat)
    return reply(command, engine.base.meta, group=group, extra=extra)


def is_shared(command: Command) -> bool:
    return any(command.name == name for name, _ in COMMANDS)
