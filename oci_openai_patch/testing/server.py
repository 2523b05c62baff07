"""A local OCI-style endpoint: verifies signatures, serves the OpenAI-compatible API.

:class:`OciTestEndpoint` is a real HTTP (or HTTPS) server on loopback. Every request is
checked as OCI checks it (see :mod:`.verify`); an unsigned or badly signed one gets a 401
with OCI's error JSON. Signed requests get OpenAI-compatible answers for chat
completions (with SSE streaming), responses, embeddings and models, on the Generative AI
paths (:mod:`.openai_api`) and under a Data Science model deployment's OCID
(:mod:`.model_deployments`). Everything received is recorded, so tests can assert what
went on the wire.
"""

from __future__ import annotations

import email.utils
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from ..transport.model_deployments import is_deployment_path
from ..trust.hosts import is_genai_host
from ._http import LoopbackHandler, LoopbackHTTPServer
from .findings import foreign_credentials
from .model_deployments import LOCAL_DEPLOYMENT, ModelDeployments, streamed_to_predict
from .openai_api import CONTROL_API_PATH, OpenAICompatibleAPI
from .pages import Event
from .verify import SignatureVerifier, TokenIssuer, VerificationError


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the endpoint received it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    key_id: str | None
    reason: str | None
    #: What should not have arrived: an app's own credential (:mod:`.findings`), a streamed
    #: request on a model deployment's non-streaming endpoint.
    findings: tuple[str, ...] = ()

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class _Faults:
    """Scripted answers for fault-injection tests: (status, body) served before normal ones."""

    queue: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def pop(self) -> tuple[int, dict[str, Any]] | None:
        with self.lock:
            return self.queue.pop(0) if self.queue else None


