#!/usr/bin/env python
"""Load test: the real bot process against the project's fake Bot API, many chats at once.

  python scripts/loadtest.py                      # 50 chats x 20 questions, injected at once
  python scripts/loadtest.py --chats 5 --questions 5 --reload

Reports answered and lost questions, API errors, answers per second and p50/p95/p99 latency
(from injection to the reply reaching the fake server), and where the time goes: how busy the
engine was (the bot's own per-answer latency, from its INFO log) and which Bot API requests
spent the ~30 requests a second that the rate limiter allows. Writes reports/loadtest.{json,md}.
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.testing.bot_process import start_bot, stop, wait_ready  # noqa: E402
from bot.testing.fake_telegram import FakeTelegram  # noqa: E402
from bot.testing.questions import evaluation_questions  # noqa: E402
from bot.testing.reports import write_report  # noqa: E402

TOKEN = "123456789:AAHloadTestTokenOnly_abcdefghijklmnopq"
ADMIN = 777
LATENCY = re.compile(r"latency_ms=([\d.]+)")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def collect(fake: FakeTelegram, sent: dict, timeout: float) -> dict:
    """Wait for the reply to every (chat, message) in `sent`: latency per reply, in seconds."""
    latencies = {}
    deadline = time.monotonic() + timeout
    while len(latencies) < len(sent) and time.monotonic() < deadline:
        try:
            msg = fake.wait_for_message(timeout=max(0.1, deadline - time.monotonic()), consumer="load",
                                        predicate=lambda m: (m.chat_id, m.reply_to_message_id) in sent)
        except TimeoutError:
            break
        key = (msg.chat_id, msg.reply_to_message_id)
        latencies.setdefault(key, msg.time - sent[key])
    return latencies


def where_the_time_goes(fake: FakeTelegram, log: str, t0: float, t1: float) -> dict:
    """Engine busy share and Bot API requests per second by method, between t0 and t1."""
    engine_ms = [float(m) for m in LATENCY.findall(log)]
    calls = collections.Counter(c.method for c in fake.calls if t0 <= c.time <= t1 and c.method != "getUpdates")
    seconds = max(t1 - t0, 1e-9)
    return {"engine_busy_share": round(sum(engine_ms) / 1000 / seconds, 3),
            "engine_p50_ms": round(percentile(engine_ms, 50), 2),
            "requests_per_s": {m: round(n / seconds, 2) for m, n in calls.most_common()},
            "rate_limited_requests_per_s": round(sum(n for m, n in calls.items() if m != "answerCallbackQuery")
                                                 / seconds, 2)}


def run(chats: int, questions: int, reload: bool, timeout: float, env_extra: dict | None = None) -> dict:
    """Inject chats x questions at once and wait for every reply."""
    pool = evaluation_questions(ROOT / "tests" / "data" / "questions.yaml")
    with FakeTelegram(token=TOKEN, bot_username="shanxi_qa_bot") as fake:
        proc = start_bot(fake, TOKEN, {"TELEGRAM_ADMIN_IDS": str(ADMIN), **(env_extra or {})})
        try:
            ready = wait_ready(fake, proc)
            sent: dict[tuple[int, int], float] = {}
            t0 = time.time()
            for q in range(questions):
                for c in range(chats):
                    chat = 100000 + c
                    upd = fake.inject_message(pool[(c * questions + q) % len(pool)], chat_id=chat, user_id=chat)
                    sent[(chat, upd["message"]["message_id"])] = time.time()
                if reload and q == questions // 2:
                    fake.inject_message("/reload", chat_id=ADMIN, user_id=ADMIN)
            latencies = collect(fake, sent, timeout)
            t1 = max((sent[k] + v for k, v in latencies.items()), default=t0)  # the last reply
            reload_ok = (not reload) or _reload_done(fake, timeout)
        finally:
            log = stop(proc)
        elapsed = max(t1 - t0, 1e-9)
        values = list(latencies.values())
        return {
            "chats": chats, "questions_per_chat": questions, "injected": len(sent),
            "answered": len(latencies), "lost": len(sent) - len(latencies),
            "api_errors": len(fake.unexpected_errors), "reload": reload, "reload_ok": reload_ok,
            "throughput_qps": round(len(latencies) / elapsed, 2),
            "latency_ms": {p: round(percentile(values, q) * 1000) for p, q in (("p50", 50), ("p95", 95), ("p99", 99))},
            "start_to_ready_s": round(ready, 2), "exit_code": proc.returncode,
            "token_in_logs": TOKEN.split(":")[1] in log,
            "where": where_the_time_goes(fake, log, t0, t1),
        }


def _reload_done(fake: FakeTelegram, timeout: float) -> bool:
    """Wait for the admin's reload report, which may come after the last answer."""
    try:
        msg = fake.wait_for_message(ADMIN, timeout=timeout, consumer="reload",
                                    predicate=lambda m: "已重新加载" in m.text or "失败" in m.text)
    except TimeoutError:
        return False
    return "已重新加载" in msg.text


def markdown(r: dict) -> str:
    lat, where = r["latency_ms"], r["where"]
    requests = ", ".join(f"{m} {n}/s" for m, n in where["requests_per_s"].items())
    return "\n".join([
        "| chats × questions | answered | lost | API errors | answers/s | p50 | p95 | p99 | reload |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {r['chats']} × {r['questions_per_chat']} | {r['answered']} | {r['lost']} | {r['api_errors']} | "
        f"{r['throughput_qps']} | {lat['p50'] / 1000:.1f} s | {lat['p95'] / 1000:.1f} s | {lat['p99'] / 1000:.1f} s | "
        f"{'yes, ok' if r['reload'] and r['reload_ok'] else ('yes, FAILED' if r['reload'] else 'no')} |", "",
        f"Where the time goes: the engine was busy {100 * where['engine_busy_share']:.0f}% of the run "
        f"(p50 {where['engine_p50_ms']} ms an answer); Bot API requests: {requests} "
        f"({where['rate_limited_requests_per_s']}/s through the rate limiter).", ""])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chats", type=int, default=50)
    p.add_argument("--questions", type=int, default=20)
    p.add_argument("--reload", action="store_true", help="send /reload half way through")
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--out", type=Path, default=ROOT / "reports")
    args = p.parse_args()
    result = run(args.chats, args.questions, args.reload, args.timeout)
    write_report(args.out, "loadtest", result, markdown(result))
    print(json.dumps(result))
    ok = result["lost"] == 0 and result["api_errors"] == 0 and result["reload_ok"] and not result["token_in_logs"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
