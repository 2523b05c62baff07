"""What the ``oci`` SDK's token fetches met, so a bounded error can name the real cause.

The SDK's identity clients (instance metadata, X.509 federation, resource-principal
token endpoints, the OKE proxymux) retry every failure silently, TLS verification
failures included. When our deadline ends the wait, all the caller would learn is that
nothing came back in time, although something usually did answer: a certificate that
does not verify, a refused connection, a name that does not resolve, an HTTP 401 with
OCI's error code. The SDK sends through its vendored ``requests``; while a token fetch
runs, :func:`recording` keeps the outcome of each attempt that thread makes, and
:func:`hint_for` turns the last failure into how to fix it.

Only the thread that started :func:`recording` is observed; everyone else's use of the
SDK passes through untouched.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..process_locks import ProcessLock


@dataclass(frozen=True)
class FetchFailure:
    """One failed attempt: where it went, what kind of failure, and a one-line reason."""

    url: str
    kind: str  # "tls", "refused", "dns", "timeout", "http" or "other"
    reason: str

    def __str__(self) -> str:
        return f"{self.url}: {self.reason}"


@dataclass
class FetchLog:
    """The attempts one token fetch made (appended by the SDK's thread, read by ours)."""

    attempts: int = 0
    failures: list[FetchFailure] = field(default_factory=list)

    @property
    def last_failure(self) -> FetchFailure | None:
        return self.failures[-1] if self.failures else None


_current = threading.local()
_installed = False
_install_lock = ProcessLock("token-fetch observer")


@contextlib.contextmanager
def recording(log: FetchLog) -> Iterator[FetchLog]:
    """Record into ``log`` the SDK's HTTP attempts made by this thread until the block ends."""
    _install()
    previous = getattr(_current, "log", None)
    _current.log = log
    try:
        yield log
    finally:
        _current.log = previous


def _install() -> None:  # pragma: no mutate block
    """Wrap the SDK's ``requests.Session.send`` once per process."""
    global _installed
    if _installed:
        return
    # Imported before the lock is taken: the SDK's vendored requests takes hundreds of ms
    # to import, and a section that long is one a fork from another thread lands in.
    import wrapt
    from oci._vendor.requests import sessions

    with _install_lock:
        if _installed:
            return
        wrapt.wrap_function_wrapper(sessions, "Session.send", _observed_send)
        _installed = True


def _observed_send(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    log: FetchLog | None = getattr(_current, "log", None)
    if log is None:
        return wrapped(*args, **kwargs)
    request = args[0] if args else kwargs.get("request")
    url = _origin_and_path(str(getattr(request, "url", "") or ""))
    log.attempts += 1
    try:
        response = wrapped(*args, **kwargs)
    except Exception as error:
        log.failures.append(classify(url, error))
        raise
    status = int(getattr(response, "status_code", 0) or 0)
    if status >= 400:
        log.failures.append(FetchFailure(url, "http", _http_reason(status, response)))
    return response


def _origin_and_path(url: str) -> str:
    """The URL without its query (which may carry parameters nobody needs to see)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.scheme else url


def oci_error(content: bytes) -> tuple[str, str]:
    """OCI's error ``code`` and ``message`` (one safe line) from an error body, or empty
    strings when it is not JSON in OCI's shape (the status then says enough)."""
    with contextlib.suppress(ValueError):
        document = json.loads(content)
        if isinstance(document, dict):
            return str(document.get("code") or ""), safe_line(str(document.get("message") or ""))
    return "", ""


def _http_reason(status: int, response: Any) -> str:
    """``HTTP 401 NotAuthenticated: message``, from OCI's error document when there is one."""
    content = b""
    with contextlib.suppress(Exception):  # a body that cannot be read: the status says enough
        content = response.content
    code, line = oci_error(content)
    reason = f"HTTP {status}" + (f" {code}" if code else "")
    return f"{reason}: {line}" if line else reason


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception it wraps: causes, contexts, urllib3's ``reason`` and args."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        pending.extend(item for item in linked if isinstance(item, BaseException))


def classify(url: str, error: BaseException) -> FetchFailure:
    """Name the transport failure at the bottom of ``error`` (requests wraps it several times)."""
    chain = list(_chain(error))
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError):
            detail = item.verify_message or item.reason or "certificate verify failed"
            return FetchFailure(url, "tls", f"TLS certificate verification failed ({detail})")
    for item in chain:
        if isinstance(item, ConnectionRefusedError):
            return FetchFailure(url, "refused", "connection refused")
        if isinstance(item, socket.gaierror):
            return FetchFailure(url, "dns", f"DNS lookup of {urlsplit(url).hostname} failed ({item.strerror})")
    for item in chain:
        if isinstance(item, ssl.SSLError):
            return FetchFailure(url, "tls", f"TLS handshake failed ({item.reason or safe_line(str(item))})")
        if isinstance(item, TimeoutError) or "Timeout" in type(item).__name__:
            return FetchFailure(url, "timeout", "no answer before the SDK's own timeout")
    text = safe_line(str(error))
    return FetchFailure(url, "other", f"{type(error).__name__}: {text}" if text else type(error).__name__)


#: How to fix each kind of failure, whatever the endpoint; a provider adds its settings.
GENERIC_HINTS = {
    "tls": "the server's certificate does not verify against the CA bundle in use; fix that bundle",
    "refused": "nothing listens there; check the address and that the service runs",
    "dns": "check the host name and this machine's DNS",
    "timeout": "check that it is reachable from here",
    "http": "the service refused the request; see its error code",
    "other": "check that it is reachable from here",
}


def hint_for(failure: FetchFailure, hints: dict[str, str] | None = None) -> str:
    """How to fix ``failure``: the provider's own advice for its kind, else the generic one."""
    return (hints or {}).get(failure.kind) or GENERIC_HINTS[failure.kind]


def safe_line(text: str) -> str:
    """The first line of ``text``, or nothing when it is long or looks like it holds a secret."""
    line = text.splitlines()[0] if text else ""
    if len(line) > 200 or "ST$" in line or "BEGIN" in line or "Bearer" in line:
        return ""
    return line
