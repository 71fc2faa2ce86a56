"""Command line: `ask`, `index`, `check`, and the console chat; the CLI's error boundary."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from bot.errors import BotError

logger = logging.getLogger(__name__)


def _engine(settings):
    from bot.pipeline.engine import Engine

    return Engine.load(settings)


def cmd_ask(args, settings) -> int:
    """Answer questions given as arguments, or one per stdin line with --json."""
    from bot.adapters import render

    engine = _engine(settings)
    if args.json:
        for line in sys.stdin:
            question, chat = _json_line(line.rstrip("\r\n"))
            print(json.dumps(_as_json(engine.answer(question, chat=chat)), ensure_ascii=False), flush=True)
        return 0
    if not args.question:
        questions = [line.rstrip("\r\n") for line in sys.stdin]
    else:
        questions = [" ".join(args.question)]
    for q in questions:
        print(render.text(engine.answer(q).reply), flush=True)
    return 0


def _as_json(answer) -> dict:
    """One line of `ask --json`: `answer` is the reply as the console shows it."""
    from bot.adapters import render

    fields = answer.to_json()
    return {"question": fields.pop("question"), "answer": render.text(answer.reply), **fields}


def _json_line(line: str) -> tuple[str, str | None]:
    """A plain line is a question on its own; a JSON object {"chat": ..., "question": ...} is a
    turn of that chat's conversation (chats may be interleaved)."""
    if line.lstrip().startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            return line, None
        if isinstance(obj, dict) and isinstance(obj.get("question"), str):
            chat = obj.get("chat")
            return obj["question"], None if chat is None else str(chat)
    return line, None


def cmd_explain(args, settings) -> int:
    """Show how one question is read, retrieved, verified and decided (the operator's hit test)."""
    from bot.adapters.explain import explain, render

    engine = _engine(settings)
    report = explain(engine, " ".join(args.question))
    print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else render(report))
    return 0


def cmd_index(args, settings) -> int:
    """Build the index (always with --force; otherwise only when stale)."""
    from bot.build.index import build, is_current
    from bot.knowledge import lexicon
    from bot.knowledge import pieces
    from bot.knowledge.load import load_facts
    from bot.knowledge.model_files import ONNX_FILES, PIECES, weights_fingerprint

    lexicon.install(settings.index_dir / lexicon.CACHE)  # built once, used by this build and every start
    if settings.backend in ONNX_FILES and (Path(settings.model) / "onnx" / PIECES).is_file():
        pieces.prepare(Path(settings.model) / "onnx" / PIECES)  # the serving tokeniser's tables
    base = load_facts(settings.facts_dir)
    weights = weights_fingerprint(settings.model, settings.backend)
    current, reasons = is_current(settings, weights)
    if current and not args.force:
        print(f"index up to date: {settings.index_dir}/current ({len(base.facts)} facts)")
        return 0
    if reasons and not args.force:
        print("rebuilding index: " + "; ".join(reasons), file=sys.stderr)
    t0 = time.perf_counter()

    def embedder():
        """sentence-transformers (and torch): imported only if some text has no cached vector."""
        from bot.knowledge.embedder import Embedder

        return Embedder.from_settings(settings)

    manifest = build(base, embedder, settings, weights, progress=not args.quiet, use_cache=not args.no_cache)
    print(f"index built: {manifest['facts']} facts, {manifest['vectors']} vectors "
          f"({manifest['embedded']} embedded, {manifest['reused']} from the cache), dim {manifest['dim']}, "
          f"{time.perf_counter() - t0:.1f}s → {settings.index_dir}/current")
    return 0


def cmd_check(args, settings) -> int:
    """Validate the facts and report figure coverage."""
    from bot.knowledge.load import load_facts
    from bot.knowledge.validate import missing_figures, thin_training

    base = load_facts(settings.facts_dir)
    missing, thin = missing_figures(base), thin_training(base)
    print(f"{len(base.facts)} facts valid; {len(missing)} article figure token(s) not carried; "
          f"{len(thin)} fact(s) with too little training data")
    for token in missing:
        print(f"  missing: {token}")
    for fact in thin:
        print(f"  thin: {fact}")
    return 1 if missing or thin else 0


def cmd_chat(args, settings) -> int:
    """Run the Telegram bot when a token is set, else the console chat."""
    if settings.telegram_token.get_secret_value() and not getattr(args, "console", False):
        from bot.adapters.telegram.app import run
        from bot.pipeline.engine import Engine

        return run(settings, Engine.load)
    from bot.adapters.console import run_console

    return run_console(_engine(settings))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("--console", action="store_true", help="console chat even if a token is set")
    sub = parser.add_subparsers(dest="command")
    ask = sub.add_parser("ask", help="answer a question and exit")
    ask.add_argument("question", nargs="*", help="the question (default: read stdin)")
    ask.add_argument("--json", action="store_true", help="read stdin, one JSON object per line")
    ask.set_defaults(func=cmd_ask)
    exp = sub.add_parser("explain", help="show candidates, scores and the decision for a question")
    exp.add_argument("question", nargs="+", help="the question")
    exp.add_argument("--json", action="store_true", help="one JSON object instead of text")
    exp.set_defaults(func=cmd_explain)
    idx = sub.add_parser("index", help="build the index if stale (--force: always)")
    idx.add_argument("--force", action="store_true")
    idx.add_argument("--quiet", action="store_true", help="no progress bar")
    idx.add_argument("--no-cache", action="store_true",
                     help="embed every text again instead of reusing index/embed-cache")
    idx.set_defaults(func=cmd_index)
    chk = sub.add_parser("check", help="validate facts and figure coverage")
    chk.set_defaults(func=cmd_check)
    chat = sub.add_parser("chat", help="the console chat (the default command)")
    chat.set_defaults(func=cmd_chat, console=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func = getattr(args, "func", cmd_chat)
    try:
        from bot.settings import Settings

        settings = Settings.from_env()  # the one place settings are read; passed down from here
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)
        return func(args, settings)
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
