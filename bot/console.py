"""Interactive console chat: the same answers a Telegram user gets, in a terminal."""
from __future__ import annotations

import sys

BANNER = ("《{title}》问答（{year}年）。直接输入问题，回车发送；输入 /quit 或按 Ctrl-D 退出。")


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
        print(engine.answer(line.rstrip("\r\n")).answer + "\n", file=stdout, flush=True)
