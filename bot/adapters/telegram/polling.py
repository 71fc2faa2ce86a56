"""The getUpdates connection: it notices a revoked token, and reports each poll to `Outage`."""
from __future__ import annotations

from http import HTTPStatus

from telegram.error import NetworkError
from telegram.request import HTTPXRequest


class WatchedRequest(HTTPXRequest):
    """The getUpdates connection. PTB stops polling silently on 401 (a revoked token) and
    leaves a deaf bot that looks alive; this notices and stops the application. It also
    reports each poll's outcome to `outage` (network errors and 5xx are failures)."""

    def __init__(self, *args, on_unauthorized=None, outage=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_unauthorized = on_unauthorized
        self.outage = outage

    async def do_request(self, url, method, request_data=None, **kwargs):
        polling, sent_at = url.endswith("/getUpdates"), self.outage.clock() if self.outage else 0.0
        try:
            status, payload = await super().do_request(url, method, request_data, **kwargs)
        except NetworkError as exc:  # includes TimedOut
            if polling and self.outage:
                self.outage.failed(str(exc) or type(exc).__name__)
            raise
        if polling and self.outage:
            if status >= 500:
                self.outage.failed(f"HTTP {status} {_phrase(status)}")
            elif status < 300:
                self.outage.succeeded(sent_at)
        if status == 401 and polling and self.on_unauthorized:
            self.on_unauthorized()
        return status, payload


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
