"""The HTTP layer: a threading server on 127.0.0.1 and a keep-alive handler for each request."""
from __future__ import annotations

import json
import logging
import select
import socket
import struct
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

_LOG = logging.getLogger("fake_telegram")

DROP = object()  # sentinel: close the connection without answering


class Backend(Protocol):
    """What the handler needs from the fake (FakeTelegram)."""

    def _track(self, conn: socket.socket, add: bool) -> None: ...

    def _process(self, handler: Handler, body: bytes) -> tuple[int, Any]: ...


class Server(ThreadingHTTPServer):
    """The listening socket: one daemon thread per connection, a deep accept backlog."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    # socketserver's default listen backlog is 5: a bot opening dozens of connections at once
    # (PTB's pool holds 256) then sees SYNs dropped and requests hang for seconds, which
    # Telegram's servers never do to it.
    request_queue_size = 1024
    fake: Backend


class Handler(BaseHTTPRequestHandler):
    """One keep-alive connection: reads each request, lets the fake answer it, writes the JSON."""

    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    disable_nagle_algorithm = True  # else Nagle + delayed ACK add ~40 ms per call
    server_version = "FakeTelegram/1.0"
    sys_version = ""
    server: Server

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.fake._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        _LOG.debug("%s " + format, self.address_string(), *args)

    def do_POST(self) -> None:
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(400, {"ok": False, "error_code": 400,
                             "description": "Bad Request: malformed HTTP body"})
            return
        status, payload = self.server.fake._process(self, body)
        if payload is DROP:
            self._drop()
        else:
            self._send(status, payload)

    do_GET = do_POST

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline(65537).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # client gone (e.g. a cancelled long poll)
            self.close_connection = True

    def _drop(self) -> None:
        """Abort the connection without an answer (RST via SO_LINGER 0)."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass

    def client_gone(self) -> bool:
        """True if the peer already closed its side (nothing more will be read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True
