#!/usr/bin/env python
"""Load test: the real bot process against the project's fake Bot API, many chats at once.

  python scripts/loadtest.py                      # 50 chats x 20 questions, injected at once
  python scripts/loadtest.py --chats 5 --questions 5 --reload

Reports answered and lost questions, API errors, throughput and p50/p95/p99 latency (from
injection to the reply reaching the fake server) to stdout and reports/loadtest.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from fake_telegram import FakeTelegram  # noqa: E402

from bot import evaluation as ev  # noqa: E402

TOKEN = "123456789:AAHloadTestTokenOnly_abcdefghijklmnopq"
ADMIN = 777


def start_bot(fake: FakeTelegram, env_extra: dict) -> subprocess.Popen:
    env_extra = {"QA_DATA_DIR": tempfile.mkdtemp(prefix="qa-loadtest-"), **env_extra}
    env = dict(os.environ, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.base_url,
               TELEGRAM_ADMIN_IDS=str(ADMIN), TELEGRAM_QUESTIONS_PER_MINUTE="10000",
               NO_PROXY="127.0.0.1,localhost", HF_HUB_OFFLINE="1", PTB_TIMEDELTA="1", **env_extra)
    return subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(chats: int, questions: int, reload: bool, timeout: float, env_extra: dict | None = None) -> dict:
    """Inject chats x questions at once and wait for every reply."""
    pool = [c.q for c in ev.load_cases(ROOT / "tests" / "data" / "questions.yaml")]
    with FakeTelegram(token=TOKEN, bot_username="shanxi_qa_bot") as fake:
        proc = start_bot(fake, env_extra or {})
        try:
            t_start = time.perf_counter()
            while not fake.polls_waiting:
                if proc.poll() is not None:
                    raise SystemExit(f"the bot exited with {proc.returncode}: {proc.stderr.read()[-500:]}")
                if time.perf_counter() - t_start > 300:
                    raise SystemExit("the bot did not start polling within 300 s")
                time.sleep(0.05)
            ready = time.perf_counter() - t_start
            sent: dict[tuple[int, int], float] = {}
            t0 = time.time()
            for q in range(questions):
                for c in range(chats):
                    chat = 100000 + c
                    upd = fake.inject_message(pool[(c * questions + q) % len(pool)], chat_id=chat, user_id=chat)
                    sent[(chat, upd["message"]["message_id"])] = time.time()
                if reload and q == questions // 2:
                    fake.inject_message("/reload", chat_id=ADMIN, user_id=ADMIN)
            latencies, answered = _collect(fake, sent, timeout)
            elapsed = time.time() - t0
            reload_ok = (not reload) or _reload_done(fake, timeout)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _, stderr = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                stderr = ""
        return {
            "chats": chats, "questions_per_chat": questions, "injected": len(sent),
            "answered": answered, "lost": len(sent) - answered,
            "api_errors": len(fake.unexpected_errors), "reload": reload, "reload_ok": reload_ok,
            "throughput_qps": round(answered / elapsed, 2) if elapsed else 0.0,
            "latency_ms": {p: round(percentile(latencies, q) * 1000) for p, q in
                           (("p50", 50), ("p95", 95), ("p99", 99))},
            "start_to_ready_s": round(ready, 1), "exit_code": proc.returncode,
            "token_in_logs": TOKEN.split(":")[1] in (stderr or ""),
        }


def _collect(fake: FakeTelegram, sent: dict, timeout: float) -> tuple[list[float], int]:
    latencies, seen = [], set()
    deadline = time.monotonic() + timeout
    while len(seen) < len(sent) and time.monotonic() < deadline:
        try:
            msg = fake.wait_for_message(timeout=max(0.1, deadline - time.monotonic()), consumer="load",
                                        predicate=lambda m: (m.chat_id, m.reply_to_message_id) in sent)
        except TimeoutError:
            break
        key = (msg.chat_id, msg.reply_to_message_id)
        if key not in seen:
            seen.add(key)
            latencies.append(msg.time - sent[key])
    return latencies, len(seen)


def _reload_done(fake: FakeTelegram, timeout: float) -> bool:
    """Wait for the admin's reload report, which may come after the last answer."""
    try:
        msg = fake.wait_for_message(ADMIN, timeout=timeout, consumer="reload",
                                    predicate=lambda m: "已重新加载" in m.text or "失败" in m.text)
    except TimeoutError:
        return False
    return "已重新加载" in msg.text


def markdown(r: dict) -> str:
    lat = r["latency_ms"]
    return "\n".join([
        "| chats × questions | answered | lost | API errors | throughput | p50 | p95 | p99 | reload |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {r['chats']} × {r['questions_per_chat']} | {r['answered']} | {r['lost']} | {r['api_errors']} | "
        f"{r['throughput_qps']} q/s | {lat['p50']} ms | {lat['p95']} ms | {lat['p99']} ms | "
        f"{'yes, ok' if r['reload'] and r['reload_ok'] else ('yes, FAILED' if r['reload'] else 'no')} |", ""])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chats", type=int, default=50)
    p.add_argument("--questions", type=int, default=20)
    p.add_argument("--reload", action="store_true", help="send /reload half way through")
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--out", type=Path, default=ROOT / "reports")
    args = p.parse_args()
    result = run(args.chats, args.questions, args.reload, args.timeout)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "loadtest.json").write_text(json.dumps(result, indent=2))
    (args.out / "loadtest.md").write_text(markdown(result))
    print(markdown(result))
    print(json.dumps(result))
    ok = result["lost"] == 0 and result["api_errors"] == 0 and result["reload_ok"] and not result["token_in_logs"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
