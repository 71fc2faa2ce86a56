"""Interactive console chat: the same answers, follow-ups and commands a Telegram user gets."""
from __future__ import annotations

import sys

from bot.adapters import commands, render
from bot.pipeline.decide import Kind

BANNER = ("《{title}》问答（{year}年）。直接输入问题，回车发送；/help 查看命令；输入 /quit 或按 Ctrl-D 退出。")
CHAT = "console"  # one conversation per console session


def run_console(engine, stdin=None, stdout=None) -> int:
    """Read questions until EOF or /quit; print each reply followed by a blank line."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    interactive = stdin.isatty()
    meta = engine.base.meta
    print(BANNER.format(title=meta.title, year=meta.year), file=stdout, flush=True)
    if interactive:
        import readline  # noqa: F401  (line editing and history for input())
    while True:
        try:
            line = input("你> ") + "\n" if interactive else stdin.readline()
        except (KeyboardInterrupt, EOFError):
            print(file=stdout)
            return 0
        if not line or line.strip() in ("/quit", "/exit", "退出"):
            return 0
        print(respond(engine, line.rstrip("\r\n")) + "\n", file=stdout, flush=True)


def respond(engine, text: str) -> str:
    """A command's reply, or the answer to a question in the console's conversation."""
    command = commands.parse(text)
    if command is None:
        reply = engine.answer(text, chat=CHAT).reply
        if reply.kind != Kind.ANSWER or not reply.suggestions:  # an abstention lists its suggestions itself
            return render.text(reply)
        return "\n".join([render.text(reply), "", "你还可以问："] + [f"· {q}" for q in reply.suggestions])
    return "\n".join(commands.respond(command, engine, CHAT, extra=(("quit", "退出"),)))
