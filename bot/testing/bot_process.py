"""`python -m bot` as a child process against the fake Bot API: start, wait until it listens,
read its memory, stop it (the load test and the soak)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def start_bot(fake, token: str, env_extra: dict) -> subprocess.Popen:
    """The bot, configured by environment variables only. Its log (INFO: a line per question)
    goes to a file, `proc.log`: a pipe nobody reads until the end fills up, and the bot then
    blocks on its next log line."""
    env = dict(os.environ, TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_BASE_URL=fake.base_url,
               QA_DATA_DIR=tempfile.mkdtemp(prefix="qa-bot-data-"), TELEGRAM_QUESTIONS_PER_MINUTE="10000",
               QA_LOG_LEVEL="INFO", NO_PROXY="127.0.0.1,localhost", HF_HUB_OFFLINE="1", PTB_TIMEDELTA="1")
    env.update(env_extra)
    log = tempfile.NamedTemporaryFile(prefix="qa-bot-", suffix=".log", delete=False)
    proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=log)
    log.close()
    proc.log = Path(log.name)
    return proc


def log_of(proc: subprocess.Popen) -> str:
    return proc.log.read_text(encoding="utf-8", errors="replace")


def wait_ready(fake, proc: subprocess.Popen, timeout: float = 300) -> float:
    """Seconds until the bot's first long poll is pending on the fake (it listens)."""
    t0 = time.perf_counter()
    while True:
        try:
            fake.wait_for_poll(timeout=1)
            return time.perf_counter() - t0
        except TimeoutError:
            if proc.poll() is not None:
                raise RuntimeError(f"the bot exited with {proc.returncode}: {log_of(proc)[-500:]}") from None
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError(f"the bot did not start polling within {timeout} s") from None


def rss_mb(pid: int) -> float:
    """Resident memory of a process now, in MB."""
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:")) / 1024


def stop(proc: subprocess.Popen) -> str:
    """SIGTERM (SIGKILL after 60 s), and the bot's whole log."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log = log_of(proc)
    proc.log.unlink(missing_ok=True)
    return log
