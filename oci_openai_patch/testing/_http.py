"""The HTTP server and handler base the loopback fakes share."""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A thread per connection, a backlog for hundreds of concurrent clients, daemon threads,
    and silence when a client hangs up mid-request (load tests do that on purpose)."""

    request_queue_size = 512
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionResetError, BrokenPipeError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class LoopbackHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, quiet, and Nagle off: headers and body are separate
    writes, and with Nagle on each response would wait 40 ms for a delayed ACK."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def read_request(self) -> tuple[dict[str, str], bytes]:
        """The request's headers (lower-case names) and body."""
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        return {name.lower(): value for name, value in self.headers.items()}, body