class OciTestEndpoint:
    """A loopback server that verifies OCI signatures and speaks the OpenAI API.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. ``base_url`` points
    at its OpenAI-compatible root; ``host`` is the ``host:port`` to trust.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        verifier: SignatureVerifier | None = None,
        ssl_context: ssl.SSLContext | None = None,
        api_path: str = "/openai/v1",
        stream_chunk_delay: float = 0.0,
        require_signature: bool = True,
        keep_requests: bool = True,
        port: int = 0,
        on_request: Callable[[RecordedRequest], None] | None = None,
        require_scope: bool | None = None,
        model_deployments: tuple[str, ...] = (LOCAL_DEPLOYMENT,),
    ) -> None:
        self.verifier = verifier or SignatureVerifier()
        #: False: unsigned requests are served too (recorded as not verified), which gives
        #: benchmarks an unsigned baseline; signed requests are still verified.
        self.require_signature = require_signature
        #: Whether a data-plane request needs a project (``OpenAI-Project``) or the older
        #: compartment header, as OCI Generative AI refuses one without: True always (``serve``,
        #: ``demo``), False never, None (the default) when its ``Host`` is a Generative AI
        #: host name, since a bare loopback address may stand for a model deployment or
        #: any private endpoint just as well.
        self.require_scope = require_scope
        #: False: only count requests (for soak tests, where a list would grow without end).
        self.keep_requests = keep_requests
        self.requests: list[RecordedRequest] = []
        self.counts = {True: 0, False: 0}
        self.stream_chunk_delay = stream_chunk_delay
        self.api_path = api_path
        #: The OpenAI-compatible API's state (responses, conversations, files), in memory.
        self.api = OpenAICompatibleAPI()
        #: The Data Science model deployments served under ``/<OCID>`` (:mod:`.model_deployments`).
        self.deployments = ModelDeployments(model_deployments)
        self._faults = _Faults()
        self._lock = threading.Lock()
        #: Called with every request received, after its verdict (``serve`` logs them).
        self.on_request = on_request
        self._server = LoopbackHTTPServer((host, port), _make_handler(self))
        self._server.daemon_threads = True
        if ssl_context is not None:
            self._server.socket = ssl_context.wrap_socket(self._server.socket, server_side=True)
        self.scheme = "https" if ssl_context is not None else "http"
        self._thread: threading.Thread | None = None

    @property
    def issuer(self) -> TokenIssuer:
        return self.verifier.issuer

    @property
    def host(self) -> str:
        address, port = str(self._server.server_address[0]), self._server.server_address[1]
        name = f"[{address}]" if ":" in address else address
        return f"{name}:{port}"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}"

    @property
    def base_url(self) -> str:
        return self.origin + self.api_path

    @property
    def model_deployment_base_url(self) -> str:
        """The OpenAI base URL of the first model deployment served: ``<origin>/<OCID>/predict/v1``."""
        return f"{self.origin}/{sorted(self.deployments.ocids)[0]}/predict/v1"

    def start(self) -> OciTestEndpoint:
        self._thread = threading.Thread(target=self._server.serve_forever, name="oci-test-endpoint", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> OciTestEndpoint:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, status: int, count: int = 1, code: str = "InternalError") -> None:
        """Answer the next ``count`` requests with ``status`` before verifying anything."""
        with self._faults.lock:
            self._faults.queue.extend([(status, {"code": code, "message": f"injected {status}"})] * count)

    def redirect_next(self, location: str, status: int = 307) -> None:
        """Answer the next request with a redirect to ``location`` (another host, say)."""
        with self._faults.lock:
            self._faults.queue.append((status, {"location": location}))

    def drop_next(self, count: int = 1) -> None:
        """Close the connection of the next ``count`` requests without answering."""
        with self._faults.lock:
            self._faults.queue.extend([(0, {})] * count)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.counts[request.verified] += 1
            if self.keep_requests:
                self.requests.append(request)
        if self.on_request is not None:
            self.on_request(request)

    @property
    def verified_count(self) -> int:
        """Requests whose signature verified (counted even when requests are not kept)."""
        with self._lock:
            return self.counts[True]

    @property
    def refused_count(self) -> int:
        """Requests refused or not verified: 401s, injected faults, unsigned ones."""
        with self._lock:
            return self.counts[False]

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.counts = {True: 0, False: 0}

    def pop_fault(self) -> tuple[int, dict[str, Any]] | None:
        return self._faults.pop()


def _make_handler(endpoint: OciTestEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):
        def date_time_string(self, timestamp: float | None = None) -> str:
            """The ``Date`` of each response, by the verifier's (possibly skewed) clock."""
            return email.utils.formatdate(endpoint.verifier.now() if timestamp is None else timestamp, usegmt=True)

        def _handle(self) -> None:
            headers, body = self.read_request()
            findings = foreign_credentials(self.path, headers) + streamed_to_predict(self.path, headers, body)

            def record(verified: bool, key_id: str | None, reason: str | None) -> None:
                request = RecordedRequest(self.command, self.path, headers, body, verified, key_id, reason, findings)
                endpoint.record(request)

            fault = endpoint.pop_fault()
            if fault is not None:
                status, payload = fault
                record(False, None, "injected")
                if status == 0:  # a dropped connection
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                elif "location" in payload:
                    self.send_response(status)
                    self.send_header("location", payload["location"])
                    self.send_header("content-length", "0")
                    self.end_headers()
                else:
                    self._json(status, payload)
                return
            signed = headers.get("authorization", "").startswith("Signature ")
            # The control plane takes IAM signatures only, even where unsigned requests are served.
            control = self.path.startswith(CONTROL_API_PATH)
            if not endpoint.require_signature and not signed and not control:
                record(False, None, "unsigned")
                self._route(body, headers)
                return
            try:
                verified = endpoint.verifier.verify(self.command, self.path, headers, body)
            except VerificationError as error:
                record(False, None, str(error))
                self._json(401, {"code": "NotAuthenticated", "message": str(error)})
                return
            record(True, verified.key_id, None)
            self._route(body, headers)

        def _route(self, raw: bytes, headers: dict[str, str] | None = None) -> None:
            headers = headers or {}
            require_scope = endpoint.require_scope
            if require_scope is None:
                require_scope = is_genai_host(urlsplit("//" + headers.get("host", "")).hostname or "")
            if is_deployment_path(self.path):
                reply = endpoint.deployments.handle(self.command, self.path, headers, raw)
            else:
                reply = endpoint.api.handle(
                    self.command, self.path, headers, raw, endpoint.api_path, require_scope=require_scope
                )
            if reply.events is not None:
                self._stream(reply.events, done_marker=reply.done_marker)
            elif reply.raw is not None:
                self.send_response(reply.status)
                self.send_header("content-type", reply.content_type)
                self.send_header("content-length", str(len(reply.raw)))
                self.end_headers()
                self.wfile.write(reply.raw)
            else:
                self._json(reply.status, reply.payload)

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("opc-request-id", "local")
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, events: Iterator[Event], *, done_marker: bool) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            for name, data in events:
                if endpoint.stream_chunk_delay:  # the model "generating" the next chunk
                    time.sleep(endpoint.stream_chunk_delay)
                line = f"event: {name}\n" if name else ""
                self._write_chunk(f"{line}data: {json.dumps(data)}\n\n".encode())
            if done_marker:
                self._write_chunk(b"data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _write_chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    return Handler
