"""Test-side fault injection: failed, delayed and dropped calls, and a revoked token."""
from __future__ import annotations

from http import HTTPStatus
from typing import Any

from .state import State

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure", 401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user", 404: "Not Found",
    409: "Conflict: injected conflict", 500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}


class Faults(State):
    """Faults the next calls of a method will meet, and a token revoked for good."""

    def revoke(self) -> None:
        """From now on the token answers 401 Unauthorized (pending long polls too)."""
        with self._cond:
            self._revoked = True
            self._wake_pollers("revoked")

    def fail(self, method: str, status: int, times: int = 1, retry_after: int | None = None,
             description: str | None = None) -> None:
        """The next ``times`` calls of ``method`` answer ``status``.

        429 answers carry ``parameters.retry_after`` (default 1)."""
        if status == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        if description is None:
            try:
                description = _DEFAULT_DESCRIPTIONS.get(status) or HTTPStatus(status).phrase
            except ValueError:
                description = f"Error {status}"
        with self._cond:
            self._fails.setdefault(method.lower(), []).append(
                [times, (status, description, retry_after)])

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` are answered ``seconds`` late."""
        with self._cond:
            self._delays.setdefault(method.lower(), []).append([times, seconds])

    def drop_connection(self, method: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` get their connection reset, no answer."""
        with self._cond:
            self._drops[method.lower()] = self._drops.get(method.lower(), 0) + times

    def clear_faults(self) -> None:
        with self._cond:
            self._fails.clear()
            self._delays.clear()
            self._drops.clear()

    @staticmethod
    def _take(queue: list[list] | None) -> Any:
        if not queue:
            return None
        entry = queue[0]
        entry[0] -= 1
        if entry[0] <= 0:
            queue.pop(0)
        return entry[1]
