"""Bot API methods around updates: getMe, logOut, close, webhooks and getUpdates long polling."""
from __future__ import annotations

import copy
import time
from typing import Any

from .params import p_bool, p_float, p_int, p_json, p_str
from .records import CONFLICT, ApiError, bad
from .server import Handler
from .state import PollWaiter, State


class Updates(State):
    """getMe, logOut, close, the webhook methods and getUpdates."""

    def _m_get_me(self, params: dict, handler: Handler) -> dict:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False,
                "has_main_web_app": False}

    def _m_log_out(self, params: dict, handler: Handler) -> bool:
        return True

    def _m_close(self, params: dict, handler: Handler) -> bool:
        return True

    def _m_delete_webhook(self, params: dict, handler: Handler) -> bool:
        with self._cond:
            self._webhook = {"url": ""}
            if p_bool(params, "drop_pending_updates"):
                self._queue.clear()
        return True

    def _m_set_webhook(self, params: dict, handler: Handler) -> bool:
        url = p_str(params, "url") or ""
        if url and not url.lower().startswith("https://"):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        with self._cond:
            self._webhook = {"url": url}
            if params.get("allowed_updates") is not None:
                self._allowed_updates = p_json(params, "allowed_updates") or None
            if p_bool(params, "drop_pending_updates"):
                self._queue.clear()
        return True

    def _m_get_webhook_info(self, params: dict, handler: Handler) -> dict:
        with self._cond:
            info: dict[str, Any] = {"url": self._webhook["url"], "has_custom_certificate": False,
                                    "pending_update_count": len(self._queue)}
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
        return info

    def _m_get_updates(self, params: dict, handler: Handler) -> list[dict]:
        offset = p_int(params, "offset")
        limit = p_int(params, "limit") or 100
        limit = max(1, min(100, limit))
        timeout = max(0.0, p_float(params, "timeout", 0.0))
        allowed = p_json(params, "allowed_updates")
        with self._cond:
            if self._webhook["url"]:
                raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                    "active; use deleteWebhook to delete the webhook first")
            self._wake_pollers("superseded")
            if offset is not None:
                if offset > 0:
                    self._queue = [u for u in self._queue if u["update_id"] >= offset]
                    if self._confirmed_offset is None or offset > self._confirmed_offset:
                        self._confirmed_offset = offset
                elif offset < 0:
                    self._queue = self._queue[offset:]
            if isinstance(allowed, list):
                self._allowed_updates = allowed or None
            deadline = time.monotonic() + timeout
            waiter: PollWaiter | None = None
            while True:
                if waiter is not None and waiter.state == "superseded":
                    raise ApiError(409, CONFLICT, conflict=True)
                if self._revoked:
                    raise ApiError(401, "Unauthorized")
                ready = self._deliverable(limit)
                remaining = deadline - time.monotonic()
                if ready or remaining <= 0 or self._stopping:
                    if waiter is not None and waiter in self._pollers:
                        self._pollers.remove(waiter)
                        self._cond.notify_all()
                    return ready
                if waiter is None or waiter.state != "waiting":
                    waiter = PollWaiter(handler)
                    self._pollers.append(waiter)
                    self._cond.notify_all()
                self._cond.wait(remaining)

    def _deliverable(self, limit: int) -> list[dict]:
        if self._allowed_updates:
            self._queue = [u for u in self._queue
                           if any(k in self._allowed_updates for k in u if k != "update_id")]
        return copy.deepcopy(self._queue[:limit])
