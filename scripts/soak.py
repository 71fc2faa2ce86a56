#!/usr/bin/env python
"""Soak: the real bot process against the fake Bot API at steady traffic for a long while.

  python scripts/soak.py                          # 10 minutes, 10 questions a second, 50 chats
  python scripts/soak.py --minutes 2 --rate 5

Questions come from bot.testing.questions (varied, so the reply cache keeps turning over), one
every 1/rate seconds, round-robin over the chats. The bot's resident memory is read every
--every seconds. Reports replies lost, API errors, latency, and whether RSS stayed flat after
the first minute (the warm-up: caches and lazy tables fill). Writes reports/soak.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge.load import load_facts  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.testing.bot_process import rss_mb, start_bot, stop, wait_ready  # noqa: E402
from bot.testing.fake_telegram import FakeTelegram  # noqa: E402
from bot.testing.questions import base_questions, varied  # noqa: E402
from bot.testing.reports import write_report  # noqa: E402

TOKEN = "123456789:AAHsoakTestTokenOnly_abcdefghijklmnopqrs"
WARM_UP_S = 60
FLAT_MB = 10  # RSS may move this much after the warm-up and still count as flat


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def soak(minutes: float, rate: float, chats: int, every: float) -> dict:
    questions = varied(base_questions(load_facts(Settings.from_env().facts_dir),
                                      ROOT / "tests" / "data" / "questions.yaml"), int(minutes * 60 * rate) + 1)
    sent: dict[tuple[int, int], float] = {}
    latencies: dict[tuple[int, int], float] = {}
    samples: list[tuple[float, float]] = []
    with FakeTelegram(token=TOKEN, bot_username="shanxi_qa_bot") as fake:
        proc = start_bot(fake, TOKEN, {})
        deadline = []  # set once every question is sent: when to stop waiting for the rest

        def collect():
            while not (deadline and (len(latencies) >= len(sent) or time.time() > deadline[0])):
                try:
                    msg = fake.wait_for_message(timeout=1, consumer="soak",
                                                predicate=lambda m: (m.chat_id, m.reply_to_message_id) in sent)
                except TimeoutError:
                    continue
                key = (msg.chat_id, msg.reply_to_message_id)
                latencies.setdefault(key, msg.time - sent[key])

        try:
            ready = wait_ready(fake, proc)
            collector = threading.Thread(target=collect, daemon=True)
            collector.start()
            t0 = time.monotonic()
            next_sample = t0
            for i, question in enumerate(questions):
                due = t0 + i / rate
                while (now := time.monotonic()) < due:  # a paced load generator: waiting is its job
                    if now >= next_sample:
                        samples.append((round(now - t0, 1), round(rss_mb(proc.pid), 1)))
                        next_sample += every
                    time.sleep(min(due - now, max(0.0, next_sample - now), 0.05))
                chat = 200000 + i % chats
                update = fake.inject_message(question, chat_id=chat, user_id=chat)
                sent[(chat, update["message"]["message_id"])] = time.time()
            deadline.append(time.time() + 60)
            collector.join(70)
            samples.append((round(time.monotonic() - t0, 1), round(rss_mb(proc.pid), 1)))
        finally:
            log = stop(proc)
    after = [mb for t, mb in samples if t >= WARM_UP_S] or [samples[-1][1]]
    values = list(latencies.values())
    return {"minutes": minutes, "rate_qps": rate, "chats": chats, "injected": len(sent),
            "answered": len(latencies), "lost": len(sent) - len(latencies), "api_errors": len(fake.unexpected_errors),
            "latency_ms": {p: round(percentile(values, q) * 1000) for p, q in (("p50", 50), ("p95", 95), ("p99", 99))},
            "start_to_ready_s": round(ready, 2), "rss_mb": samples,
            "rss_after_warm_up_mb": {"first": after[0], "last": after[-1], "min": min(after), "max": max(after)},
            "flat": max(after) - min(after) <= FLAT_MB, "exit_code": proc.returncode,
            "token_in_logs": TOKEN.split(":")[1] in log}


def markdown(r: dict) -> str:
    rss, lat = r["rss_after_warm_up_mb"], r["latency_ms"]
    return "\n".join([
        "| minutes × questions/s | answered | lost | API errors | p50 | p95 | RSS after 1 min → end (min–max) | flat |",
        "|---|---|---|---|---|---|---|---|",
        f"| {r['minutes']:g} × {r['rate_qps']:g} | {r['answered']} | {r['lost']} | {r['api_errors']} | "
        f"{lat['p50']} ms | {lat['p95']} ms | {rss['first']} → {rss['last']} MB ({rss['min']}–{rss['max']}) | "
        f"{'yes' if r['flat'] else '**no**'} |", ""])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--rate", type=float, default=10, help="questions a second")
    p.add_argument("--chats", type=int, default=50)
    p.add_argument("--every", type=float, default=10, help="seconds between two RSS readings")
    p.add_argument("--out", type=Path, default=ROOT / "reports")
    args = p.parse_args()
    result = soak(args.minutes, args.rate, args.chats, args.every)
    write_report(args.out, "soak", result, markdown(result))
    ok = result["lost"] == 0 and result["api_errors"] == 0 and result["flat"] and not result["token_in_logs"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
