"""Log hygiene for the Telegram adapter: secrets masked in every line, wire loggers kept quiet."""
from __future__ import annotations

import logging

from telegram.error import InvalidToken

# Loggers that print what travels over the wire, and their floor: PTB logs every API call's
# parameters and the raw webhook body at DEBUG (user names, ids, message texts), httpx logs
# request URLs (with the token) at INFO. APScheduler logs each run of the pruning job at INFO.
WIRE_LOGGERS = {"telegram": logging.INFO, "httpx": logging.WARNING, "httpcore": logging.WARNING,
                "apscheduler": logging.WARNING}


def drop_invalid_token_records(record: logging.LogRecord) -> bool:
    """PTB logs a rejected token with a traceback whose message contains the token, before
    raising it; `run` reports it in one line instead. Every other record passes, so that
    network errors and outages stay visible."""
    exc = record.exc_info[1] if record.exc_info else None
    return not (record.name.startswith("telegram") and isinstance(exc, InvalidToken))


class RedactingFormatter(logging.Formatter):
    """Formats as the wrapped formatter would, with every secret masked: a last line of
    defence for URLs and parameters in exception texts."""

    def __init__(self, inner: logging.Formatter | None, secrets: list[str]):
        super().__init__()
        self.inner = inner or logging.Formatter()
        # Longest first, so that the token is masked whole before its secret half.
        self.secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = self.inner.format(record)
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return text


def secrets_of(settings) -> list[str]:
    """What must never be logged: the token, its secret half, the webhook secret."""
    token = settings.telegram_token.get_secret_value()
    return [token, token.split(":", 1)[-1], settings.telegram_webhook_secret.get_secret_value()]


def guard_logs(settings) -> None:
    """Keep secrets out of every log line, whatever the level, and keep the wire loggers
    at INFO or above unless TELEGRAM_WIRE_LOG asks for them."""
    root = logging.getLogger()
    for name, floor in WIRE_LOGGERS.items():
        wire = settings.telegram_wire_log
        logging.getLogger(name).setLevel(logging.NOTSET if wire else max(floor, root.getEffectiveLevel()))
    for handler in root.handlers:
        handler.addFilter(drop_invalid_token_records)
        handler.setFormatter(RedactingFormatter(handler.formatter, secrets_of(settings)))
