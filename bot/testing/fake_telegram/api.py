"""FakeTelegram: its parts put together, its lifecycle, and the processing of each request."""
from __future__ import annotations

import logging
import re
import socket
import threading
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from .chats import Chats
from .commands import Commands
from .faults import Faults
from .inject import Inject
from .messages import Messages
from .observe import Observe
from .params import parse_body, public_params
from .records import ApiError, Call, ErrorRecord, bad
from .server import DROP, Handler, Server
from .state import WELL_FORMED_TOKEN
from .updates import Updates

_LOG = logging.getLogger("fake_telegram")

_METHODS = ["getMe", "deleteWebhook", "setWebhook", "getWebhookInfo", "logOut", "close",
            "getUpdates", "sendMessage", "sendChatAction", "setMyCommands", "getMyCommands",
            "deleteMyCommands", "answerCallbackQuery", "editMessageText",
            "editMessageReplyMarkup", "deleteMessage", "getChat", "leaveChat"]
_CANONICAL = {m.lower(): m for m in _METHODS}
# method name (lower case) -> the name of the method implementing it ("_m_get_updates")
_IMPLS = {m.lower(): "_m_" + re.sub(r"(?<!^)([A-Z])", r"_\1", m).lower() for m in _METHODS}


class FakeTelegram(Observe, Faults, Chats, Inject, Updates, Messages, Commands):
    """A fake Bot API server. All public methods are thread-safe.

    ``FakeTelegram(token=DEFAULT_TOKEN, bot_username="shanxi_qa_bot", *, bot_first_name=...,
    host="127.0.0.1", first_update_id=...)`` (see ``State.__init__``). Use as a context manager
    (or call ``start()`` / ``stop()``).
    """

    # ---- lifecycle ------------------------------------------------------------------------
    def start(self) -> "FakeTelegram":
        if self._server is not None:
            return self
        with self._cond:
            self._stopping = False
        self._stop_event.clear()
        self._server = Server((self._host, 0), Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="FakeTelegram", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        with self._cond:
            self._stopping = True
            self._wake_pollers("stopping")
        self._stop_event.set()
        self._server.shutdown()
        with self._cond:
            conns = list(self._connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = None

    def __enter__(self) -> "FakeTelegram":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self._host}:{self.port}/file/bot"

    # ---- request processing ---------------------------------------------------------------
    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._cond:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _error(self, method: str, err: ApiError) -> tuple[int, dict]:
        with self._cond:
            self._errors.append(ErrorRecord(method, err.status, err.description, time.time(),
                                            err.injected))
            self._cond.notify_all()
        return err.status, err.payload()

    def _process(self, handler: Handler, body: bytes) -> tuple[int, Any]:
        arrived = time.time()
        split = urlsplit(handler.path)
        path = unquote(split.path)
        if path.startswith("/file/bot"):
            token = path[len("/file/bot"):].split("/", 1)[0]
            return self._error("file", self._token_error(token) or ApiError(404, "Not Found"))
        m = re.fullmatch(r"/bot([^/]*)/([^/]*)", path)
        if not m:
            return self._error(path, ApiError(404, "Not Found"))
        token, method = m.groups()
        low = method.lower()
        name = _CANONICAL.get(low, method)
        token_err = self._token_error(token)
        if token_err is not None:
            return self._error(name, token_err)
        try:
            params = parse_body(handler.headers.get("Content-Type", ""), body, split.query)
        except (ValueError, UnicodeDecodeError) as exc:
            return self._finish(Call(name, {}, arrived), handler,
                                bad(f"can't parse request body: {exc}"))
        call = Call(name, public_params(params), arrived)
        with self._cond:
            delay = self._take(self._delays.get(low))
        if delay:
            self._stop_event.wait(delay)
        with self._cond:
            if self._drops.get(low, 0) > 0:
                self._drops[low] -= 1
                call.status = 0
                call.description = "connection dropped"
                self._calls.append(call)
                self._cond.notify_all()
                return 0, DROP
            fault = self._take(self._fails.get(low))
        if fault is not None:
            status, description, retry_after = fault
            return self._finish(call, handler, ApiError(status, description,
                                                        retry_after=retry_after, injected=True))
        impl = getattr(self, _IMPLS[low]) if low in _IMPLS else None
        if impl is None:
            return self._finish(call, handler, ApiError(
                404, f"Not Found: method {method} not implemented in the fake"))
        try:
            result = impl(params, handler)
        except ApiError as err:
            return self._finish(call, handler, err)
        except Exception as exc:  # a bug in the fake: make it loud
            _LOG.exception("fake_telegram crashed in %s", name)
            return self._finish(call, handler, ApiError(
                500, f"Internal Server Error: the fake crashed: {exc!r}"))
        return self._finish(call, handler, None, result)

    def _finish(self, call: Call, handler: Handler, err: ApiError | None,
                result: Any = None) -> tuple[int, dict]:
        with self._cond:
            if err is None:
                call.status = 200
                self._calls.append(call)
                self._cond.notify_all()
                return 200, {"ok": True, "result": result}
            call.status, call.description = err.status, err.description
            self._calls.append(call)
            if not err.conflict:  # superseded polls were recorded by _wake_pollers
                self._errors.append(ErrorRecord(call.method, err.status, err.description,
                                                time.time(), err.injected))
            self._cond.notify_all()
            return err.status, err.payload()

    def _token_error(self, token: str) -> ApiError | None:
        if token == self.token:
            with self._cond:
                return ApiError(401, "Unauthorized") if self._revoked else None
        if WELL_FORMED_TOKEN.match(token):
            return ApiError(401, "Unauthorized")
        return ApiError(404, "Not Found")
